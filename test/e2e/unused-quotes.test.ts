import { TradeType, WebrpcError } from "@0xtrails/api";
import { type Address, parseEther, zeroAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { intentTxs } from "../../src/store/chain-txs.ts";
import { depositsOf } from "../../src/store/deposits.ts";
import { findIntent, type IntentRow, isRetired } from "../../src/store/intents.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";

/**
 * Unused quotes are retired after the retention, and money sent to one later still goes back to its
 * owner. The engine's clock jumps days ahead here: this file has a Junction of its own.
 */
let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction();
  f = flows(t);
});
afterAll(() => t?.stop());

const USER = 5;
const user = devnetAccount(USER).address;
const A = 0;
const DAY_MS = 86_400_000;

async function quote(amount: bigint) {
  const { intent } = await t.trails.quoteIntent({
    ownerAddress: user,
    originChainId: f.chain(A).chainId,
    originTokenAddress: f.token(A, "USDC"),
    destinationChainId: f.chain(1).chainId,
    destinationTokenAddress: f.token(1, "USDC"),
    tradeType: TradeType.EXACT_INPUT,
    originTokenAmount: amount,
  });
  return intent;
}

/** Moves the engine's clock past every quote made so far and the retention; retirement runs at once. */
function pastRetention(): void {
  const { quoteLifetimeSeconds, retention } = t.junction.ctx.config;
  t.advanceClock(quoteLifetimeSeconds * 1000 + retention.unusedQuoteDays * DAY_MS + 60_000);
}

async function row(id: string): Promise<IntentRow> {
  const found = await findIntent(t.db, id);
  if (!found) throw new Error(`intent ${id} has no row`);
  return found;
}

const refunds = async (id: string) => (await intentTxs(t.db, id)).filter((tx) => tx.kind === "refund");

const retired = (id: string) => until(() => row(id), isRetired, `intent ${id} to be retired`, 10_000);

describe("unused quotes", () => {
  it("a quote committed, or paid before a commit, is never retired; one never used is", async () => {
    const committed = await quote(10_000_000n);
    await t.trails.commitIntent({ intent: committed });
    const paid = await quote(11_000_000n);
    // Paid while only quoted: kept for the quote's lifetime, then refunded.
    await f.transfer(A, USER, f.token(A, "USDC"), paid.originIntentAddress as Address, 11_000_000n);
    await until(
      () => depositsOf(t.db, paid.intentId),
      (d) => d.length > 0,
      "the deposit to be seen",
    );
    const unused = await quote(12_000_000n);
    pastRetention();
    await retired(unused.intentId);
    await f.waitStatus(t.trails, paid.intentId, "REFUNDED");
    await f.waitStatus(t.trails, committed.intentId, "FAILED");
    // Once more, after both ended: a later quote is retired, these two are not.
    const later = await quote(13_000_000n);
    pastRetention();
    await retired(later.intentId);
    for (const intent of [committed, paid]) {
      expect(isRetired(await row(intent.intentId))).toBe(false);
      expect((await t.trails.getIntent({ intentId: intent.intentId })).intent.intentId).toBe(intent.intentId);
    }
  });

  it("a retired quote is not found, but money sent to its address later goes back to its owner", async () => {
    const usdc = f.token(A, "USDC");
    const intent = await quote(20_000_000n);
    const address = intent.originIntentAddress as Address;
    pastRetention();
    const kept = await retired(intent.intentId);
    expect([kept.status, kept.deposit_address]).toEqual(["QUOTED", address]);
    const err = await t.trails.getIntent({ intentId: intent.intentId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebrpcError);
    expect((err as WebrpcError).code).toBe(8000);

    // Native coin first, found by the watcher's scan of transactions with value: a stray, returned.
    await f.transfer(A, USER, zeroAddress, address, parseEther("0.01"));
    await until(
      () => refunds(intent.intentId),
      (txs) => txs.some((tx) => tx.asset === zeroAddress && tx.status === "mined"),
      "the native coin to go back",
    );
    expect(await f.balance(A, zeroAddress, address)).toBe(0n);
    // Then the token the quote was for.
    const before = await f.balance(A, usdc, user);
    await f.transfer(A, USER, usdc, address, 20_000_000n);
    await until(
      () => row(intent.intentId),
      (r) => r.status === "REFUNDED",
      "the refund of the deposit to a retired quote",
    );
    expect(await f.balance(A, usdc, address)).toBe(0n);
    expect(await f.balance(A, usdc, user)).toBe(before);
  });
});
