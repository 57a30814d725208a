/**
 * `npm run chaos [-- --payments 300] [--kills 10] [--db pglite|postgres|both] [--faults] [--seed S]
 * [--workers 8]`: payments of every kind (Trails by transfer, into a vault, gasless, with a
 * reverting destination call, aborted then paid anyway; Intents Connect bridge-ins) while the
 * engine process is SIGKILLed at random moments and started again, on the chains of this process
 * (behind fault-injecting RPC proxies with --faults). Prints a table per database: payments, kills,
 * lost, stuck, paid twice, recovery; then every problem. Exits 1 unless every payment ended where
 * it must, exactly once, and the ledger check is clean. PostgreSQL: DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test (a schema of its own, dropped afterwards).
 */
import { parseArgs } from "node:util";
import { fmt, percentile, table } from "../bench/support.ts";
import { type ChaosResult, runChaos } from "../test/support/chaos.ts";

function options() {
  const { values } = parseArgs({
    options: {
      payments: { type: "string", default: "300" },
      kills: { type: "string", default: "10" },
      db: { type: "string", default: "both" },
      faults: { type: "boolean", default: false },
      seed: { type: "string" },
      workers: { type: "string", default: "8" },
    },
  });
  const count = (name: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min)
      throw new Error(`--${name}: expected an integer ≥ ${min}, got ${value}`);
    return n;
  };
  if (!["pglite", "postgres", "both"].includes(values.db)) {
    throw new Error(`--db: expected pglite, postgres or both, got ${values.db}`);
  }
  return {
    payments: count("payments", values.payments, 1),
    kills: count("kills", values.kills, 0),
    databases: (values.db === "both" ? ["pglite", "postgres"] : [values.db]) as ("pglite" | "postgres")[],
    faults: values.faults,
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : count("seed", values.seed, 0),
    workers: count("workers", values.workers, 1),
  };
}

const seconds = (ms: number[], p: number) => `${fmt(percentile(ms, p) / 1000)} s`;

function row(r: ChaosResult): string[] {
  const v = r.verdicts;
  const judged = Object.values(v).reduce((a, b) => a + b, 0);
  return [
    `${r.options.database}${r.options.faults ? " + faults" : ""}`,
    String(judged),
    String(r.kills),
    String(v.ok),
    String(v.lost),
    String(v.stuck),
    String(v["paid twice"]),
    String(v["wrong status"]),
    // A payment a client could not even start (a call refused): its error is listed below.
    String(r.options.payments - judged),
    `${seconds(r.restartMs, 50)} / ${seconds(r.restartMs, 100)}`,
    `${seconds(r.resumeMs, 50)} / ${seconds(r.resumeMs, 100)}`,
    r.reconcile.clean ? "clean" : `${r.reconcile.discrepancies.length} found`,
    `${r.push.delivered}/${r.push.events} (${r.push.duplicates} dup, ${r.push.outOfOrder} out of order)`,
    `${fmt(r.durationMs / 1000, 0)} s`,
  ];
}

const opts = options();
console.log(
  `chaos: ${opts.payments} payments, ${opts.kills} kills, ${opts.workers} at once, seed ${opts.seed}` +
    `${opts.faults ? ", RPC faults" : ""}, on ${opts.databases.join(" and ")}`,
);
const results: ChaosResult[] = [];
for (const database of opts.databases) {
  results.push(
    await runChaos({
      payments: opts.payments,
      kills: opts.kills,
      database,
      faults: opts.faults,
      seed: opts.seed,
      workers: opts.workers,
      progress: (line) => console.log(`  [${database}] ${line}`),
    }),
  );
}
console.log();
console.log(
  table(
    [
      "database",
      "payments",
      "kills",
      "ok",
      "lost",
      "stuck",
      "paid twice",
      "wrong status",
      "not started",
      "restart p50 / max",
      "resumed p50 / max",
      "ledger",
      "webhook events",
      "took",
    ],
    results.map(row),
    [false, true, true, true, true, true, true, true, true, true, true, false, true, true],
  ),
);
for (const r of results) {
  const kinds = Object.entries(r.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  console.log(`\n${r.options.database}: ${kinds}`);
  for (const p of [...r.problems, ...r.reconcile.discrepancies]) console.log(`  - ${p}`);
}
console.log(
  "\nrestart: SIGKILL until the new engine answers; resumed: SIGKILL until the next payment finished;" +
    "\nwebhook events: events delivered at least once to an endpoint subscribed to all, of those logged.",
);
const clean = results.every(
  (r) =>
    r.problems.length === 0 &&
    r.reconcile.clean &&
    r.verdicts.ok === r.options.payments &&
    r.push.missing === 0 &&
    r.push.outOfOrder === 0 &&
    r.push.forged === 0,
);
process.exit(clean ? 0 : 1);
