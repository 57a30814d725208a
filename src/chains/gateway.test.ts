import { BaseError, ExecutionRevertedError, HttpRequestError, TimeoutError } from "viem";
import { describe, expect, it } from "vitest";
import { revertReasonOf } from "./gateway.ts";

/** A simulation's failure is a verdict on the call only when the node says the call reverts. */
describe("revertReasonOf", () => {
  it("reads a revert, however deeply viem wraps it", () => {
    const revert = new ExecutionRevertedError({ message: "execution reverted: Paused()" });
    const wrapped = new BaseError("Execution reverted with reason: Paused().\nDetails: …", { cause: revert });
    expect(revertReasonOf(wrapped)).toBe("Execution reverted with reason: Paused().");
    expect(revertReasonOf(revert)).toMatch(/Paused\(\)/);
  });

  it("is no verdict when the node did not answer", () => {
    const down = new HttpRequestError({ url: "http://127.0.0.1:8545", details: "ECONNREFUSED" });
    expect(revertReasonOf(new BaseError("Estimate failed", { cause: down }))).toBeNull();
    expect(revertReasonOf(new TimeoutError({ body: {}, url: "http://127.0.0.1:8545" }))).toBeNull();
    expect(revertReasonOf(new Error("socket hang up"))).toBeNull();
  });

  it("is no verdict when the sender cannot pay for the gas, though viem files it under reverts", () => {
    const broke = new ExecutionRevertedError({ message: "gas required exceeds allowance (0)" });
    expect(revertReasonOf(new BaseError("Estimate failed", { cause: broke }))).toBeNull();
  });
});
