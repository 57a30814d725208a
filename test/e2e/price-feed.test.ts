import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TradeType } from "@0xtrails/api";
import { parse } from "jsonc-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { projectRoot } from "../../src/paths.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";

/** A price feed the test controls: the document it serves, or an error status. */
const feed = { doc: { weth: { usd: 2500 } } as unknown, status: 200 };
let server: Server;
let t: TestJunction;
let f: ReturnType<typeof flows>;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(feed.status, { "content-type": "application/json" });
    res.end(JSON.stringify(feed.doc));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prices`;
  // The devnet's configuration, with WETH priced by the feed on every chain.
  const config = parse(readFileSync(join(projectRoot, "config", "devnet.json"), "utf8")) as {
    chains: { tokens: { symbol: string; price: unknown }[] }[];
  };
  for (const chain of config.chains) {
    for (const token of chain.tokens) {
      if (token.symbol === "WETH")
        token.price = { source: "http", url, path: "weth.usd", pollSeconds: 1, maxAgeSeconds: 60 };
    }
  }
  const file = join(tmpdir(), `junction-price-feed-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(config));
  t = await startTestJunction({ JUNCTION_CONFIG: file });
  f = flows(t);
}, 120_000);
afterAll(async () => {
  await t?.stop();
  server?.close();
});

const quoteWeth = () =>
  t.trails.quoteIntent({
    ownerAddress: devnetAccount(2).address,
    originChainId: f.chain(0).chainId,
    originTokenAddress: f.token(0, "USDC"),
    destinationChainId: f.chain(1).chainId,
    destinationTokenAddress: f.token(1, "WETH"),
    tradeType: TradeType.EXACT_INPUT,
    originTokenAmount: 1_000_000_000n, // 1,000 USDC
  });

describe("a token priced by an HTTP feed", () => {
  it("is quoted at the feed's price, follows it, and is refused once the feed is older than its maximum age", async () => {
    const at2500 = (await quoteWeth()).intent.quote.toAmount;
    feed.doc = { weth: { usd: 4000 } };
    // The next poll (every second) brings the new price: 1,000 USDC buys less WETH.
    const at4000 = await until(
      async () => (await quoteWeth()).intent.quote.toAmount,
      (amount) => amount < at2500,
      "a quote at the new price",
      10_000,
    );
    // Fees aside, the amount scales with the price.
    expect(Number((at4000 * 1000n) / at2500) / 1000).toBeCloseTo(2500 / 4000, 2);
    const { tokenPrices } = await t.trails.getTokenPrices({
      tokens: [{ chainId: f.chain(1).chainId, tokenAddress: f.token(1, "WETH") }],
    });
    expect(tokenPrices[0]?.priceUsd).toBe(4000);

    // The feed breaks; its last good price stays usable until it is 60 s old.
    feed.status = 500;
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await quoteWeth()).intent.quote.toAmount).toBe(at4000);
    t.advanceClock(61_000);
    // Trails' own error: Unavailable (code 2002, which its schema answers with HTTP 400).
    await expect(quoteWeth()).rejects.toMatchObject({
      code: 2002,
      message: expect.stringMatching(/price of WETH .* older than/),
    });
    // Tokens of fixed price are quoted as before.
    await f.quotePayment(t.trails, devnetAccount(2).address);

    // The feed comes back: quotes resume.
    feed.status = 200;
    await until(
      async () =>
        quoteWeth().then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      "quotes once the feed answers again",
      10_000,
    );
  });
});
