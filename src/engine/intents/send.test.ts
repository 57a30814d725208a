import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { testPlan } from "../../../test/support/plans.ts";
import type { IntentRow } from "../../store/intents.ts";
import { fitTogether, type Order } from "./send.ts";

const order = (gas: bigint, callBytes?: number): Order => ({
  row: {} as IntentRow,
  plan: testPlan(
    callBytes === undefined
      ? {}
      : {
          call: {
            target: `0x${"ab".repeat(20)}`,
            data: `0x${"00".repeat(callBytes)}` as Hex,
            amountOffset: 0n,
          },
        },
  ),
  tx: { kind: "fill" },
  gas,
});

describe("fitTogether: what may share a batch", () => {
  it("keeps a batch's gas within 6 million", () => {
    expect(fitTogether(Array.from({ length: 60 }, () => order(100_000n)))).toBe(true);
    expect(fitTogether(Array.from({ length: 61 }, () => order(100_000n)))).toBe(false);
  });

  it("keeps a batch's calldata within 64 KiB, far below the 128 KiB nodes take", () => {
    expect(fitTogether([order(100_000n, 30_000), order(100_000n, 30_000)])).toBe(true);
    expect(fitTogether([order(100_000n, 40_000), order(100_000n, 40_000)])).toBe(false);
  });
});
