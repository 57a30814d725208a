/**
 * `npm run bench:quote`: QuoteIntent throughput and latency of the server on its own.
 *
 * The server runs as its own process (`src/main.ts`, devnet profile, automine, PGlite in a throwaway directory,
 * JSON logs) exactly as `npm start` runs it; autocannon, in this process, POSTs one QuoteIntent
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
// @ts-expect-error autocannon ships no types; the little used here is typed as `Autocannon` below.
import autocannonUntyped from "autocannon";
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

async function main(): Promise<void> {
  const server: Server = await startServer({ JUNCTION_MINING: "auto" });
  stopOnSignal(server);
  let stopped = "";
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

    const rows: Row[] = [];
    for (const rate of RATES) {
      for (const shape of Object.keys(SHAPES) as Shape[]) {
        rows.push(await load(server, shape, rate, { url, headers, body }));
        process.stderr.write(`  ${rate} req/s ${shape}: ${rows.at(-1)?.latencies.length} requests\n`);
      }
    }
    const peak = server.peakMb();
    const anvilPeak = server.anvilPeakMb();
    stopped = await server.stop();

    console.log(
      [
        "## QuoteIntent load (server in its own process, loopback)",
        "",
        `Machine: ${machine()}.`,
        `Server: \`src/main.ts\`, devnet profile, automine, PGlite in a throwaway directory, LOG_FORMAT=json; started healthy in ${(server.startupMs / 1000).toFixed(1)} s.`,
        `Load: autocannon in the bench process (it shares the cores with the server and the three anvils), ${DURATION_S} s per rate and shape, after ${WARMUP} sequential warm-up quotes. Request: QuoteIntent 100 USDC chain ${alpha.chainId} → USDC chain ${beta.chainId}, EXACT_INPUT; each answered quote is priced and written to the database as a QUOTED intent.`,
        "Shapes: paced = 20 single-connection autocannon instances started 50 ms apart, each at rate/20, so each second's requests are spread over it; bursts = one instance, 10 connections (autocannon's usual rate model: each connection sends its share of the second back to back from the second's start, so requests queue behind the burst). Latency: each response's time from its request being sent (ms), from autocannon's response events; a connection sends its next request only after the previous answer, so time spent waiting for a free connection is not in these numbers (achieved < target means saturation). Server CPU: the server process's user+system CPU seconds per wall second (1.00 = one core). Max RSS: its highest VmRSS sampled every 250 ms.",
        "",
        table(
          [
            "Target req/s",
            "Shape",
            "Achieved req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "Errors",
            "Non-2xx",
            "Server CPU",
            "Max RSS MB",
          ],
          rows.map((r) => [
            String(r.rate),
            r.shape,
            fmt(r.achieved),
            ...[50, 90, 99].map((p) => fmt(percentile(r.latencies, p), 1)),
            fmt(Math.max(...r.latencies), 0),
            String(r.errors),
            String(r.non2xx),
            fmt(r.cpu, 2),
            fmt(r.rss, 0),
          ]),
          [true, false, true, true, true, true, true, true, true, true, true],
        ),
        "",
        `Server resident memory (MB): peak by the time it was healthy (VmHWM) ${fmt(server.startupPeakMb, 0)}; highest VmRSS through warm-up ${fmt(rssAfterWarmup, 0)}; peak over the whole run (VmHWM at the end) ${fmt(peak, 0)}. The three anvils together peaked at ${fmt(anvilPeak, 0)} (sum of VmRSS, sampled every 250 ms).`,
        `Shutdown: ${stopped}.`,
      ].join("\n"),
    );
  } finally {
    if (!stopped) {
      const note = await server.stop();
      process.stderr.write(`server stopped after a failure: ${note}\n${server.tail()}\n`);
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
