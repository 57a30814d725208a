/**
 * `npm run fuzz [-- --runs N] [-- --seed S]`: the fuzzing of test/api/fuzz.test.ts, for longer.
 *
 * Starts a test Junction (devnet chains, automine; PostgreSQL when DATABASE_URL is set, PGlite
 * otherwise), sends about N generated requests (default 5,000) spread evenly over every endpoint
 * of both APIs, and prints per endpoint what was sent and how it was answered, then each kind of
 * failure once with a request that shows it. A run goes on past failures, so the table counts
 * them all; it exits 1 if any request got a 5xx, stored state although rejected, got a 4xx
 * outside its dialect's error format, or no answer. Junction logs its server errors on stdout as
 * they happen (JSON lines, level 50). The same --seed makes the same choices again (the ids of
 * the intents and executions made at setup differ from run to run).
 */
import { parseArgs } from "node:util";
import { createFuzzer, fuzzAll } from "../test/support/fuzz.ts";
import { startTestJunction } from "../test/support/junction.ts";

function options(): { runs: number; seed: number } {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "5000" }, seed: { type: "string" } },
  });
  const runs = Number(values.runs);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new Error(`--runs: expected a positive integer, got ${values.runs}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed: expected an integer, got ${values.seed}`);
  return { runs, seed };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const { runs, seed } = options();
const t = await startTestJunction();
// The devnet's anvil processes are children of this one: stop them on Ctrl-C too.
process.once("SIGINT", () => void t.stop().finally(() => process.exit(130)));
try {
  const fuzzer = await createFuzzer(t);
  const numRuns = Math.ceil(runs / fuzzer.endpoints.length);
  console.log(`fuzzing ${fuzzer.endpoints.length} endpoints, ${numRuns} requests each, seed ${seed}`);
  const started = Date.now();
  await fuzzAll(fuzzer, {
    numRuns,
    seed,
    keepGoing: true,
    onEndpoint: (endpoint, ms) => console.log(`  ${endpoint.name}: ${seconds(ms)}`),
  });
  const { tally } = fuzzer;
  console.log(`\n${tally.format()}\n\n${seconds(Date.now() - started)}, seed ${seed}`);
  const totals = tally.totals();
  const failed = totals.serverErrors + totals.stateChanges + totals.otherProblems > 0;
  if (failed) console.log(`\nFailures, each kind once per endpoint:\n\n${tally.formatFindings()}`);
  process.exitCode = failed ? 1 : 0;
} finally {
  await t.stop();
}
