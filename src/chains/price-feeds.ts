import type { Logger } from "pino";
import type { ChainRegistry, Token } from "./registry.ts";

/** How long one read of a feed may take. */
const READ_TIMEOUT_MS = 5_000;

/**
 * The value at `path` (dot-separated keys and array indexes) in `doc` as a price: a positive
 * number, or a string of one. Null when there is none.
 */
export function priceAt(doc: unknown, path: string): string | null {
  let node: unknown = doc;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object") return null;
    node = (node as Record<string, unknown>)[key];
  }
  const value = typeof node === "string" ? Number(node) : node;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) return null;
  // A plain decimal (the form prices are configured in), never exponent notation.
  return value.toFixed(12).replace(/\.?0+$/, "");
}

type Fetch = (
  url: string,
  init: { signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** Reads one feed into every token that uses it; a failed read leaves their last good price. */
async function readFeed(
  url: string,
  tokens: Token[],
  now: () => Date,
  log: Logger,
  get: Fetch,
): Promise<void> {
  try {
    const res = await get(url, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = await res.json();
    for (const token of tokens) {
      const path = token.price.feed?.path ?? "";
      const usd = priceAt(doc, path);
      if (usd === null) {
        log.warn(
          { url, path, token: token.symbol, chainId: token.chainId, alert: "price_feed" },
          "the price feed has no price at the token's path",
        );
        continue;
      }
      token.price.usd = usd;
      token.price.updatedAt = now();
    }
  } catch (err) {
    log.warn(
      { err, url, alert: "price_feed" },
      "price feed read failed; the last good prices stay until they are too old",
    );
  }
}

/**
 * Polls every token's price feed (each URL once per round, however many tokens read it), at the
 * shortest interval its tokens ask. Resolves once every feed has been read once; returns a stop.
 */
export async function startPriceFeeds(
  registry: ChainRegistry,
  now: () => Date,
  log: Logger,
  get: Fetch = fetch,
): Promise<() => void> {
  const byUrl = new Map<string, Token[]>();
  for (const token of registry.allTokens()) {
    const feed = token.price.feed;
    if (feed) byUrl.set(feed.url, [...(byUrl.get(feed.url) ?? []), token]);
  }
  const timers = [...byUrl].map(([url, tokens]) => {
    const everyMs = Math.min(...tokens.map((t) => t.price.feed?.pollSeconds ?? 30)) * 1000;
    const timer = setInterval(() => void readFeed(url, tokens, now, log, get), everyMs);
    timer.unref();
    return timer;
  });
  await Promise.all([...byUrl].map(([url, tokens]) => readFeed(url, tokens, now, log, get)));
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
