/**
 * `npm run bench:quote-cpu` (env N quotes per round, default 1500; ROUNDS, default 4): the CPU one
 * QuoteIntent costs the server, measured in this process with no network and no load generator
 * competing for the cores. Junction starts in process (devnet profile, automine, PGlite in a
 * throwaway directory), answers 200 warm-up quotes, then N sequential QuoteIntent calls per round
 * through Fastify's `inject`; the process's user+system CPU over each round, divided by N, is the
 * work of one quote (price, one INSERT, render) plus inject's small share. Rounds on a shared
 * machine vary; read the best and the median.
 */
import { rmSync } from "node:fs";
import pino from "pino";
import { startJunction } from "../src/app.ts";
import { devnetAccount } from "../src/devnet/accounts.ts";
import { fmt, inProcessDevnetConfig, machine, percentile, table } from "./support.ts";

const N = Number(process.env.N ?? 1500);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const WARM_UP = 200;

const { dataDir, config } = inProcessDevnetConfig();

const junction = await startJunction({ config, log: pino({ level: "silent" }) });
try {
  const [a, b] = junction.ctx.registry.chains;
  if (!a || !b) throw new Error("the devnet has fewer than two chains");
  const payload = {
    ownerAddress: devnetAccount(3).address,
    originChainId: a.chainId,
    originTokenAddress: a.tokens[0]?.address,
    destinationChainId: b.chainId,
    destinationTokenAddress: b.tokens[0]?.address,
    tradeType: "EXACT_INPUT",
    originTokenAmount: "100000000",
  };
  const quote = async () => {
    const res = await junction.server.inject({ method: "POST", url: "/rpc/Trails/QuoteIntent", payload });
    if (res.statusCode !== 200) throw new Error(`QuoteIntent answered ${res.statusCode}: ${res.body}`);
  };
  for (let i = 0; i < WARM_UP; i++) await quote();
  const rows: string[][] = [];
  const cpuPerQuote: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < N; i++) await quote();
    const used = process.cpuUsage(cpu);
    const perQuote = (used.user + used.system) / 1000 / N;
    cpuPerQuote.push(perQuote);
    rows.push([String(round), String(N), fmt((performance.now() - started) / N, 3), fmt(perQuote, 3)]);
  }
  console.log(`## QuoteIntent CPU per quote (in process)\n\nMachine: ${machine()}.\n`);
  console.log(table(["Round", "Quotes", "Wall ms/quote", "CPU ms/quote"], rows, [true, true, true, true]));
  console.log(
    `\nCPU ms per quote: best ${fmt(Math.min(...cpuPerQuote), 3)}, median ${fmt(percentile(cpuPerQuote, 50), 3)}.`,
  );
} finally {
  await junction.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
