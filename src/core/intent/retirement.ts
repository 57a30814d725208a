import { type Address, type Hex, zeroAddress } from "viem";
import type { GasFee, TradeType } from "../quote.ts";
import { depositSalt, type IntentPlan, type PlanToken } from "./plan.ts";
import type { Stage } from "./stages.ts";
import type { IntentStatus } from "./status.ts";

/**
 * Unused quotes are retired. A quote that expired without a commit and without anything sent to
 * its deposit address keeps, once the retention has passed, only its row's columns: its plan
 * (prices, fees, a destination call, the client's request, gasless fee options: most of its bytes)
 * is dropped. The row itself stays, deposit address included, because money may still arrive
 * there: the watcher finds it as before, and returning it needs only what the columns hold (the
 * intent id, the owner and the token, which with the factory fix the deposit address, and the
 * chains). A retired quote is no longer shown to clients.
 */

const DAY_MS = 86_400_000;

/** What says whether a quote was ever used, from its row and what was recorded for it. */
export interface QuoteUse {
  status: IntentStatus;
  stage: Stage;
  quoteExpiresAt: Date;
  /** A transfer into its deposit address was seen, on any chain. */
  deposited: boolean;
  /** The engine recorded a transaction for it. */
  transacted: boolean;
}

/** Quotes that expired at or before this are past the retention at `now`. */
export function retirementCutoff(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * DAY_MS);
}

/**
 * Whether the quote may be retired at `now`: never committed nor aborted (QUOTED, and still in the
 * quoted stage, which a deposit would have moved on), nothing seen at its address and nothing sent
 * for it, expired at least `retentionDays` ago.
 */
export function isRetirable(q: QuoteUse, now: Date, retentionDays: number): boolean {
  return (
    q.status === "QUOTED" &&
    q.stage === "quoted" &&
    !q.deposited &&
    !q.transacted &&
    q.quoteExpiresAt <= retirementCutoff(now, retentionDays)
  );
}

/** What a retired quote keeps: its row's columns. */
export interface RetainedQuote {
  intentId: Hex;
  owner: Address;
  tradeType: TradeType;
  originChainId: number;
  originToken: Address;
  depositAddress: Address;
  destinationChainId: number;
  destinationToken: Address;
  recipient: Address;
  fromAmount: bigint;
  fromAmountMin: bigint;
  toAmount: bigint;
  toAmountMin: bigint;
  createdAt: Date;
  quoteExpiresAt: Date;
}

const noGas: GasFee = { gasLimit: 0n, gasPrice: 0n, nativeCost: 0n, tokenAmount: 0n };

/** A token as a retired plan names it: its chain and address; its listing details were not kept. */
const keptToken = (chainId: number, address: Address): PlanToken => ({
  chainId,
  address,
  symbol: "",
  decimals: 0,
  native: address === zeroAddress,
  priceUsd: "0",
});

/**
 * A retired quote's plan, rebuilt from what it kept: exact in everything a refund reads (the intent
 * id, the owner, the origin token and chain, the destination chain, the deposit address and its
 * salt) and in the amounts; what was dropped reads as nothing (no prices, no fees, no destination
 * call, no request, no fee options). Retired quotes are never shown to clients nor filled, so none
 * of that is rendered or paid. Not revivable: only a FAILED intent revives, and a quote never
 * committed cannot fail.
 */
export function retiredPlan(q: RetainedQuote): IntentPlan {
  return {
    intentId: q.intentId,
    owner: q.owner,
    tradeType: q.tradeType,
    from: keptToken(q.originChainId, q.originToken),
    to: keptToken(q.destinationChainId, q.destinationToken),
    depositAddress: q.depositAddress,
    salt: depositSalt(q.intentId, q.owner, q.originToken),
    recipient: q.recipient,
    call: null,
    slippagePpm: 0n,
    quote: {
      tradeType: q.tradeType,
      fromAmount: q.fromAmount,
      fromAmountMin: q.fromAmountMin,
      toAmount: q.toAmount,
      toAmountMin: q.toAmountMin,
      originGas: noGas,
      destinationGas: noGas,
      protocolFee: 0n,
      totalFee: 0n,
    },
    feeOptions: [],
    originNativeUsd: "0",
    destinationNativeUsd: "0",
    request: {},
    createdAt: q.createdAt.toISOString(),
    expiresAt: q.quoteExpiresAt.toISOString(),
  };
}
