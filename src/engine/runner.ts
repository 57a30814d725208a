import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { privateKeyToAccount } from "viem/accounts";
import type { RuntimeChain } from "../chains/registry.ts";
import { type HeldLock, tryAdvisoryLock } from "../store/advisory-lock.ts";
import type { DatabaseTarget } from "../store/database.ts";
import { type ExecutionRow, executionById } from "../store/executions.ts";
import { findIntent, type IntentRow } from "../store/intents.ts";
import { claimDue, dropLeases, type QueueTable, release } from "../store/work-queue.ts";
import { advanceIntent, type Workers } from "./advance.ts";
import { advanceExecution } from "./connect/advance.ts";
import type { EngineContext } from "./context.ts";
import { TxSender } from "./sender.ts";
import { DepositWatcher } from "./watcher.ts";
import type { WorkSignal } from "./work-signal.ts";

const LEASE_MS = 30_000;
/** Intents this process advances at once. */
const MAX_IN_FLIGHT = 16;
/** Longest the runner sleeps with nothing due; a wake from this process ends it early. */
const IDLE_MS = 100;
/** After an unexpected error (an RPC hiccup): try the intent again this much later. */
const ERROR_BACKOFF_MS = 2_000;
/** Steps one claim may take in a row while each says "again now" (deposit → fill → …). */
const MAX_STEPS_PER_CLAIM = 8;
/** How often a standby process tries to take over a chain's watcher. */
const WATCHER_LOCK_RETRY_MS = 5_000;

export interface EngineWorkers {
  stop(): Promise<void>;
}

/**
 * Runs `tick` until stopped, then `idle` before the next round; a failed round is logged, not
 * fatal. Stopping aborts the idle wait.
 */
function loop(
  name: string,
  e: EngineContext,
  idle: (signal: AbortSignal) => Promise<void>,
  tick: () => Promise<unknown>,
) {
  const stop = new AbortController();
  const done = (async () => {
    while (!stop.signal.aborted) {
      try {
        await tick();
      } catch (err) {
        e.log.warn({ err }, `${name} round failed; retrying`);
      }
      if (!stop.signal.aborted) await idle(stop.signal);
    }
  })();
  return async () => {
    stop.abort();
    await done;
  };
}

/** The solver's transaction senders, one per chain, for the intent steps. */
export function solverWorkers(e: EngineContext): Workers {
  const solver = privateKeyToAccount(e.config.keys.solver.reveal());
  return {
    e,
    senders: new Map(e.registry.chains.map((c) => [c.chainId, new TxSender(e.db, c, solver, e.log)])),
  };
}

/**
 * One chain's deposit watcher, run only while this process holds the chain's lock, so exactly one
 * process watches each chain; the others stand by and take over when the holder's database
 * connection goes. A new holder starts from the cursor in the database.
 */
function watchChain(e: EngineContext, chain: RuntimeChain, database: DatabaseTarget) {
  let held: { lock: HeldLock; watcher: DepositWatcher } | null = null;
  const stop = loop(
    `deposit watcher ${chain.chainId}`,
    e,
    (signal) =>
      sleep(held ? chain.blockPollMs : WATCHER_LOCK_RETRY_MS, undefined, { signal }).catch(() => {}),
    async () => {
      if (!held) {
        const lock = await tryAdvisoryLock(database, `watcher:${chain.chainId}`);
        if (!lock) return;
        const current = { lock, watcher: new DepositWatcher(e, chain, e.log) };
        held = current;
        void lock.lost.then(() => {
          if (held !== current) return;
          e.log.warn({ chainId: chain.chainId }, "lost the deposit watcher's lock; standing by");
          held = null;
        });
      }
      await held.watcher.scanOnce();
    },
  );
  return async () => {
    await stop();
    const last = held;
    held = null;
    await last?.lock.release();
  };
}

/** A work-queue table and how this process advances its rows. */
interface Queue<Row extends { id: string }> {
  table: QueueTable;
  signal: WorkSignal;
  /** One step of one row; returns when to look again (null: only when woken). */
  advance(row: Row): Promise<Date | null>;
  /** The row afresh, to take the next step in the same claim. */
  reload(id: string): Promise<Row | undefined>;
}

/**
 * Advances one claimed row while its steps say "again now" (up to MAX_STEPS_PER_CLAIM), so a
 * confirmed deposit goes on to its fill without waiting for another claim; returns when to look
 * next. A step that throws (an RPC hiccup) is retried later: every step re-reads what it needs.
 */
async function runClaimed<Row extends { id: string }>(e: EngineContext, q: Queue<Row>, claimed: Row) {
  let row: Row | undefined = claimed;
  for (let step = 0; row; step++) {
    let next: Date | null;
    try {
      next = await q.advance(row);
    } catch (err) {
      e.log.warn({ err, table: q.table, id: row.id }, "step failed; will retry");
      return new Date(e.now().getTime() + ERROR_BACKOFF_MS);
    }
    if (next === null || next > e.now() || step + 1 >= MAX_STEPS_PER_CLAIM) return next;
    row = await q.reload(row.id);
  }
  return null;
}

/**
 * Claims due rows of the queue's table (SKIP LOCKED, with a lease) and advances each as far as it
 * can, up to MAX_IN_FLIGHT at once; it claims more as soon as any finishes, so a slow step never
 * holds back the others.
 */
function runQueue<Row extends { id: string }>(e: EngineContext, worker: string, q: Queue<Row>) {
  /** Row id → its running task. */
  const inFlight = new Map<string, Promise<void>>();
  const stop = loop(
    `${q.table} runner`,
    e,
    (signal) => q.signal.wait(IDLE_MS, signal),
    async () => {
      if (inFlight.size >= MAX_IN_FLIGHT) return;
      const now = e.now();
      const lease = new Date(now.getTime() + LEASE_MS);
      const due = await claimDue(e.db, q.table, worker, now, lease, MAX_IN_FLIGHT - inFlight.size);
      for (const row of due as unknown as Row[]) {
        // A step still running past its lease: it keeps the row; the new lease covers it.
        if (inFlight.has(row.id)) continue;
        const task = runClaimed(e, q, row)
          .then((next) => release(e.db, q.table, row.id, worker, next))
          .catch((err: unknown) => e.log.error({ err, table: q.table, id: row.id }, "releasing a row failed"))
          .finally(() => {
            inFlight.delete(row.id);
            q.signal.wake();
          });
        inFlight.set(row.id, task);
      }
    },
  );
  return async () => {
    await stop();
    await Promise.all(inFlight.values());
  };
}

/**
 * Starts the engine's workers in this process: one deposit watcher per chain (where this process
 * holds the chain's lock), the intent runner and the execution runner.
 */
export async function startWorkers(e: EngineContext, database: DatabaseTarget): Promise<EngineWorkers> {
  const workers = solverWorkers(e);
  // PGlite serves this process alone: any lease in it is a previous run's.
  if (database.kind === "pglite") {
    await dropLeases(e.db, "intents");
    await dropLeases(e.db, "executions");
  }
  for (const sender of [...workers.senders.values(), ...e.relayers.values(), ...e.executors.values()])
    await sender.rebroadcastPending();

  const worker = `${hostname()}:${process.pid}`;
  const stops = e.registry.chains.map((chain) => watchChain(e, chain, database));
  stops.push(
    runQueue<IntentRow>(e, worker, {
      table: "intents",
      signal: e.work,
      advance: (row) => advanceIntent(workers, row),
      reload: (id) => findIntent(e.db, id),
    }),
    runQueue<ExecutionRow>(e, worker, {
      table: "executions",
      signal: e.executionWork,
      advance: (row) => advanceExecution(e, row),
      reload: (id) => executionById(e.db, id),
    }),
  );
  return {
    async stop() {
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}
