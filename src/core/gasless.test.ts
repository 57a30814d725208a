import { describe, expect, it } from "vitest";
import { testPlan, USDC } from "../../test/support/plans.ts";
import { checkGaslessRequest, type GaslessFeeOption } from "./gasless.ts";

const now = new Date("2026-11-27T12:00:00Z");
const seconds = (date: Date) => BigInt(date.getTime() / 1000);
const option: GaslessFeeOption = {
  token: USDC,
  symbol: "USDC",
  decimals: 6,
  amount: 5n,
  feeCollector: "0x00000000000000000000000000000000000000fe",
  is2612: true,
  gasLimit: 100_000n,
  gasPrice: 1n,
};

function check(executeBy: Date, deadline: bigint) {
  return checkGaslessRequest({
    plan: testPlan({ feeOptions: [option] }, now),
    req: { feeOption: { tokenAddress: USDC, amount: 5n }, userNonce: 0n, deadline, permit: null },
    nonce: 0n,
    now,
    executeBy,
  });
}

describe("the time rules of a gasless deposit", () => {
  const executeBy = new Date(now.getTime() + 10 * 60_000);

  it("takes a signature that outlives the intent (the Trails widget signs for an hour)", () => {
    expect(check(executeBy, seconds(now) + 3_600n).option).toEqual(option);
  });

  it("refuses a signature whose deadline has passed", () => {
    expect(() => check(executeBy, seconds(now))).toThrow(/^deadline: .* has passed/);
  });

  it("refuses a deadline too close for the relay to be mined (the relayer would pay for a revert)", () => {
    expect(() => check(executeBy, seconds(now) + 5n)).toThrow(/leaves the relayer under 60 s/);
    expect(check(executeBy, seconds(now) + 60n).option).toEqual(option);
  });

  it("refuses any signature once the intent's time to execute is over", () => {
    expect(() => check(now, seconds(now) + 3_600n)).toThrow(/had to be executed by 2026-11-27T12:00:00.000Z/);
  });
});
