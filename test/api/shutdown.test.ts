import { TradeType } from "@0xtrails/api";
import { describe, expect, it } from "vitest";
import { WAIT_LIMIT_MS } from "../../src/api/trails/methods/intents.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { startTestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";

describe("shutdown", () => {
  // The test's own timeout is well under the long-poll's hold: a shutdown that waited for the
  // long-poll to run out would fail it.
  it(
    "answers an open WaitIntentReceipt long-poll at once and stops",
    async () => {
      const t = await startTestJunction();
      const f = flows(t);
      const owner = devnetAccount(1).address;
      const { intent } = await t.trails.quoteIntent({
        ownerAddress: owner,
        originChainId: f.chain(0).chainId,
        originTokenAddress: f.token(0, "USDC"),
        destinationChainId: f.chain(1).chainId,
        destinationTokenAddress: f.token(1, "USDC"),
        tradeType: TradeType.EXACT_INPUT,
        originTokenAmount: 1_000_000n,
      });
      const { receiptStates } = await t.trails.waitIntentReceipt({ intentId: intent.intentId });
      // Nothing will change for this quoted intent: the call holds until something ends it.
      const waiting = t.trails.waitIntentReceipt({
        intentId: intent.intentId,
        lastReceiptStates: receiptStates,
      });
      await new Promise((r) => setTimeout(r, 200));
      const stopped = t.stop();
      const answer = await waiting;
      expect(answer.done).toBe(false);
      expect(answer.receiptStates).toEqual(receiptStates);
      await stopped;
    },
    WAIT_LIMIT_MS / 2,
  );
});
