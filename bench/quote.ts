/**
 * `npm run bench:quote`: QuoteIntent throughput and latency of the server on its own.
 *
 * The server runs as its own process (`src/main.ts`, devnet profile, automine, in-memory PGlite,
 * JSON logs) exactly as `npm start` runs it; autocannon, in this process, POSTs one QuoteIntent
 * (100 USDC on chain 900001 → USDC on chain 900002, EXACT_INPUT) at a fixed overall rate over 10
 * keep-alive connections on loopback, for 10 s per rate. Every answered quote is a real quote: it
 * is priced and recorded as a QUOTED intent in the database.
 */
// @ts-expect-error autocannon ships no types; the little used here is typed as `Autocannon` below.
import autocannonUntyped from "autocannon";
import { cpuSeconds, fmt, machine, type Server, startServer, stopOnSignal, table } from "./support.ts";

interface Histogram {
  average: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  latency: Histogram;
  requests: Histogram & { total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
}
type Autocannon = (opts: {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
  connections: number;
  overallRate: number;
  duration: number;
  ignoreCoordinatedOmission: boolean;
}) => Promise<AutocannonResult>;
const autocannon = autocannonUntyped as Autocannon;

const RATES = (process.env.RATES ?? "100,250,500,1000").split(",").map(Number);
const DURATION_S = Number(process.env.DURATION ?? 10);
const CONNECTIONS = 10;
const WARMUP = 50;

interface Row {
  rate: number;
  result: AutocannonResult;
  cpu: number;
  rss: number;
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
      const cpuBefore = cpuSeconds(server.pid);
      const result = await autocannon({
        url,
        method: "POST",
        headers,
        body,
        connections: CONNECTIONS,
        overallRate: rate,
        duration: DURATION_S,
        // Its correction assumes a 1 ms interval whatever the rate (ceil(1 / per-connection rate)),
        // which piles synthetic slow samples onto every slow response: report what was measured.
        ignoreCoordinatedOmission: true,
      });
      const cpu = (cpuSeconds(server.pid) - cpuBefore) / result.duration;
      rows.push({ rate, result, cpu, rss: server.takeSampledPeakMb() });
      process.stderr.write(`  ${rate} req/s: ${result.requests.total} requests\n`);
    }
    const peak = server.peakMb();
    const anvilPeak = server.anvilPeakMb();
    stopped = await server.stop();

    console.log(
      [
        "## QuoteIntent load (server in its own process, loopback)",
        "",
        `Machine: ${machine()}.`,
        `Server: \`src/main.ts\`, devnet profile, automine, in-memory PGlite, LOG_FORMAT=json; started healthy in ${(server.startupMs / 1000).toFixed(1)} s.`,
        `Load: autocannon in the bench process (it shares the cores with the server and the three anvils), ${CONNECTIONS} keep-alive connections, fixed overall rate, ${DURATION_S} s per rate, after ${WARMUP} sequential warm-up quotes. Request: QuoteIntent 100 USDC chain ${alpha.chainId} → USDC chain ${beta.chainId}, EXACT_INPUT; each answered quote is priced and written to the database as a QUOTED intent.`,
        "Latency: each request's send to its full response (ms), as autocannon records it, without its coordinated-omission correction. How autocannon holds a rate: each connection may send rate/10 requests per 1 s window, back to back from the window's start, one at a time (the next only after the previous response). So load arrives in bursts at each second, and when achieved < target the server is saturated and the wait for a free connection is not in these numbers.",
        "Server CPU: user+system CPU seconds of the server process per wall second during the run (1.00 = one core); anvils not included. Max RSS: the server's highest VmRSS seen during that run (sampled every 250 ms).",
        "",
        table(
          [
            "Target req/s",
            "Achieved req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "Errors",
            "Timeouts",
            "Non-2xx",
            "Server CPU",
            "Max RSS MB",
          ],
          rows.map(({ rate, result, cpu, rss }) => [
            String(rate),
            fmt(result.requests.total / result.duration),
            fmt(result.latency.p50, 0),
            fmt(result.latency.p90, 0),
            fmt(result.latency.p99, 0),
            fmt(result.latency.max, 0),
            String(result.errors),
            String(result.timeouts),
            String(result.non2xx),
            fmt(cpu, 2),
            fmt(rss, 0),
          ]),
          [true, true, true, true, true, true, true, true, true, true, true],
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
