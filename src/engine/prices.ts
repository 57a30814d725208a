import type { Token } from "../chains/registry.ts";
import { JunctionError } from "../core/errors.ts";

/**
 * Refuses work priced with a token whose feed has not answered within its maximum age: a quote on
 * a stale price could pay out more than it takes in. Fixed prices never go stale.
 */
export function requireFreshPrices(tokens: readonly Token[], now: Date): void {
  for (const token of tokens) {
    const feed = token.price.feed;
    if (!feed) continue;
    const updated = token.price.updatedAt;
    const ageSeconds = updated ? Math.floor((now.getTime() - updated.getTime()) / 1000) : null;
    if (ageSeconds !== null && ageSeconds <= feed.maxAgeSeconds) continue;
    throw new JunctionError(
      "unavailable",
      `the price of ${token.symbol} on chain ${token.chainId} is ${ageSeconds === null ? "not known yet" : `${ageSeconds} s old`}, ` +
        `older than its feed's maxAgeSeconds (${feed.maxAgeSeconds}); quotes that need it resume once the feed answers`,
    );
  }
}
