import { TradeType, WebrpcError } from "@0xtrails/api";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";

/**
 * Deadlines, by moving the engine's clock (its one source of time) forward instead of waiting:
 * this file has a Junction of its own so no other test sees the jump.
 */
let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction();
  f = flows(t);
});
afterAll(() => t?.stop());

const USER = 2;
const user = devnetAccount(USER).address;

const advanceClock = (ms: number) => t.advanceClock(ms);

const quoteUsdc = (amount: bigint) => ({
  ownerAddress: user,
  originChainId: f.chain(0).chainId,
  originTokenAddress: f.token(0, "USDC"),
  destinationChainId: f.chain(1).chainId,
  destinationTokenAddress: f.token(1, "USDC"),
  tradeType: TradeType.EXACT_INPUT,
  originTokenAmount: amount,
});

describe("deadlines and stray deposits", () => {
  it("a deposit in the wrong token is refunded, and the intent still completes with the right one", async () => {
    const weth = f.token(0, "WETH");
    const usdc = f.token(0, "USDC");
    const { intent } = await t.trails.quoteIntent(quoteUsdc(25_000_000n));
    await t.trails.commitIntent({ intent });
    const wethBefore = await f.balance(0, weth, user);
    await f.transfer(0, USER, weth, intent.originIntentAddress as Address, 10n ** 15n);
    for (let i = 0; i < 100 && (await f.balance(0, weth, user)) !== wethBefore; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await f.balance(0, weth, user)).toBe(wethBefore);
    expect((await t.trails.getIntent({ intentId: intent.intentId })).intent.status).toBe("COMMITTED");
    const hash = await f.transfer(0, USER, usdc, intent.originIntentAddress as Address, 25_000_000n);
    await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    expect((await f.waitFinal(t.trails, intent.intentId)).status).toBe("SUCCEEDED");
  });

  it("7a. an expired quote cannot be committed, and nothing is reserved", async () => {
    const { intent } = await t.trails.quoteIntent(quoteUsdc(30_000_000n));
    advanceClock((t.junction.ctx.config.quoteLifetimeSeconds + 1) * 1000);
    const err = await t.trails.commitIntent({ intent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebrpcError);
    expect((err as WebrpcError).code).toBe(7001);
    const row = await t.db
      .selectFrom("intents")
      .select(["status", "reserved"])
      .where("id", "=", intent.intentId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: "QUOTED", reserved: false });
  });

  it("a committed intent with no deposit fails after the commit lifetime; a later deposit is refunded", async () => {
    const usdc = f.token(0, "USDC");
    const { intent } = await t.trails.quoteIntent(quoteUsdc(15_000_000n));
    await t.trails.commitIntent({ intent });
    advanceClock((t.junction.ctx.config.commitLifetimeSeconds + 1) * 1000);
    const failed = await f.waitStatus(t.trails, intent.intentId, "FAILED");
    expect(failed.summary.memo).toMatch(/no deposit within/);
    const reserved = await t.db
      .selectFrom("intents")
      .select("reserved")
      .where("id", "=", intent.intentId)
      .executeTakeFirstOrThrow();
    expect(reserved.reserved).toBe(false);

    const before = await f.balance(0, usdc, user);
    await f.transfer(0, USER, usdc, intent.originIntentAddress as Address, 15_000_000n);
    const refunded = await f.waitStatus(t.trails, intent.intentId, "REFUNDED");
    expect(refunded.originTransaction.toAddress).toBe(user);
    expect(await f.balance(0, usdc, user)).toBe(before);
  });
});
