import type { Address } from "viem";
import type { IntentPlan } from "./intent/plan.ts";
import { percentile } from "./percentile.ts";
import { parsePrice, usdValue } from "./price.ts";
import type { Quote } from "./quote.ts";

/** The spans the operator page charts, each cut into buckets small enough to read a trend. */
export const activityWindows = {
  "1h": { ms: 3_600_000, bucketMs: 120_000 },
  "24h": { ms: 86_400_000, bucketMs: 3_600_000 },
  "7d": { ms: 604_800_000, bucketMs: 21_600_000 },
} as const;
export type ActivityWindow = keyof typeof activityWindows;

/** A fill mined in the window, with what the intent's deposit brought. */
export interface MinedFill {
  plan: Pick<IntentPlan, "from" | "to" | "quote">;
  /** What had arrived at the deposit address when the fill was mined (a fill keeps up to `fromAmount`). */
  deposited: bigint;
  /** When the deposit was confirmed, or null when that was not recorded. */
  confirmedAt: Date | null;
  minedAt: Date;
  /** A gasless deposit's fee to the relayer, in the token its signature named. */
  relayFee: { token: Address; amount: bigint } | null;
}

/** A token as the summary prices it: at its price now, which is what the fees it holds are worth. */
export interface ActivityToken {
  chainId: number;
  address: Address;
  symbol: string;
  decimals: number;
  priceUsd: string;
}

/**
 * What Junction took in one token: the quotes' fees, and for exact-output quotes the part of the
 * slippage allowance the deposit brought (a fill keeps the deposit up to the quoted amount, and
 * the quoted fees are reckoned on the least deposit it fills).
 */
export interface FeeLine {
  chainId: number;
  token: Address;
  symbol: string;
  decimals: number;
  protocol: bigint;
  /** Gas charged in quotes (sweep and fill) and by the relayer of gasless deposits. */
  gas: bigint;
  /** What fills kept of their deposits beyond the least that is filled (`fromAmountMin`). */
  slippageKept: bigint;
  earned: bigint;
  earnedUsd: number;
}

export interface ActivityBucket {
  start: Date;
  fills: number;
  /** The USD value delivered, at the prices quoted. */
  volumeUsd: number;
  /** Deposit confirmed → fill mined, of this bucket's fills with both times; null when none. */
  latencyP50Ms: number | null;
  latencyMaxMs: number | null;
}

export interface Activity {
  since: Date;
  bucketMs: number;
  fees: FeeLine[];
  buckets: ActivityBucket[];
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

/** What a fill kept of `deposited` beyond the least it fills: the excess over `fromAmount` went back. */
function keptBeyondMin(quote: Pick<Quote, "fromAmount" | "fromAmountMin">, deposited: bigint): bigint {
  if (deposited <= quote.fromAmountMin) return 0n;
  return (deposited < quote.fromAmount ? deposited : quote.fromAmount) - quote.fromAmountMin;
}

const key = (chainId: number, token: string) => `${chainId}:${token.toLowerCase()}`;

/** Where `window`'s first bucket starts: buckets are aligned, and the last one holds `now`. */
export function activitySince(window: ActivityWindow, now: Date): Date {
  const { ms, bucketMs } = activityWindows[window];
  return new Date((Math.floor(now.getTime() / bucketMs) + 1) * bucketMs - ms);
}

/**
 * Fees earned, volume and fill latency over `window` ending at `now`, from the fills mined in it.
 * Fees are grouped by token and valued at `tokens`' prices; a fee in a token not listed (one no
 * longer configured) is left out of the USD total, never guessed.
 */
export function summarizeActivity(input: {
  window: ActivityWindow;
  now: Date;
  fills: readonly MinedFill[];
  tokens: readonly ActivityToken[];
}): Activity {
  const { ms, bucketMs } = activityWindows[input.window];
  const since = activitySince(input.window, input.now);
  const fees = new Map<string, FeeLine>();
  const line = (chainId: number, token: Address, symbol: string, decimals: number): FeeLine => {
    const k = key(chainId, token);
    const found = fees.get(k);
    if (found) return found;
    const fresh = {
      chainId,
      token,
      symbol,
      decimals,
      protocol: 0n,
      gas: 0n,
      slippageKept: 0n,
      earned: 0n,
      earnedUsd: 0,
    };
    fees.set(k, fresh);
    return fresh;
  };
  const buckets = Array.from({ length: ms / bucketMs }, (_, i) => ({
    start: new Date(since.getTime() + i * bucketMs),
    fills: 0,
    volumeUsd: 0,
    latencies: [] as number[],
  }));
  const byKey = new Map(input.tokens.map((t) => [key(t.chainId, t.address), t]));
  const latencies: number[] = [];
  for (const fill of input.fills) {
    const bucket = buckets[Math.floor((fill.minedAt.getTime() - since.getTime()) / bucketMs)];
    if (!bucket) continue;
    const { from, to, quote } = fill.plan;
    const fee = line(from.chainId, from.address, from.symbol, from.decimals);
    fee.protocol += quote.protocolFee;
    fee.gas += quote.originGas.tokenAmount + quote.destinationGas.tokenAmount;
    fee.slippageKept += keptBeyondMin(quote, fill.deposited);
    if (fill.relayFee) {
      const token = byKey.get(key(from.chainId, fill.relayFee.token));
      const relay = line(from.chainId, fill.relayFee.token, token?.symbol ?? "?", token?.decimals ?? 0);
      relay.gas += fill.relayFee.amount;
    }
    bucket.fills += 1;
    bucket.volumeUsd += usdValue(quote.toAmount, { decimals: to.decimals, price: parsePrice(to.priceUsd) });
    if (fill.confirmedAt) {
      const latency = Math.max(0, fill.minedAt.getTime() - fill.confirmedAt.getTime());
      bucket.latencies.push(latency);
      latencies.push(latency);
    }
  }
  for (const fee of fees.values()) {
    fee.earned = fee.protocol + fee.gas + fee.slippageKept;
    const token = byKey.get(key(fee.chainId, fee.token));
    fee.earnedUsd = token
      ? usdValue(fee.earned, { decimals: token.decimals, price: parsePrice(token.priceUsd) })
      : 0;
  }
  return {
    since,
    bucketMs,
    fees: [...fees.values()].sort((a, b) => a.chainId - b.chainId || a.symbol.localeCompare(b.symbol)),
    buckets: buckets.map(({ latencies: list, ...rest }) => ({
      ...rest,
      latencyP50Ms: percentile(list, 50),
      latencyMaxMs: percentile(list, 100),
    })),
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
  };
}
