/**
 * `npm run bench:idle` (env MEASURE_SECONDS per measure, default 20; LONG_POLLS, default 1,000): what a
 * Junction costs while nothing happens, and while many clients wait on it. Two servers, one after
 * the other, on the devnet (1 s blocks, PGlite; `DATABASE_URL=...` for PostgreSQL): one following
 * new blocks by polling each chain's head (`JUNCTION_FOLLOW_HEADS=polling`), one by the nodes'
 * `newHeads` subscriptions. For each: the server's CPU (user + system, as a share of one core)
 * over SECONDS with nothing to do and nobody asking; then with a committed intent that waits for
 * its deposit and a Ping every 100 ms; then the same with LONG_POLLS WaitIntentReceipt long-polls
 * held open on that intent. The Pings measure how long a plain request takes (p50 / p99 / max),
 * beside a bare Fastify route in this process.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { TradeType, TrailsApi } from "@0xtrails/api";
import Fastify from "fastify";
import type { Address } from "viem";
import {
  cpuSeconds,
  fmt,
  machine,
  percentile,
  type Server,
  startServer,
  stopOnSignal,
  table,
} from "./support.ts";

const SECONDS = Number(process.env.MEASURE_SECONDS ?? 20);
const LONG_POLLS = Number(process.env.LONG_POLLS ?? 1_000);
const database = process.env.DATABASE_URL ? "PostgreSQL" : "PGlite";

/** A bare route, for what a request costs with nothing behind it, measured in the same run. */
const bare = Fastify();
bare.post("/rpc/Trails/Ping", async () => ({ version: "bare" }));
const bareUrl = await bare.listen({ port: 0, host: "127.0.0.1" });

/** Pings `url` every 100 ms while `during` runs; the latencies, ms. */
async function pingsDuring(url: string, during: Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  let running = true;
  void during.finally(() => {
    running = false;
  });
  while (running) {
    const started = performance.now();
    const res = await fetch(`${url}/rpc/Trails/Ping`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await res.text();
    times.push(performance.now() - started);
    await sleep(100);
  }
  return times;
}

/** The server's CPU over SECONDS as a share of one core, %, and the Pings meanwhile (if `ping`). */
async function measure(server: Server, ping = true) {
  const before = cpuSeconds(server.pid);
  const window = sleep(SECONDS * 1000);
  const [pings, barePings] = ping
    ? await Promise.all([pingsDuring(server.url, window), pingsDuring(bareUrl, window)])
    : [[], [], await window];
  const cpu = ((cpuSeconds(server.pid) - before) / SECONDS) * 100;
  return { cpu, pings, barePings };
}

/** A committed intent nobody pays, and its receipt's states now: what a waiting client holds. */
async function waitingIntent(server: Server) {
  const devnet = await server.devnet();
  const [a, b] = devnet.chains;
  if (!a || !b) throw new Error("the devnet needs two chains");
  const usdc = (c: typeof a) => c.tokens.find((t) => t.symbol === "USDC")?.address as Address;
  const trails = new TrailsApi("", { hostname: server.url });
  const { intent } = await trails.quoteIntent({
    ownerAddress: devnet.accounts[1]?.address as Address,
    originChainId: a.chainId,
    originTokenAddress: usdc(a),
    destinationChainId: b.chainId,
    destinationTokenAddress: usdc(b),
    tradeType: TradeType.EXACT_INPUT,
    originTokenAmount: 10_000_000n,
  });
  await trails.commitIntent({ intent });
  const { receiptStates } = await trails.waitIntentReceipt({ intentId: intent.intentId });
  return { intentId: intent.intentId, receiptStates };
}

/** LONG_POLLS WaitIntentReceipt calls held open; resolves once the server holds them all. */
async function holdLongPolls(server: Server, body: string, signal: AbortSignal): Promise<Promise<unknown>[]> {
  const held = Array.from({ length: LONG_POLLS }, () =>
    fetch(`${server.url}/rpc/Trails/WaitIntentReceipt`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal,
    })
      .then((r) => r.text())
      .catch(() => undefined),
  );
  await sleep(3_000);
  return held;
}

const rows: string[][] = [];
/** A latency figure, or a dash for a measure taken without Pings. */
const ms = (values: number[], at: (v: number[]) => number) => (values.length > 0 ? fmt(at(values), 1) : "–");
const row = (mode: string, what: string, m: Awaited<ReturnType<typeof measure>>) =>
  rows.push([
    mode,
    what,
    fmt(m.cpu, 1),
    ms(m.pings, (v) => percentile(v, 50)),
    ms(m.pings, (v) => percentile(v, 99)),
    ms(m.pings, (v) => Math.max(...v)),
    ms(m.barePings, (v) => percentile(v, 50)),
    ms(m.barePings, (v) => percentile(v, 99)),
  ]);

console.log(`bench:idle on ${machine()}; ${database}; ${SECONDS} s per measure, ${LONG_POLLS} long-polls`);
for (const mode of ["polling", "subscription"]) {
  const server = await startServer({
    JUNCTION_FOLLOW_HEADS: mode,
    JUNCTION_LONG_POLLS_PER_CLIENT: String(LONG_POLLS + 10),
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
  stopOnSignal(server);
  try {
    await sleep(5_000);
    row(mode, "idle, nothing asked", await measure(server, false));
    const { intentId, receiptStates } = await waitingIntent(server);
    await sleep(5_000);
    row(mode, "an intent waiting, Pings", await measure(server));
    const stop = new AbortController();
    const held = await holdLongPolls(
      server,
      JSON.stringify({ intentId, lastReceiptStates: receiptStates }),
      stop.signal,
    );
    row(mode, `${LONG_POLLS} long-polls open`, await measure(server));
    stop.abort();
    await Promise.all(held);
  } finally {
    await server.stop();
  }
}
await bare.close();

console.log(
  table(
    ["heads by", "while", "server CPU % of a core", "Ping p50 ms", "p99", "max", "bare route p50 ms", "p99"],
    rows,
    [false, false, true, true, true, true, true, true],
  ),
);
