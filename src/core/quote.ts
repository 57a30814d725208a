import { JunctionError } from "./errors.ts";
import { ceilDiv, convert, type PricedToken, usdValue } from "./price.ts";

export type TradeType = "EXACT_INPUT" | "EXACT_OUTPUT";

/** Slippage is carried in parts per million: 0.005 → 5000. */
export const PPM = 1_000_000n;
const BPS = 10_000n;

/** What one on-chain step costs: gas at a price, paid in the chain's native coin. */
export interface GasCost {
  gasLimit: bigint;
  /** wei per gas */
  gasPrice: bigint;
  native: PricedToken;
}

export interface QuoteInput {
  tradeType: TradeType;
  /** The fixed side: origin amount for EXACT_INPUT, destination amount for EXACT_OUTPUT. */
  amount: bigint;
  from: PricedToken;
  to: PricedToken;
  /** The sweep on the origin chain. */
  originGas: GasCost;
  /** The fill (and destination call) on the destination chain. */
  destinationGas: GasCost;
  protocolFeeBps: number;
  slippagePpm: bigint;
}

export interface GasFee {
  gasLimit: bigint;
  gasPrice: bigint;
  /** gasLimit × gasPrice, in the native coin's base units. */
  nativeCost: bigint;
  /** What the user pays for it, in the origin token, rounded up. */
  tokenAmount: bigint;
}

export interface Quote {
  tradeType: TradeType;
  /** What the user is asked to deposit. */
  fromAmount: bigint;
  /** The least deposit that is filled; below it the deposit is refunded. */
  fromAmountMin: bigint;
  /** What the solver delivers on the destination chain. */
  toAmount: bigint;
  /** The least the user accepts (slippage applied); never above `toAmount`. */
  toAmountMin: bigint;
  originGas: GasFee;
  destinationGas: GasFee;
  /** In the origin token. */
  protocolFee: bigint;
  /** originGas + destinationGas + protocolFee, in the origin token. */
  totalFee: bigint;
}

function gasFee(cost: GasCost, paidIn: PricedToken): GasFee {
  const nativeCost = cost.gasLimit * cost.gasPrice;
  return {
    gasLimit: cost.gasLimit,
    gasPrice: cost.gasPrice,
    nativeCost,
    tokenAmount: convert(nativeCost, cost.native, paidIn, "up"),
  };
}

/**
 * Prices a trade. Every rounding keeps both promises: the deposit the solver keeps is worth at
 * least what it delivers plus its gas and the protocol fee (conversions into what the solver
 * pays round down, fees and required inputs round up), and the user receives `toAmount`, which
 * is never below `toAmountMin`.
 */
export function priceQuote(input: QuoteInput): Quote {
  if (input.amount <= 0n) throw new JunctionError("invalid_argument", "amount must be positive");
  const originGas = gasFee(input.originGas, input.from);
  const destinationGas = gasFee(input.destinationGas, input.from);
  const gas = originGas.tokenAmount + destinationGas.tokenAmount;
  const bps = BigInt(input.protocolFeeBps);
  const fees = { originGas, destinationGas };

  if (input.tradeType === "EXACT_INPUT") {
    const fromAmount = input.amount;
    const protocolFee = ceilDiv(fromAmount * bps, BPS);
    const net = fromAmount - gas - protocolFee;
    const toAmount = net > 0n ? convert(net, input.from, input.to, "down") : 0n;
    if (toAmount <= 0n) {
      throw new JunctionError(
        "invalid_argument",
        `originTokenAmount ${fromAmount} does not cover the fees (${gas + protocolFee} in the origin token); send more`,
      );
    }
    const toAmountMin = (toAmount * (PPM - input.slippagePpm)) / PPM;
    return {
      tradeType: input.tradeType,
      fromAmount,
      fromAmountMin: fromAmount,
      toAmount,
      toAmountMin,
      ...fees,
      protocolFee,
      totalFee: gas + protocolFee,
    };
  }

  const toAmount = input.amount;
  const base = convert(toAmount, input.to, input.from, "up");
  // The protocol fee is a share of the deposit, so gross up: min × (1 − bps) ≥ base + gas.
  const fromAmountMin = ceilDiv((base + gas) * BPS, BPS - bps);
  const protocolFee = fromAmountMin - base - gas;
  const fromAmount = ceilDiv(fromAmountMin * (PPM + input.slippagePpm), PPM);
  return {
    tradeType: input.tradeType,
    fromAmount,
    fromAmountMin,
    toAmount,
    toAmountMin: toAmount,
    ...fees,
    protocolFee,
    totalFee: gas + protocolFee,
  };
}

/** Display values of a quote in USD (floating point: never fed back into an amount). */
export function quoteUsd(quote: Quote, from: PricedToken, to: PricedToken) {
  return {
    fromAmountUsd: usdValue(quote.fromAmount, from),
    fromAmountMinUsd: usdValue(quote.fromAmountMin, from),
    toAmountUsd: usdValue(quote.toAmount, to),
    toAmountMinUsd: usdValue(quote.toAmountMin, to),
    originGasUsd: usdValue(quote.originGas.tokenAmount, from),
    destinationGasUsd: usdValue(quote.destinationGas.tokenAmount, from),
    protocolFeeUsd: usdValue(quote.protocolFee, from),
    totalFeeUsd: usdValue(quote.totalFee, from),
  };
}

/** The slippage a request gets when it names none: 0.5 %, as in Trails' API documentation. */
export const DEFAULT_SLIPPAGE = 0.005;

/** Trails' decimal slippage fraction (0.005 = 0.5 %) in parts per million. */
export function slippageToPpm(fraction: number): bigint {
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 0.5) {
    throw new JunctionError(
      "invalid_argument",
      "options.slippageTolerance must be a decimal fraction between 0 and 0.5 (0.005 = 0.5%)",
    );
  }
  return BigInt(Math.round(fraction * 1_000_000));
}

/**
 * How a deposit of `balance` is handled: below `fromAmountMin` it cannot be filled; otherwise
 * `fromAmount` at most is kept (swept) and anything above it goes back to the owner.
 */
export function settleDeposit(
  quote: Pick<Quote, "fromAmount" | "fromAmountMin">,
  balance: bigint,
): { fill: true; keep: bigint; excess: bigint } | { fill: false; shortBy: bigint } {
  if (balance < quote.fromAmountMin) return { fill: false, shortBy: quote.fromAmountMin - balance };
  const keep = balance < quote.fromAmount ? balance : quote.fromAmount;
  return { fill: true, keep, excess: balance - keep };
}

/**
 * The other side's amount a client may send beside the fixed one: for EXACT_OUTPUT the most it will
 * deposit (a wallet sends the payer's balance), for EXACT_INPUT the least it must receive. `field`
 * is the request field it came in, which a refusal names.
 */
export interface QuoteBound {
  amount: bigint;
  field: string;
}

/** Refuses a quote outside the client's bound, saying what the quote needs. */
export function checkBound(quote: Quote, bound: QuoteBound | undefined): void {
  if (!bound) return;
  if (quote.tradeType === "EXACT_OUTPUT" && quote.fromAmount > bound.amount) {
    throw new JunctionError(
      "invalid_argument",
      `${bound.field}: the quote needs a deposit of ${quote.fromAmount}, fees included, more than the ${bound.amount} given as the most to spend; ask for less, or allow more`,
    );
  }
  if (quote.tradeType === "EXACT_INPUT" && quote.toAmount < bound.amount) {
    throw new JunctionError(
      "invalid_argument",
      `${bound.field}: the quote delivers ${quote.toAmount}, less than the ${bound.amount} given as the least to receive; deposit more, or accept less`,
    );
  }
}
