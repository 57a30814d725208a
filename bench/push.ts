/**
 * `npm run bench:push` (env STREAMS, default 1,000; EVENTS per round, default 400; RATE per
 * second, default 40): how fast a committed change reaches its listeners. The server runs in its
 * own process (devnet profile, PGlite; `DATABASE_URL=... npm run bench:push` for PostgreSQL);
 * this process holds the event streams and a webhook receiver.
 *
 * Each round makes EVENTS quotes through the Trails RPC at RATE a second, each for one of the
 * streams' owners: every quote commits one `intent.quoted` event. Latency is from the event's
 * `occurredAt` (the engine's clock when the unit of work that wrote it began, so an upper bound on
 * "from its commit") to its arrival at the stream filtered by its owner, and at a webhook
 * endpoint subscribed to every event. Rounds, side by side in one run: 1 stream open, then
 * STREAMS open. Memory per stream: the server's resident memory with MEMORY_STREAMS (4,000) open,
 * less with one, over the difference (each the least of five samples).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { TradeType, TrailsApi } from "@0xtrails/api";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { openStream, type SseStream } from "../test/support/sse.ts";
import { fmt, machine, percentile, startServer, stopOnSignal, table } from "./support.ts";

const STREAMS = Number(process.env.STREAMS ?? 1_000);
const EVENTS = Number(process.env.EVENTS ?? 400);
const RATE = Number(process.env.RATE ?? 40);
/** Streams open for the memory measure: more than STREAMS, so the growth shows above the noise. */
const MEMORY_STREAMS = Math.max(STREAMS, Number(process.env.MEMORY_STREAMS ?? 4_000));
const ADMIN = { authorization: "Bearer devnet-admin" };

const database = process.env.DATABASE_URL ? "PostgreSQL" : "PGlite";
const server = await startServer(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {});
stopOnSignal(server);
console.log(`bench:push on ${machine()}; server ${server.url} (${database})`);
const devnet = await server.devnet();
const [chainA, chainB] = devnet.chains;
if (!chainA || !chainB) throw new Error("the devnet needs two chains");
const usdc = (c: typeof chainA) => c.tokens.find((t) => t.symbol === "USDC")?.address as Address;
const route = {
  originChainId: chainA.chainId,
  originTokenAddress: usdc(chainA),
  destinationChainId: chainB.chainId,
  destinationTokenAddress: usdc(chainB),
};
const trails = new TrailsApi("", { hostname: server.url });

/** Webhook arrivals: sequence → ms after occurredAt. */
const webhookLatency = new Map<string, number>();
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => {
    body += c;
  });
  req.on("end", () => {
    const { data } = JSON.parse(body) as { data: { sequence: string; occurredAt: string } };
    webhookLatency.set(data.sequence, Date.now() - Date.parse(data.occurredAt));
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const hook = await fetch(`${server.url}/admin/webhooks`, {
  method: "POST",
  headers: { ...ADMIN, "content-type": "application/json" },
  body: JSON.stringify({
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    events: ["intent.quoted"],
  }),
});
if (hook.status !== 201) throw new Error(`webhook: ${await hook.text()}`);

interface Listener {
  owner: Address;
  stream: SseStream;
}

async function listen(): Promise<Listener> {
  const owner = privateKeyToAccount(generatePrivateKey()).address;
  const stream = await openStream(`${server.url}/events?owner=${owner}&types=intent.quoted`);
  if (stream.status !== 200) throw new Error(`stream: ${JSON.stringify(stream.error)}`);
  await stream.until(() => stream.comments.includes("live"));
  return { owner, stream };
}

/** One round: EVENTS quotes at RATE a second for the listeners' owners; latencies at streams and webhook. */
async function round(listeners: Listener[]) {
  const sseLatency: number[] = [];
  const sequences: string[] = [];
  const seen = new Map<SseStream, number>(listeners.map((l) => [l.stream, l.stream.events.length]));
  const started = Date.now();
  const quotes: Promise<void>[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const at = started + (i * 1000) / RATE;
    if (at > Date.now()) await sleep(at - Date.now());
    const listener = listeners[i % listeners.length] as Listener;
    quotes.push(
      trails
        .quoteIntent({
          ownerAddress: listener.owner,
          ...route,
          tradeType: TradeType.EXACT_INPUT,
          originTokenAmount: 1_000_000n,
        })
        .then(() => {}),
    );
  }
  await Promise.all(quotes);
  const want = new Map<SseStream, number>();
  listeners.forEach((l, i) => {
    const n = Math.floor(EVENTS / listeners.length) + (i < EVENTS % listeners.length ? 1 : 0);
    want.set(l.stream, (seen.get(l.stream) ?? 0) + n);
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && listeners.some((l) => l.stream.events.length < (want.get(l.stream) ?? 0)))
    await sleep(50);
  for (const l of listeners) {
    for (const e of l.stream.events.slice(seen.get(l.stream) ?? 0)) {
      sseLatency.push(e.receivedAt - Date.parse(e.data.occurredAt));
      sequences.push(e.id);
    }
  }
  while (Date.now() < deadline && sequences.some((s) => !webhookLatency.has(s))) await sleep(50);
  const hooks = sequences.flatMap((s) => (webhookLatency.has(s) ? [webhookLatency.get(s) as number] : []));
  return {
    sse: sseLatency,
    hooks,
    missing: EVENTS - sseLatency.length,
    hookMissing: sequences.length - hooks.length,
  };
}

const rows: string[][] = [];
const row = (streams: number, r: Awaited<ReturnType<typeof round>>) =>
  rows.push([
    String(streams),
    String(EVENTS),
    `${fmt(percentile(r.sse, 50))} / ${fmt(percentile(r.sse, 99))}`,
    `${fmt(percentile(r.hooks, 50))} / ${fmt(percentile(r.hooks, 99))}`,
    String(r.missing + r.hookMissing),
  ]);

/** Resident memory of the server, the least of a few samples (garbage comes and goes). */
async function settledRssMb(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await sleep(400);
    samples.push(server.rssMb() ?? Number.NaN);
  }
  return Math.min(...samples);
}

async function open(listeners: Listener[], total: number): Promise<void> {
  while (listeners.length < total) {
    listeners.push(await listen());
    if (listeners.length % 500 === 0) console.log(`  ${listeners.length} streams open`);
  }
}

const listeners = [await listen()];
// Warm-up: compiles the paths, fills caches.
await round(listeners);
row(1, await round(listeners));
const memory: [number, number][] = [[1, await settledRssMb()]];
await open(listeners, STREAMS);
memory.push([STREAMS, await settledRssMb()]);
row(STREAMS, await round(listeners));
await open(listeners, MEMORY_STREAMS);
memory.push([MEMORY_STREAMS, await settledRssMb()]);
for (const l of listeners) l.stream.close();
receiver.close();

console.log();
console.log(
  table(["open streams", "events", "stream ms p50 / p99", "webhook ms p50 / p99", "lost"], rows, [
    true,
    true,
    true,
    true,
    true,
  ]),
);
const [base, , most] = memory as [[number, number], [number, number], [number, number]];
console.log(
  `\nserver resident memory: ${memory.map(([n, mb]) => `${fmt(mb)} MB with ${n} streams`).join(", ")}: ` +
    `${fmt(((most[1] - base[1]) * 1024) / (most[0] - base[0]))} KB per open stream`,
);
console.log(
  `latency: from the event's occurredAt (the engine's clock as its unit of work began) to its arrival here; ${RATE} events/s`,
);
console.log(await server.stop());
