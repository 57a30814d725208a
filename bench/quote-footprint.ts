/**
 * `npm run bench:footprint` (`--quotes N`, default 2,000): what an unused quote costs, in database
 * bytes and in a deposit watcher's memory, as quotes pile up and once they are retired. Junction
 * starts in process (devnet profile, automine, PGlite in a throwaway directory, the engine's clock
 * movable); N QuoteIntent calls go through Fastify's `inject`; nobody commits or deposits.
 *
 * - DB bytes per quote: `pg_total_relation_size` (table, indexes, TOAST) of the tables a quote
 *   touches (intents, events) over the empty database, divided by the quotes made (warm-up
 *   included), after `VACUUM FULL`, so that row versions an update left dead do not count: what
 *   the quotes' data takes. Also the average stored size of an intents row.
 * - Watcher heap per quote: a deposit watcher of the first chain (the engine's own class, on the
 *   engine's ports) scans a block mined after the quotes; `heapUsed` after forced collections with
 *   it alive, less `heapUsed` once it is dropped, is what it keeps (the median of five watchers),
 *   divided by the quotes made. The engine runs one watcher per chain.
 *
 * Then the engine's clock moves past the quotes' expiry and the retention, the engine's periodic
 * task retires them, and both are measured again.
 */
import { rmSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { sql } from "kysely";
import pino from "pino";
import { type Junction, startJunction } from "../src/app.ts";
import { publicClientFor } from "../src/chains/clients.ts";
import { devnetAccount } from "../src/devnet/accounts.ts";
import { mine } from "../src/devnet/anvil-rpc.ts";
import type { EngineDeps } from "../src/engine/ports.ts";
import { DepositWatcher } from "../src/engine/watcher.ts";
import { wireEngine } from "../src/engine/wiring.ts";
import { fmt, inProcessDevnetConfig, machine, percentile, table } from "./support.ts";

const flag = process.argv.indexOf("--quotes");
const N = flag >= 0 ? Number(process.argv[flag + 1]) : 2_000;
if (!Number.isInteger(N) || N <= 0) throw new Error("--quotes: expected a positive integer");
const TABLES = ["intents", "events"];
const WARM_UP = 50;
const DAY_MS = 86_400_000;

// Forced collections make the heap measurable; without --expose-gc, V8 hands out `gc` on request.
setFlagsFromString("--expose-gc");
const gc = (globalThis.gc ?? runInNewContext("gc")) as () => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `heapUsed` right after forced collections, the least of a few samples: the engine's loops keep
 * running, and what they hold in flight at one moment (an RPC poll, a query) is not kept.
 */
async function heapUsed(): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    await sleep(20);
    gc();
    gc();
    least = Math.min(least, process.memoryUsage().heapUsed);
  }
  return least;
}

/** The tables' bytes once compacted, and the average stored size of an intents row. */
async function dbBytes(junction: Junction): Promise<{ total: number; row: number }> {
  let total = 0;
  for (const name of TABLES) {
    await sql`vacuum full ${sql.table(name)}`.execute(junction.db);
    const { rows } = await sql<{ size: string }>`select pg_total_relation_size(${name}) as size`.execute(
      junction.db,
    );
    total += Number(rows[0]?.size ?? 0);
  }
  const { rows } = await sql<{ row: string | null }>`
    select avg(pg_column_size(i.*)) as row from intents i`.execute(junction.db);
  return { total, row: Number(rows[0]?.row ?? 0) };
}

/**
 * The heap a deposit watcher keeps once it has scanned a new block (which is when it reads deposit
 * addresses): the heap with it alive less the heap once it is dropped.
 */
async function watcherBytes(junction: Junction, deps: EngineDeps): Promise<number> {
  const chain = junction.ctx.registry.chains[0];
  if (!chain) throw new Error("the devnet has no chain");
  await mine(publicClientFor(chain.viem));
  const held: { watcher?: DepositWatcher } = { watcher: new DepositWatcher(deps, chain) };
  await held.watcher?.scanOnce();
  const alive = await heapUsed();
  held.watcher?.close();
  held.watcher = undefined;
  return alive - (await heapUsed());
}

async function until(what: string, done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function retiredCount(junction: Junction): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from intents where plan is null`.execute(
    junction.db,
  );
  return Number(rows[0]?.n ?? 0);
}

function quoter(junction: Junction) {
  const [a, b] = junction.ctx.registry.chains;
  if (!a || !b) throw new Error("the devnet has fewer than two chains");
  const payload = {
    ownerAddress: devnetAccount(3).address,
    originChainId: a.chainId,
    originTokenAddress: a.tokens.find((t) => t.symbol === "USDC")?.address,
    destinationChainId: b.chainId,
    destinationTokenAddress: b.tokens.find((t) => t.symbol === "USDC")?.address,
    tradeType: "EXACT_INPUT",
    originTokenAmount: "100000000",
  };
  return async (count: number) => {
    for (let i = 0; i < count; i++) {
      const res = await junction.server.inject({ method: "POST", url: "/rpc/Trails/QuoteIntent", payload });
      if (res.statusCode !== 200) throw new Error(`QuoteIntent answered ${res.statusCode}: ${res.body}`);
    }
  };
}

interface Sample {
  db: { total: number; row: number };
  watcher: number;
}

async function sample(junction: Junction, deps: EngineDeps): Promise<Sample> {
  const watcher: number[] = [];
  for (let i = 0; i < 5; i++) watcher.push(await watcherBytes(junction, deps));
  return { watcher: percentile(watcher, 50), db: await dbBytes(junction) };
}

async function measure(junction: Junction, deps: EngineDeps, clock: { offsetMs: number }) {
  const empty = await sample(junction, deps);
  const quote = quoter(junction);
  await quote(WARM_UP);
  const started = performance.now();
  await quote(N);
  const quoteSeconds = (performance.now() - started) / 1000;
  const quoted = await sample(junction, deps);
  const { quoteLifetimeSeconds, retention } = junction.ctx.config;
  clock.offsetMs += quoteLifetimeSeconds * 1000 + (retention.unusedQuoteDays + 1) * DAY_MS;
  await until("the quotes to be retired", async () => (await retiredCount(junction)) >= N + WARM_UP, 60_000);
  const retired = await sample(junction, deps);
  const quotes = N + WARM_UP;
  const row = (name: string, s: Sample) => [
    name,
    fmt((s.db.total - empty.db.total) / quotes, 0),
    fmt(s.db.row, 0),
    fmt((s.watcher - empty.watcher) / quotes, 0),
  ];
  return { quoteSeconds, rows: [row("after the quotes", quoted), row("after retirement", retired)] };
}

async function main(): Promise<void> {
  const { dataDir, config } = inProcessDevnetConfig();
  const clock = { offsetMs: 0 };

  const log = pino({ level: "silent" });
  const ports = { clock: { now: () => new Date(Date.now() + clock.offsetMs) } };
  const junction = await startJunction({ config, log, ports });
  try {
    // The engine's ports, wired again on the same database and chains, for a watcher of the bench's own.
    const { deps } = wireEngine(config, junction.db, junction.ctx.registry, log, ports);
    const { quoteSeconds, rows } = await measure(junction, deps, clock);
    console.log(`## Footprint of unused quotes (in process)\n\nMachine: ${machine()}.`);
    console.log(
      `${N} QuoteIntent calls in ${fmt(quoteSeconds, 1)} s, after ${WARM_UP} warm-up quotes; PGlite; retention ${config.retention.unusedQuoteDays} days. Per quote: over the empty database and a watcher before any quote, divided by the ${N + WARM_UP} quotes.\n`,
    );
    console.log(
      table(
        ["", "DB bytes/quote (intents + events)", "intents row bytes", "Watcher heap bytes/quote"],
        rows,
        [false, true, true, true],
      ),
    );
  } finally {
    await junction.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
