/**
 * A price as an exact fraction, USD per whole token, so that no amount ever passes through a
 * floating-point number on its way to a promise.
 */
export interface Price {
  num: bigint;
  den: bigint;
}

/** "3000.25" → 300025/100. The config schema has already checked the form. */
export function parsePrice(decimal: string): Price {
  const [whole = "0", fraction = ""] = decimal.split(".");
  return { num: BigInt(whole + fraction), den: 10n ** BigInt(fraction.length) };
}

/** A token as far as pricing goes. */
export interface PricedToken {
  decimals: number;
  price: Price;
}

/** A token priced at a configured decimal USD price. */
export const pricedToken = (decimals: number, usd: string): PricedToken => ({
  decimals,
  price: parsePrice(usd),
});

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/**
 * `amount` base units of `from` expressed in base units of `to` at the two USD prices, rounded
 * the way `rounding` says (the caller picks the direction that keeps its promise).
 */
export function convert(amount: bigint, from: PricedToken, to: PricedToken, rounding: "down" | "up"): bigint {
  const num = amount * from.price.num * to.price.den * 10n ** BigInt(to.decimals);
  const den = from.price.den * to.price.num * 10n ** BigInt(from.decimals);
  return rounding === "down" ? num / den : ceilDiv(num, den);
}

/**
 * The USD value of `amount` base units, exact to the millionth of a dollar (truncated), for
 * display only: the one way Junction computes USD, never fed back into an amount.
 */
export function usdValue(amount: bigint, token: PricedToken): number {
  const micros = (amount * token.price.num * 1_000_000n) / (token.price.den * 10n ** BigInt(token.decimals));
  return Number(micros) / 1_000_000;
}

export { ceilDiv };
