import fc from "fast-check";
import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { testPlan, USDC } from "../../../test/support/plans.ts";
import type { TxStatus } from "../tx.ts";
import { balanceKey, decideIntent, type IntentFacts, plannedTxKey } from "./decide.ts";
import { depositSalt, type IntentPlan } from "./plan.ts";
import {
  isRetirable,
  type QuoteUse,
  type RetainedQuote,
  retiredPlan,
  retirementCutoff,
} from "./retirement.ts";
import { type Stage, stageNames } from "./stages.ts";
import { type IntentStatus, intentStatuses } from "./status.ts";

const NOW = new Date("2026-11-27T12:00:00Z");
const DAY_MS = 86_400_000;
const RETENTION = 7;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

const unused = (overrides: Partial<QuoteUse> = {}): QuoteUse => ({
  status: "QUOTED",
  stage: "quoted",
  quoteExpiresAt: daysAgo(RETENTION + 1),
  deposited: false,
  transacted: false,
  ...overrides,
});

describe("which quotes are retired", () => {
  it("a quote never committed, with nothing at its address, expired the retention ago or more", () => {
    expect(isRetirable(unused(), NOW, RETENTION)).toBe(true);
    expect(isRetirable(unused({ quoteExpiresAt: daysAgo(RETENTION) }), NOW, RETENTION)).toBe(true);
  });

  it("not one that expired less than the retention ago, nor one still open", () => {
    const justShort = new Date(daysAgo(RETENTION).getTime() + 1);
    expect(isRetirable(unused({ quoteExpiresAt: justShort }), NOW, RETENTION)).toBe(false);
    expect(isRetirable(unused({ quoteExpiresAt: new Date(NOW.getTime() + 60_000) }), NOW, RETENTION)).toBe(
      false,
    );
  });

  it("not one that saw a deposit or a transaction, even if still QUOTED and in the quoted stage", () => {
    expect(isRetirable(unused({ deposited: true }), NOW, RETENTION)).toBe(false);
    expect(isRetirable(unused({ transacted: true }), NOW, RETENTION)).toBe(false);
    // A deposit before a commit moves the stage on (to its refund) even while the status is QUOTED.
    expect(isRetirable(unused({ stage: "refund" }), NOW, RETENTION)).toBe(false);
  });

  it("never an intent that was committed or aborted, whatever else holds", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...intentStatuses.filter((s) => s !== "QUOTED")),
        fc.constantFrom(...stageNames),
        fc.integer({ min: 0, max: 10_000 }),
        (status: IntentStatus, stage: Stage, days) => {
          const q = unused({ status, stage, quoteExpiresAt: daysAgo(days) });
          expect(isRetirable(q, NOW, RETENTION)).toBe(false);
        },
      ),
    );
  });

  it("the cutoff is the retention before now", () => {
    expect(retirementCutoff(NOW, RETENTION)).toEqual(daysAgo(RETENTION));
  });
});

const OTHER_CHAIN = 2;
const NATIVE = "0x0000000000000000000000000000000000000000" as Address;

/** A quoted plan whose salt is the real one, as a quote has it. */
function quotedPlan(): IntentPlan {
  const plan = testPlan({
    intentId: `0x${"11".repeat(32)}`,
    depositAddress: "0x00000000000000000000000000000000000000d4",
  });
  return { ...plan, salt: depositSalt(plan.intentId, plan.owner, plan.from.address) };
}

/** The columns an intent's row keeps of its plan (as inserted at quote time). */
const retainedOf = (plan: IntentPlan): RetainedQuote => ({
  intentId: plan.intentId,
  owner: plan.owner,
  tradeType: plan.tradeType,
  originChainId: plan.from.chainId,
  originToken: plan.from.address,
  depositAddress: plan.depositAddress,
  destinationChainId: plan.to.chainId,
  destinationToken: plan.to.address,
  recipient: plan.recipient,
  fromAmount: plan.quote.fromAmount,
  fromAmountMin: plan.quote.fromAmountMin,
  toAmount: plan.quote.toAmount,
  toAmountMin: plan.quote.toAmountMin,
  createdAt: new Date(plan.createdAt),
  quoteExpiresAt: new Date(plan.expiresAt),
});

describe("a retired quote's plan", () => {
  const plan = quotedPlan();
  const retired = retiredPlan(retainedOf(plan));

  it("is exact in everything returning its deposit reads, and in the amounts", () => {
    const money = (p: IntentPlan) => ({
      intentId: p.intentId,
      owner: p.owner,
      from: [p.from.chainId, p.from.address],
      to: [p.to.chainId, p.to.address],
      depositAddress: p.depositAddress,
      salt: p.salt,
      recipient: p.recipient,
      amounts: [p.quote.fromAmount, p.quote.fromAmountMin, p.quote.toAmount, p.quote.toAmountMin],
    });
    expect(money(retired)).toEqual(money(plan));
  });

  /**
   * Whatever happens at the address after retirement, the engine decides exactly as it would have
   * with the whole plan: the same refunds, to the same owner, from the same address.
   */
  it("leads to the same decisions as the whole plan, whatever arrives at the deposit address", () => {
    const amount = fc.bigInt({ min: 0n, max: 200n });
    const holdings = [
      { chainId: plan.from.chainId, asset: USDC },
      { chainId: plan.from.chainId, asset: NATIVE },
      { chainId: OTHER_CHAIN, asset: USDC },
    ];
    const where = fc.constantFrom(...holdings);
    // Every balance a rule may read, at both heights.
    const balances = fc.tuple(
      ...holdings.flatMap((h) =>
        (["confirmed", "latest"] as const).map((at) => amount.map((v) => [balanceKey(h, at), v] as const)),
      ),
    );
    const txStatus = fc.constantFrom<TxStatus>("pending", "mined", "reverted", "dropped");
    fc.assert(
      fc.property(
        fc.constantFrom<IntentStatus>("QUOTED", "REFUNDED", "ABORTED"),
        fc.constantFrom<Stage>("quoted", "refund", "watch"),
        balances,
        fc.array(fc.tuple(where, txStatus), { maxLength: 3 }),
        fc.array(where, { maxLength: 2 }),
        fc.boolean(),
        (status, stage, held, refunds, strays, filledOnChain) => {
          const facts = (p: IntentPlan): IntentFacts => ({
            now: NOW,
            intent: {
              status,
              stage,
              statusReason: null,
              quoteExpiresAt: new Date(plan.expiresAt),
              commitExpiresAt: null,
              destinationCallSucceeded: null,
              retriedAt: null,
              plan: p,
            },
            txs: refunds.map(([h, txState], i) => ({
              id: String(i),
              kind: "refund",
              chainId: h.chainId,
              asset: h.asset,
              status: txState,
              hash: `0x${String(i).padStart(64, "0")}`,
              createdAt: daysAgo(1),
            })),
            tracked: Object.fromEntries(refunds.map(([, txState], i) => [String(i), { status: txState }])),
            balances: Object.fromEntries(held),
            simulations: Object.fromEntries(
              holdings.map((h) => [plannedTxKey({ kind: "refund", ...h }), { ok: true, gas: 60_000n }]),
            ),
            strays,
            filledOnChain,
            commitLifetimeSeconds: 600,
          });
          expect(decideIntent(facts(retired))).toEqual(decideIntent(facts(plan)));
        },
      ),
    );
  });
});
