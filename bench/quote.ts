/**
 * `npm run bench:quote`: QuoteIntent throughput and latency of the server, beside a bare route.
 *
 * The server runs as its own process (`src/main.ts`, devnet profile, PGlite in a throwaway directory,
 * JSON logs) exactly as `npm start` runs it, once per mining mode (env MINING, default
 * "auto,interval"): on automine no block comes during the run, so every cache stays warm; on
 * interval mining (1 s blocks) blocks come and payments flow meanwhile (PAYERS accounts, default 4,
 * each paying across chains back to back through the Trails API). Each mode also loads a bare
 * Fastify route in a process of its own (`bench/bare-route.ts`) with the same body and shapes, in
 * the same run, as the floor any HTTP server on this machine pays. Autocannon, in this process, POSTs one QuoteIntent
 * (100 USDC on chain 900001 → USDC on chain 900002, EXACT_INPUT) at fixed rates on loopback, 10 s
 * per rate. Every answered quote is a real quote: it is priced and recorded as a QUOTED intent.
 *
 * Two load shapes per rate, because autocannon holds a rate by letting each connection send its
 * share of a second's requests back to back from the start of each second:
 * - paced: 20 single-connection autocannon instances, started 50 ms apart, each at rate/20: the
 *   requests of a second arrive spread over it, as independent clients' would;
 * - bursts: one instance with 10 connections (autocannon's usual shape): each second's requests
 *   arrive at once, 10 at a time, so latency includes queueing behind the burst.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { TradeType, TrailsApi } from "@0xtrails/api";
// @ts-expect-error autocannon ships no types; the little used here is typed as `Autocannon` below.
import autocannonUntyped from "autocannon";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  erc20Abi,
  type Hex,
  http,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { projectRoot } from "../src/paths.ts";
import {
  cpuSeconds,
  type DevnetInfo,
  fmt,
  machine,
  percentile,
  type Server,
  startServer,
  stopOnSignal,
  table,
} from "./support.ts";

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
}
interface Instance extends Promise<AutocannonResult> {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
  connections: number;
  overallRate: number;
  duration: number;
}) => Instance;
const autocannon = autocannonUntyped as Autocannon;

const RATES = (process.env.RATES ?? "100,250,500,1000").split(",").map(Number);
const MINING = (process.env.MINING ?? "auto,interval").split(",");
const PAYERS = Number(process.env.PAYERS ?? 4);
const DURATION_S = Number(process.env.DURATION ?? 10);
const WARMUP = 50;
const SHAPES = {
  paced: { instances: 20, connections: 1 },
  bursts: { instances: 1, connections: 10 },
} as const;
type Shape = keyof typeof SHAPES;

interface Row {
  shape: Shape;
  rate: number;
  achieved: number;
  latencies: number[];
  errors: number;
  non2xx: number;
  cpu: number;
  rss: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Drives `rate` requests/s of `shape` for DURATION_S; records every response's latency. */
async function load(
  server: Server,
  shape: Shape,
  rate: number,
  request: { url: string; headers: Record<string, string>; body: string },
): Promise<Row> {
  const { instances, connections } = SHAPES[shape];
  const latencies: number[] = [];
  let non2xx = 0;
  const cpuBefore = cpuSeconds(server.pid);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: instances }, async (_, i) => {
      await sleep((i * 1000) / instances);
      const instance = autocannon({
        ...request,
        method: "POST",
        connections,
        overallRate: rate / instances,
        duration: DURATION_S,
      });
      instance.on("response", (_client, status, _bytes, ms) => {
        latencies.push(ms);
        if (status < 200 || status > 299) non2xx++;
      });
      return instance;
    }),
  );
  // Each instance runs DURATION_S from its own start: the rate is per instance-second, summed.
  const seconds = results.reduce((sum, r) => sum + r.duration, 0) / results.length;
  return {
    shape,
    rate,
    achieved: latencies.length / seconds,
    latencies,
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
    non2xx,
    cpu: (cpuSeconds(server.pid) - cpuBefore) / ((performance.now() - started) / 1000),
    rss: server.takeSampledPeakMb(),
  };
}

/** The bare route's process: its URL, and its pid for the CPU column. */
async function startBareRoute(): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/bare-route.ts"], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  return {
    url: `http://127.0.0.1:${chunk.toString().trim()}`,
    pid: child.pid as number,
    stop: () => child.kill("SIGTERM"),
  };
}

/**
 * Payments across chains, back to back from each of `payers` devnet accounts, until `signal`:
 * quote, commit, transfer the deposit, announce it. Counts those that reached the chain.
 */
function payInBackground(server: Server, devnet: DevnetInfo, payers: number, signal: AbortSignal) {
  let paid = 0;
  const [a, b] = devnet.chains;
  if (!a || !b) throw new Error("the devnet needs two chains");
  const usdc = (c: typeof a) => c.tokens.find((t) => t.symbol === "USDC")?.address as Address;
  const trails = new TrailsApi("", { hostname: server.url });
  const loops = Array.from({ length: payers }, async (_, i) => {
    const key = devnet.accounts[i + 1]?.privateKey as Hex;
    const chain = defineChain({
      id: a.chainId,
      name: a.name,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [a.rpcUrl] } },
    });
    const wallet = createWalletClient({ chain, transport: http(), account: privateKeyToAccount(key) });
    const reader = createPublicClient({ chain, transport: http() });
    while (!signal.aborted) {
      const { intent } = await trails.quoteIntent({
        ownerAddress: wallet.account.address,
        originChainId: a.chainId,
        originTokenAddress: usdc(a),
        destinationChainId: b.chainId,
        destinationTokenAddress: usdc(b),
        tradeType: TradeType.EXACT_INPUT,
        originTokenAmount: 5_000_000n,
      });
      await trails.commitIntent({ intent });
      const hash = await wallet.writeContract({
        address: usdc(a),
        abi: erc20Abi,
        functionName: "transfer",
        args: [intent.originIntentAddress as Address, 5_000_000n],
      });
      await reader.waitForTransactionReceipt({ hash, pollingInterval: 100 });
      await trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
      paid++;
    }
  });
  return { done: Promise.all(loops), paid: () => paid };
}

interface ModeResult {
  mining: string;
  rows: (Row & { target: string })[];
  notes: string[];
}

async function runMode(mining: string): Promise<ModeResult> {
  const server: Server = await startServer({ JUNCTION_MINING: mining });
  const bare = await startBareRoute();
  stopOnSignal(server);
  let stopped = "";
  const payments = new AbortController();
  try {
    const devnet = await server.devnet();
    const [alpha, beta] = devnet.chains;
    const usdc = (c: typeof alpha) => c?.tokens.find((t) => t.symbol === "USDC")?.address;
    if (!alpha || !beta || !usdc(alpha) || !usdc(beta))
      throw new Error("GET /devnet lacks two chains with USDC");
    const body = JSON.stringify({
      ownerAddress: devnet.accounts[0]?.address,
      originChainId: alpha.chainId,
      originTokenAddress: usdc(alpha),
      destinationChainId: beta.chainId,
      destinationTokenAddress: usdc(beta),
      tradeType: "EXACT_INPUT",
      originTokenAmount: "100000000",
    });
    const url = `${server.url}/rpc/Trails/QuoteIntent`;
    const headers = { "content-type": "application/json" };

    // Warm-up: fills the market caches (gas prices, fill estimate, code hash) and JITs the path.
    for (let i = 0; i < WARMUP; i++) {
      const res = await fetch(url, { method: "POST", headers, body });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`warm-up QuoteIntent answered ${res.status}: ${text}`);
    }
    const rssAfterWarmup = server.takeSampledPeakMb();
    const background = mining === "auto" ? null : payInBackground(server, devnet, PAYERS, payments.signal);
    const started = performance.now();

    const rows: ModeResult["rows"] = [];
    const bareServer = { ...server, pid: bare.pid, takeSampledPeakMb: () => Number.NaN } as Server;
    for (const rate of RATES) {
      for (const shape of Object.keys(SHAPES) as Shape[]) {
        for (const [target, on, at] of [
          ["QuoteIntent", server, url],
          ["bare route", bareServer, `${bare.url}/rpc/Trails/QuoteIntent`],
        ] as const) {
          rows.push({ target, ...(await load(on, shape, rate, { url: at, headers, body })) });
          process.stderr.write(
            `  ${mining} ${target} ${rate} req/s ${shape}: ${rows.at(-1)?.latencies.length}\n`,
          );
        }
      }
    }
    payments.abort();
    const paidPerSecond = background ? background.paid() / ((performance.now() - started) / 1000) : 0;
    await background?.done.catch(() => {});
    const peak = server.peakMb();
    const anvilPeak = server.anvilPeakMb();
    stopped = await server.stop();
    return {
      mining,
      rows,
      notes: [
        `${mining} mining: server started healthy in ${(server.startupMs / 1000).toFixed(1)} s; ${
          background
            ? `payments in the background: ${fmt(paidPerSecond, 2)} a second from ${PAYERS} payers; `
            : ""
        }server resident memory (MB): peak when healthy ${fmt(server.startupPeakMb, 0)}, through warm-up ${fmt(rssAfterWarmup, 0)}, over the run ${fmt(peak, 0)}; the three anvils ${fmt(anvilPeak, 0)}. Shutdown: ${stopped}.`,
      ],
    };
  } finally {
    payments.abort();
    bare.stop();
    if (!stopped) {
      const note = await server.stop();
      process.stderr.write(`server stopped after a failure: ${note}\n${server.tail()}\n`);
    }
  }
}

async function main(): Promise<void> {
  const results: ModeResult[] = [];
  for (const mining of MINING) results.push(await runMode(mining));
  console.log(
    [
      "## QuoteIntent load (server in its own process, loopback), beside a bare Fastify route",
      "",
      `Machine: ${machine()}.`,
      `Server: \`src/main.ts\`, devnet profile, PGlite in a throwaway directory, LOG_FORMAT=json; per mining mode (${MINING.join(", ")}). Bare route: Fastify in its own process, the same path and body, answering a small JSON object.`,
      `Load: autocannon in the bench process (it shares the cores with the server and the three anvils), ${DURATION_S} s per rate, shape and target, after ${WARMUP} sequential warm-up quotes. Request: QuoteIntent 100 USDC → USDC across chains, EXACT_INPUT; each answered quote is priced and written to the database as a QUOTED intent.`,
      "Shapes: paced = 20 single-connection autocannon instances started 50 ms apart, each at rate/20, so each second's requests are spread over it; bursts = one instance, 10 connections (each connection sends its share of the second back to back from the second's start, so requests queue behind the burst). Latency: each response's time from its request being sent (ms); achieved < target means saturation. CPU: the target process's user+system CPU seconds per wall second (1.00 = one core).",
      "",
      table(
        [
          "Mining",
          "Target",
          "Rate req/s",
          "Shape",
          "Achieved",
          "p50 ms",
          "p90 ms",
          "p99 ms",
          "max ms",
          "Errors",
          "Non-2xx",
          "CPU",
        ],
        results.flatMap((m) =>
          m.rows.map((r) => [
            m.mining,
            r.target,
            String(r.rate),
            r.shape,
            fmt(r.achieved),
            ...[50, 90, 99].map((p) => fmt(percentile(r.latencies, p), 1)),
            fmt(Math.max(...r.latencies), 0),
            String(r.errors),
            String(r.non2xx),
            fmt(r.cpu, 2),
          ]),
        ),
        [false, false, true, false, true, true, true, true, true, true, true, true],
      ),
      "",
      ...results.flatMap((m) => m.notes),
    ].join("\n"),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
