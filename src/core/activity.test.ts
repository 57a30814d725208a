import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { activitySince, type MinedFill, summarizeActivity } from "./activity.ts";
import type { PlanToken } from "./intent/plan.ts";
import type { Quote } from "./quote.ts";

const USDC_A = "0x00000000000000000000000000000000000000a1" as Address;
const USDC_B = "0x00000000000000000000000000000000000000b1" as Address;
const usdc = (chainId: number, address: Address): PlanToken => ({
  chainId,
  address,
  symbol: "USDC",
  decimals: 6,
  native: false,
  priceUsd: "1.00",
});
const gas = (tokenAmount: bigint) => ({ gasLimit: 0n, gasPrice: 0n, nativeCost: 0n, tokenAmount });
const quote = (fromAmount: bigint): Quote => ({
  tradeType: "EXACT_OUTPUT",
  fromAmount,
  fromAmountMin: fromAmount - 1_000n,
  toAmount: fromAmount - 60_000n,
  toAmountMin: fromAmount - 60_000n,
  originGas: gas(20_000n),
  destinationGas: gas(30_000n),
  protocolFee: 10_000n,
  totalFee: 60_000n,
});
const now = new Date("2026-11-27T12:30:10Z");
const at = (iso: string) => new Date(`2026-11-27T${iso}Z`);
const fill = (fromAmount: bigint, over: Partial<MinedFill> = {}): MinedFill => ({
  plan: { from: usdc(1, USDC_A), to: usdc(2, USDC_B), quote: quote(fromAmount) },
  deposited: fromAmount,
  confirmedAt: at("12:20:00"),
  minedAt: at("12:20:01.500"),
  relayFee: null,
  ...over,
});
const tokens = [
  { ...usdc(1, USDC_A), priceUsd: "1.00" },
  { ...usdc(2, USDC_B), priceUsd: "1.00" },
];

describe("activitySince", () => {
  it("starts the window on a bucket boundary so that the last bucket holds now", () => {
    expect(activitySince("1h", now).toISOString()).toBe("2026-11-27T11:32:00.000Z");
    expect(activitySince("24h", now).toISOString()).toBe("2026-11-26T13:00:00.000Z");
    expect(activitySince("1h", at("12:30:00")).toISOString()).toBe("2026-11-27T11:32:00.000Z");
  });
});

describe("summarizeActivity", () => {
  it("sums each origin token's fees and the slippage allowance deposits brought; an excess is no fee", () => {
    const a = summarizeActivity({
      window: "1h",
      now,
      fills: [
        fill(1_060_000n),
        fill(2_060_000n, { deposited: 2_059_400n }),
        fill(1_060_000n, { deposited: 5_000_000n }),
        // Deposits not recorded: only the quoted fees count, never more.
        fill(1_060_000n, { deposited: 0n }),
      ],
      tokens,
    });
    expect(a.fees).toEqual([
      {
        chainId: 1,
        token: USDC_A,
        symbol: "USDC",
        decimals: 6,
        protocol: 40_000n,
        gas: 200_000n,
        // 1,000 (all of it) + 400 + 1,000 (the excess went back) + 0.
        slippageKept: 2_400n,
        earned: 242_400n,
        earnedUsd: 0.2424,
      },
    ]);
  });

  it("counts a gasless deposit's relayer fee as gas charged in its token; prices no unknown token", () => {
    const stranger = "0x00000000000000000000000000000000000000cc" as Address;
    const a = summarizeActivity({
      window: "1h",
      now,
      fills: [
        fill(1_060_000n, {
          relayFee: { token: USDC_A.toUpperCase().replace("0X", "0x") as Address, amount: 7_000n },
        }),
        fill(1_060_000n, { relayFee: { token: stranger, amount: 5n } }),
      ],
      tokens,
    });
    expect(a.fees.map((f) => [f.symbol, f.gas, f.earned, f.earnedUsd])).toEqual([
      ["?", 5n, 5n, 0],
      ["USDC", 107_000n, 129_000n, 0.129],
    ]);
  });

  it("puts each fill in the bucket of its mining, with volume at the quoted price and latency", () => {
    const a = summarizeActivity({
      window: "1h",
      now,
      fills: [
        fill(1_060_000n, { confirmedAt: at("12:29:00"), minedAt: at("12:29:01") }),
        fill(2_060_000n, { confirmedAt: at("12:29:30"), minedAt: at("12:29:33") }),
        fill(1_060_000n, { confirmedAt: null, minedAt: at("11:33:00") }),
        // Before the window: the store does not read it, and it is not counted if given.
        fill(9_060_000n, { minedAt: at("11:31:59") }),
      ],
      tokens,
    });
    expect(a.buckets).toHaveLength(30);
    expect(a.bucketMs).toBe(120_000);
    const [first] = a.buckets;
    expect(first).toEqual({
      start: at("11:32:00"),
      fills: 1,
      volumeUsd: 1,
      latencyP50Ms: null,
      latencyMaxMs: null,
    });
    expect(a.buckets.at(-1)).toEqual({
      start: at("12:30:00"),
      fills: 0,
      volumeUsd: 0,
      latencyP50Ms: null,
      latencyMaxMs: null,
    });
    expect(a.buckets.at(-2)).toEqual({
      start: at("12:28:00"),
      fills: 2,
      volumeUsd: 3,
      latencyP50Ms: 1_000,
      latencyMaxMs: 3_000,
    });
    expect(a.buckets.reduce((n, b) => n + b.fills, 0)).toBe(3);
    expect([a.latencyP50Ms, a.latencyP95Ms]).toEqual([1_000, 3_000]);
    expect(a.fees[0]?.protocol).toBe(30_000n);
  });

  it("an empty window has empty buckets and no latency", () => {
    const a = summarizeActivity({ window: "7d", now, fills: [], tokens });
    expect(a.buckets).toHaveLength(28);
    expect(a.buckets.every((b) => b.fills === 0 && b.latencyP50Ms === null)).toBe(true);
    expect([a.fees, a.latencyP50Ms, a.latencyP95Ms]).toEqual([[], null, null]);
  });
});
