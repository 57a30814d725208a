import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JunctionError } from "./errors.ts";
import type { Price, PricedToken } from "./price.ts";
import {
  checkBound,
  type GasCost,
  type GasFee,
  PPM,
  priceQuote,
  type Quote,
  type QuoteInput,
  quoteUsd,
  settleDeposit,
  slippageToPpm,
} from "./quote.ts";

// ---------------------------------------------------------------------------------------------
// Exact rational arithmetic (bigint numerator over a positive bigint denominator).
// ---------------------------------------------------------------------------------------------

interface Rat {
  n: bigint;
  d: bigint;
}

const rat = (n: bigint, d = 1n): Rat => {
  if (d <= 0n) throw new Error("denominator must be positive");
  return { n, d };
};
const add = (a: Rat, b: Rat): Rat => rat(a.n * b.d + b.n * a.d, a.d * b.d);
const mul = (a: Rat, b: Rat): Rat => rat(a.n * b.n, a.d * b.d);
const le = (a: Rat, b: Rat): boolean => a.n * b.d <= b.n * a.d;
const lt = (a: Rat, b: Rat): boolean => a.n * b.d < b.n * a.d;
const sum = (...xs: Rat[]): Rat => xs.reduce(add, rat(0n));

/** The exact USD value of `amount` base units of `token`. */
const usd = (amount: bigint, token: PricedToken): Rat =>
  rat(amount * token.price.num, token.price.den * 10n ** BigInt(token.decimals));

const BPS = 10_000n;

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const priceArb: fc.Arbitrary<Price> = fc.record({
  num: fc.bigInt({ min: 1n, max: 10n ** 12n }),
  den: fc.integer({ min: 0, max: 8 }).map((k) => 10n ** BigInt(k)),
});

const tokenArb: fc.Arbitrary<PricedToken> = fc.record({
  decimals: fc.integer({ min: 0, max: 24 }),
  price: priceArb,
});

const gasCostArb = (native: fc.Arbitrary<PricedToken>): fc.Arbitrary<GasCost> =>
  fc.record({
    gasLimit: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 7n })),
    gasPrice: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 12n })),
    native,
  });

const amountArb = fc.oneof(
  fc.bigInt({ min: 1n, max: 10n ** 30n }),
  // Spread over magnitudes so that both small and huge amounts show up often.
  fc.tuple(fc.integer({ min: 0, max: 30 }), fc.bigInt({ min: 1n, max: 10n ** 6n })).map(([k, m]) => {
    const a = (m * 10n ** BigInt(k)) / 10n ** 6n;
    return a < 1n ? 1n : a > 10n ** 30n ? 10n ** 30n : a;
  }),
);

const quoteInputArb: fc.Arbitrary<QuoteInput> = fc
  .record({
    tradeType: fc.constantFrom("EXACT_INPUT" as const, "EXACT_OUTPUT" as const),
    amount: amountArb,
    from: tokenArb,
    to: tokenArb,
    originNative: tokenArb,
    destinationNative: tokenArb,
    sameNative: fc.boolean(),
    protocolFeeBps: fc.integer({ min: 0, max: 1000 }),
    slippagePpm: fc.bigInt({ min: 0n, max: 500_000n }),
  })
  .chain((r) =>
    fc
      .tuple(
        gasCostArb(fc.constant(r.originNative)),
        gasCostArb(fc.constant(r.sameNative ? r.originNative : r.destinationNative)),
      )
      .map(
        ([originGas, destinationGas]): QuoteInput => ({
          tradeType: r.tradeType,
          amount: r.amount,
          from: r.from,
          to: r.to,
          originGas,
          destinationGas,
          protocolFeeBps: r.protocolFeeBps,
          slippagePpm: r.slippagePpm,
        }),
      ),
  );

const NUM_RUNS = 1000;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** The exact native cost of a gas step converted to origin-token base units, as a rational. */
function gasInOrigin(cost: GasCost, from: PricedToken): Rat {
  // usd(nativeCost) / usd(1 origin unit)
  const v = usd(cost.gasLimit * cost.gasPrice, cost.native);
  const unit = usd(1n, from);
  return rat(v.n * unit.d, v.d * unit.n);
}

/**
 * Prices the quote; when it refuses with invalid_argument, checks that the refusal is justified
 * (EXACT_INPUT, and the exact net of fees is worth less than one destination unit) and returns
 * undefined. Any other throw fails the property.
 */
function tryQuote(input: QuoteInput): Quote | undefined {
  try {
    return priceQuote(input);
  } catch (err) {
    expect(err).toBeInstanceOf(JunctionError);
    expect((err as JunctionError).kind).toBe("invalid_argument");
    expect(input.tradeType).toBe("EXACT_INPUT");
    const gas =
      ceilRat(gasInOrigin(input.originGas, input.from)) +
      ceilRat(gasInOrigin(input.destinationGas, input.from));
    const protocolFee = ceilRat(rat(input.amount * BigInt(input.protocolFeeBps), BPS));
    const net = input.amount - gas - protocolFee;
    // value(net) < value(1 destination unit): the net of fees does not buy a single unit.
    expect(lt(usd(net, input.from), usd(1n, input.to))).toBe(true);
    return undefined;
  }
}

function ceilRat(r: Rat): bigint {
  if (r.n <= 0n) return -(-r.n / r.d);
  return (r.n + r.d - 1n) / r.d;
}

function gasUsd(fee: GasFee, cost: GasCost): Rat {
  return usd(fee.nativeCost, cost.native);
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

describe("priceQuote properties", () => {
  it("refuses only EXACT_INPUT amounts whose net of fees is worth less than one destination unit", () => {
    let priced = 0;
    let refused = 0;
    fc.assert(
      fc.property(quoteInputArb, (input) => {
        if (tryQuote(input)) priced++;
        else refused++;
      }),
      { numRuns: NUM_RUNS },
    );
    // The generators must exercise both paths, mostly the priced one.
    expect(priced).toBeGreaterThan(NUM_RUNS / 2);
    expect(refused).toBeGreaterThan(0);
  });

  it("(a) the solver never pays more than the deposit it keeps is worth", () => {
    fc.assert(
      fc.property(quoteInputArb, (input) => {
        const q = tryQuote(input);
        if (!q) return;
        const deposit = usd(q.fromAmountMin, input.from);
        const exactProtocolFee = mul(deposit, rat(BigInt(input.protocolFeeBps), BPS));
        const paid = sum(
          usd(q.toAmount, input.to),
          gasUsd(q.originGas, input.originGas),
          gasUsd(q.destinationGas, input.destinationGas),
          exactProtocolFee,
        );
        expect(le(paid, deposit)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("(b) the user never receives less than toAmountMin", () => {
    fc.assert(
      fc.property(quoteInputArb, (input) => {
        const q = tryQuote(input);
        if (!q) return;
        expect(q.tradeType).toBe(input.tradeType);
        expect(q.toAmount >= q.toAmountMin).toBe(true);
        expect(q.toAmountMin >= 0n).toBe(true);
        if (input.tradeType === "EXACT_OUTPUT") {
          expect(q.toAmount).toBe(input.amount);
          expect(q.toAmountMin).toBe(q.toAmount);
        } else {
          expect(q.fromAmount).toBe(input.amount);
          expect(q.fromAmountMin).toBe(input.amount);
          expect(q.toAmount > 0n).toBe(true);
          expect(q.toAmountMin >= (q.toAmount * (PPM - input.slippagePpm)) / PPM).toBe(true);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("(c) EXACT_INPUT delivers the most the net buys; EXACT_OUTPUT slippage stays within bounds", () => {
    fc.assert(
      fc.property(quoteInputArb, (input) => {
        const q = tryQuote(input);
        if (!q) return;
        if (input.tradeType === "EXACT_INPUT") {
          const net = input.amount - q.originGas.tokenAmount - q.destinationGas.tokenAmount - q.protocolFee;
          expect(net > 0n).toBe(true);
          const netUsd = usd(net, input.from);
          expect(le(usd(q.toAmount, input.to), netUsd)).toBe(true);
          expect(lt(netUsd, usd(q.toAmount + 1n, input.to))).toBe(true);
        } else {
          expect(q.fromAmount >= q.fromAmountMin).toBe(true);
          expect(q.fromAmount * PPM <= q.fromAmountMin * (PPM + input.slippagePpm) + PPM).toBe(true);
          // And slippage is at least applied: fromAmount ≥ fromAmountMin × (1 + slippage).
          expect(q.fromAmount * PPM >= q.fromAmountMin * (PPM + input.slippagePpm)).toBe(true);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("(d) gas fees in the origin token round up, by less than one unit", () => {
    fc.assert(
      fc.property(quoteInputArb, (input) => {
        const q = tryQuote(input);
        if (!q) return;
        const unit = usd(1n, input.from);
        for (const [fee, cost] of [
          [q.originGas, input.originGas],
          [q.destinationGas, input.destinationGas],
        ] as const) {
          expect(fee.gasLimit).toBe(cost.gasLimit);
          expect(fee.gasPrice).toBe(cost.gasPrice);
          expect(fee.nativeCost).toBe(cost.gasLimit * cost.gasPrice);
          expect(fee.tokenAmount >= 0n).toBe(true);
          const owed = usd(fee.nativeCost, cost.native);
          expect(le(owed, mul(rat(fee.tokenAmount), unit))).toBe(true);
          if (fee.tokenAmount > 0n) expect(lt(mul(rat(fee.tokenAmount - 1n), unit), owed)).toBe(true);
          if (fee.nativeCost === 0n) expect(fee.tokenAmount).toBe(0n);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("(e) totalFee adds up and the protocol fee covers its exact share", () => {
    fc.assert(
      fc.property(quoteInputArb, (input) => {
        const q = tryQuote(input);
        if (!q) return;
        const bps = BigInt(input.protocolFeeBps);
        expect(q.totalFee).toBe(q.originGas.tokenAmount + q.destinationGas.tokenAmount + q.protocolFee);
        expect(q.protocolFee >= 0n).toBe(true);
        if (input.tradeType === "EXACT_INPUT") {
          expect(q.protocolFee).toBe((input.amount * bps + BPS - 1n) / BPS);
        } else {
          expect(q.protocolFee * BPS >= q.fromAmountMin * bps).toBe(true);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------

const USDC: PricedToken = { decimals: 6, price: { num: 1n, den: 1n } };
const ETH: PricedToken = { decimals: 18, price: { num: 3000n, den: 1n } };
const GWEI = 1_000_000_000n;
const gas: GasCost = { gasLimit: 100_000n, gasPrice: GWEI, native: ETH };

const usdcToUsdc = (tradeType: QuoteInput["tradeType"], amount: bigint): QuoteInput => ({
  tradeType,
  amount,
  from: USDC,
  to: USDC,
  originGas: gas,
  destinationGas: gas,
  protocolFeeBps: 10,
  slippagePpm: 5000n,
});

describe("priceQuote examples", () => {
  // 100 000 gas × 1 gwei = 10^14 wei = 0.0001 ETH = $0.30 = 300 000 USDC units, on each chain.
  const gasFee = { gasLimit: 100_000n, gasPrice: GWEI, nativeCost: 10n ** 14n, tokenAmount: 300_000n };

  it("EXACT_INPUT 100 USDC → USDC", () => {
    const q = priceQuote(usdcToUsdc("EXACT_INPUT", 100_000_000n));
    expect(q).toEqual({
      tradeType: "EXACT_INPUT",
      fromAmount: 100_000_000n,
      fromAmountMin: 100_000_000n,
      // 100 − 0.30 − 0.30 − 0.10 (10 bps of 100)
      toAmount: 99_300_000n,
      // 99.3 × 0.995
      toAmountMin: 98_803_500n,
      originGas: gasFee,
      destinationGas: gasFee,
      protocolFee: 100_000n,
      totalFee: 700_000n,
    });
  });

  it("EXACT_OUTPUT 100 USDC → USDC", () => {
    const q = priceQuote(usdcToUsdc("EXACT_OUTPUT", 100_000_000n));
    // base + gas = 100 600 000; gross up by 10 bps: ceil(100 600 000 × 10 000 / 9 990) = 100 700 701.
    // fromAmount = ceil(100 700 701 × 1.005) = ceil(101 204 204.505) = 101 204 205.
    expect(q).toEqual({
      tradeType: "EXACT_OUTPUT",
      fromAmount: 101_204_205n,
      fromAmountMin: 100_700_701n,
      toAmount: 100_000_000n,
      toAmountMin: 100_000_000n,
      originGas: gasFee,
      destinationGas: gasFee,
      protocolFee: 100_701n,
      totalFee: 700_701n,
    });
  });

  it("EXACT_INPUT USDC → ETH rounds the delivery down", () => {
    const q = priceQuote({
      tradeType: "EXACT_INPUT",
      amount: 3_000_000_000n, // 3000 USDC
      from: USDC,
      to: ETH,
      originGas: { gasLimit: 0n, gasPrice: 0n, native: ETH },
      destinationGas: gas,
      protocolFeeBps: 0,
      slippagePpm: 0n,
    });
    // 3000 − 0.30 = 2999.70 USDC → 0.9999 ETH.
    expect(q.toAmount).toBe(999_900_000_000_000_000n);
    expect(q.toAmountMin).toBe(q.toAmount);
    expect(q.totalFee).toBe(300_000n);
    expect(q.originGas.tokenAmount).toBe(0n);
  });

  it("gas fees round up to a whole origin unit", () => {
    // 1 wei of ETH at $3000 is 3·10^-15 USDC units: still charged one unit.
    const q = priceQuote({
      ...usdcToUsdc("EXACT_INPUT", 100_000_000n),
      originGas: { gasLimit: 1n, gasPrice: 1n, native: ETH },
      destinationGas: { gasLimit: 0n, gasPrice: GWEI, native: ETH },
      protocolFeeBps: 0,
    });
    expect(q.originGas.tokenAmount).toBe(1n);
    expect(q.destinationGas.tokenAmount).toBe(0n);
    expect(q.toAmount).toBe(99_999_999n);
  });

  it("refuses an amount that does not cover the fees", () => {
    expect(() => priceQuote(usdcToUsdc("EXACT_INPUT", 600_000n))).toThrowError(
      expect.objectContaining({ name: "JunctionError", kind: "invalid_argument" }),
    );
    // One unit above the fees (gas 600 000 + fee ceil(600 602 × 10 / 10 000) = 601) buys one unit.
    expect(priceQuote(usdcToUsdc("EXACT_INPUT", 600_602n)).toAmount).toBe(1n);
  });

  it("refuses a zero or negative amount", () => {
    for (const tradeType of ["EXACT_INPUT", "EXACT_OUTPUT"] as const) {
      for (const amount of [0n, -1n]) {
        expect(() => priceQuote(usdcToUsdc(tradeType, amount))).toThrowError(
          expect.objectContaining({ name: "JunctionError", kind: "invalid_argument" }),
        );
      }
    }
  });

  it("quoteUsd shows the quote in dollars", () => {
    const q = priceQuote(usdcToUsdc("EXACT_INPUT", 100_000_000n));
    expect(quoteUsd(q, USDC, USDC)).toEqual({
      fromAmountUsd: 100,
      fromAmountMinUsd: 100,
      toAmountUsd: 99.3,
      toAmountMinUsd: 98.8035,
      originGasUsd: 0.3,
      destinationGasUsd: 0.3,
      protocolFeeUsd: 0.1,
      totalFeeUsd: 0.7,
    });
  });
});

describe("slippageToPpm", () => {
  it("converts a decimal fraction to parts per million", () => {
    expect(slippageToPpm(0.005)).toBe(5000n);
    expect(slippageToPpm(0)).toBe(0n);
    expect(slippageToPpm(0.5)).toBe(500_000n);
    expect(slippageToPpm(0.0001)).toBe(100n);
  });

  it.each([-0.001, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5000001, 1])(
    "refuses %s",
    (fraction) => {
      expect(() => slippageToPpm(fraction)).toThrowError(
        expect.objectContaining({ name: "JunctionError", kind: "invalid_argument" }),
      );
    },
  );
});

describe("settleDeposit", () => {
  const quote = { fromAmount: 1_005n, fromAmountMin: 1_000n };

  it("does not fill a deposit below fromAmountMin", () => {
    expect(settleDeposit(quote, 0n)).toEqual({ fill: false, shortBy: 1_000n });
    expect(settleDeposit(quote, 999n)).toEqual({ fill: false, shortBy: 1n });
  });

  it("keeps the whole deposit between fromAmountMin and fromAmount", () => {
    expect(settleDeposit(quote, 1_000n)).toEqual({ fill: true, keep: 1_000n, excess: 0n });
    expect(settleDeposit(quote, 1_003n)).toEqual({ fill: true, keep: 1_003n, excess: 0n });
    expect(settleDeposit(quote, 1_005n)).toEqual({ fill: true, keep: 1_005n, excess: 0n });
  });

  it("keeps fromAmount and returns the rest above it", () => {
    expect(settleDeposit(quote, 1_006n)).toEqual({ fill: true, keep: 1_005n, excess: 1n });
    expect(settleDeposit(quote, 5_000n)).toEqual({ fill: true, keep: 1_005n, excess: 3_995n });
  });

  it("always accounts for the whole balance", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        fc.bigInt({ min: 0n, max: 2n * 10n ** 30n }),
        (min, extra, balance) => {
          const r = settleDeposit({ fromAmountMin: min, fromAmount: min + extra }, balance);
          if (balance < min) {
            expect(r).toEqual({ fill: false, shortBy: min - balance });
          } else {
            if (!r.fill) throw new Error("expected a fill");
            expect(r.keep + r.excess).toBe(balance);
            expect(r.keep >= min && r.keep <= min + extra).toBe(true);
            expect(r.excess >= 0n).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("checkBound", () => {
  const quote = (tradeType: "EXACT_INPUT" | "EXACT_OUTPUT") =>
    ({ tradeType, fromAmount: 105n, toAmount: 100n }) as Parameters<typeof checkBound>[0];

  it("EXACT_OUTPUT: the deposit may not exceed the most the client will spend", () => {
    expect(() =>
      checkBound(quote("EXACT_OUTPUT"), { amount: 105n, field: "originTokenAmount" }),
    ).not.toThrow();
    expect(() => checkBound(quote("EXACT_OUTPUT"), { amount: 104n, field: "originTokenAmount" })).toThrow(
      /^originTokenAmount: the quote needs a deposit of 105, fees included, more than the 104/,
    );
  });

  it("EXACT_INPUT: what is delivered may not fall under the least the client must receive", () => {
    expect(() =>
      checkBound(quote("EXACT_INPUT"), { amount: 100n, field: "destinationTokenAmount" }),
    ).not.toThrow();
    expect(() => checkBound(quote("EXACT_INPUT"), { amount: 101n, field: "destinationTokenAmount" })).toThrow(
      /^destinationTokenAmount: the quote delivers 100, less than the 101/,
    );
  });

  it("no bound, no check", () => {
    expect(() => checkBound(quote("EXACT_OUTPUT"), undefined)).not.toThrow();
  });
});
