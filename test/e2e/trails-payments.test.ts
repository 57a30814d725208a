import { TradeType } from "@0xtrails/api";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows } from "../support/trails-flow.ts";

let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction();
  f = flows(t);
});
afterAll(() => t?.stop());

const USER = 1;
const user = devnetAccount(USER).address;

describe("payments through the real Trails client", () => {
  it("1. USDC on chain A → USDC on chain B, exact input", async () => {
    const recipient = freshAddress();
    const usdcA = f.token(0, "USDC");
    const usdcB = f.token(1, "USDC");
    const { intent } = await t.trails.quoteIntent({
      ownerAddress: user,
      originChainId: f.chain(0).chainId,
      originTokenAddress: usdcA,
      destinationChainId: f.chain(1).chainId,
      destinationTokenAddress: usdcB,
      destinationToAddress: recipient,
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: 100_000_000n,
    });
    expect(intent.depositTransaction.amount).toBe(100_000_000n);
    expect(intent.quote.toAmount).toBeLessThan(100_000_000n);
    expect(intent.quote.toAmountMin).toBeLessThanOrEqual(intent.quote.toAmount);
    const { intentId } = await t.trails.commitIntent({ intent });
    const before = await f.balance(0, usdcA, user);
    const hash = await f.transfer(
      0,
      USER,
      usdcA,
      intent.depositTransaction.toAddress as `0x${string}`,
      100_000_000n,
    );
    const executed = await t.trails.executeIntent({ intentId, depositTransactionHash: hash });
    expect(executed.intentStatus).toBe("EXECUTING");
    const receipt = await f.waitDone(t.trails, intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    expect(await f.balance(1, usdcB, recipient)).toBe(intent.quote.toAmount);
    expect(before - (await f.balance(0, usdcA, user))).toBe(100_000_000n);
    expect(await f.balance(0, usdcA, intent.originIntentAddress as `0x${string}`)).toBe(0n);
    expect(receipt.destinationTransaction?.status).toBe("SUCCEEDED");
    expect(receipt.originTransaction.status).toBe("SUCCEEDED");
    expect(receipt.depositTransaction.txnHash).toBe(hash);
  });
});
