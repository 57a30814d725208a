import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { RuntimeChain } from "../chains/registry.ts";
import { retryAt } from "../core/retry.ts";
import { type HeldLock, tryAdvisoryLock } from "../store/advisory-lock.ts";
import type { DatabaseTarget } from "../store/database.ts";
import { type ExecutionRow, executionById } from "../store/executions.ts";
import { findIntent, type IntentRow } from "../store/intents.ts";
import { claimDue, dropLeases, type QueueTable, release } from "../store/queue.ts";
import { errorText, failureKind } from "./errors.ts";
import { stepExecution } from "./executions/step.ts";
import { stepIntent } from "./intents/step.ts";
import type { EngineDeps } from "./ports.ts";
import { retireUnusedQuotes } from "./retirement.ts";
import { DepositWatcher } from "./watcher.ts";
import type { WorkSignal } from "./work-signal.ts";

const LEASE_MS = 30_000;
/** Rows this process advances at once, per queue. */
const MAX_IN_FLIGHT = 16;
/**
 * Longest the runner sleeps with nothing due. Wakes end it early: commits that make work due (this
 * process's, and another's by NOTIFY), the due times of rows this process released or its commits
 * set, and a moved clock (`Engine.lookForWork`). What it still polls for: a lease left by a process
 * that died (30 s at least anyway), and a later due time set by another process that died.
 */
const IDLE_MS = 5_000;
/** Steps one claim may take in a row while each says "again now" (deposit → fill → …). */
const MAX_STEPS_PER_CLAIM = 8;
/** How often a standby process tries to take over a chain's watcher. */
const WATCHER_LOCK_RETRY_MS = 5_000;
/** How often unused quotes past their retention are retired, in the engine's time. */
const RETIRE_EVERY_MS = 3_600_000;
/** How often the retirement task looks at the engine's clock. */
const RETIRE_POLL_MS = 1_000;

export interface EngineWorkers {
  stop(): Promise<void>;
}

/**
 * Runs `tick` until stopped, then `idle` before the next round; a failed round is logged, not
 * fatal. Stopping aborts the idle wait.
 */
function loop(
  name: string,
  deps: EngineDeps,
  idle: (signal: AbortSignal) => Promise<void>,
  tick: () => Promise<unknown>,
) {
  const stop = new AbortController();
  const done = (async () => {
    while (!stop.signal.aborted) {
      try {
        await tick();
      } catch (err) {
        deps.log.warn({ err }, `${name} round failed; retrying`);
      }
      if (!stop.signal.aborted) await idle(stop.signal);
    }
  })();
  return async () => {
    stop.abort();
    await done;
  };
}

/**
 * One chain's deposit watcher, run only while this process holds the chain's lock, so exactly one
 * process watches each chain; the others stand by and take over when the holder's database
 * connection goes. A new holder starts from the cursor in the database.
 */
function watchChain(deps: EngineDeps, chain: RuntimeChain, database: DatabaseTarget) {
  let held: { lock: HeldLock; watcher: DepositWatcher } | null = null;
  const stop = loop(
    `deposit watcher ${chain.chainId}`,
    deps,
    (signal) =>
      held
        ? held.watcher.waitForBlock(signal)
        : sleep(WATCHER_LOCK_RETRY_MS, undefined, { signal }).catch(() => {}),
    async () => {
      if (!held) {
        const lock = await tryAdvisoryLock(database, `watcher:${chain.chainId}`);
        if (!lock) return;
        const current = { lock, watcher: new DepositWatcher(deps, chain) };
        held = current;
        void lock.lost.then(() => {
          if (held !== current) return;
          deps.log.warn({ chainId: chain.chainId }, "lost the deposit watcher's lock; standing by");
          current.watcher.close();
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
    last?.watcher.close();
    await last?.lock.release();
  };
}

/**
 * Retires unused quotes past their retention (`retirement.ts`), at start and then every
 * RETIRE_EVERY_MS of the engine's clock, which tests move; every process does it (retiring a quote
 * twice changes nothing; a page another process holds is skipped).
 */
function retireQuotes(deps: EngineDeps) {
  let last = Number.NEGATIVE_INFINITY;
  return loop(
    "quote retirement",
    deps,
    (signal) => sleep(RETIRE_POLL_MS, undefined, { signal }).catch(() => {}),
    async () => {
      const now = deps.clock.now().getTime();
      if (now - last < RETIRE_EVERY_MS) return;
      last = now;
      await retireUnusedQuotes(deps);
    },
  );
}

/** A work-queue table and how this process advances its rows. */
export interface Queue<Row extends { id: string; status: string }> {
  table: QueueTable;
  signal: WorkSignal;
  /** One step of one row; returns when to look again (null: only when woken). */
  step(row: Row): Promise<Date | null>;
  /** The row afresh, to take the next step in the same claim. */
  reload(id: string): Promise<Row | undefined>;
}

/**
 * A step threw: the attempt is counted with its error, and the row is due again after a backoff,
 * or parked once the policy says so. The row's funds stay where they are meanwhile.
 */
async function recordFailure<Row extends { id: string; status: string; intent_id?: string | null }>(
  deps: EngineDeps,
  q: Queue<Row>,
  row: Row & { attempts: number },
  worker: string,
  err: unknown,
): Promise<void> {
  const now = deps.clock.now();
  const error = errorText(err);
  const next = retryAt(deps.settings.queue, row.attempts + 1, failureKind(err), now, Math.random());
  const attempts = await deps.store.commit(now, (uow) =>
    uow.recordFailure(q.table, row, { worker, error, retryAt: next }),
  );
  const fields = { err, table: q.table, id: row.id, attempts };
  if (next) deps.log.warn({ ...fields, retryAt: next }, "step failed; will retry");
  else deps.log.error(fields, "step failed; parked for an operator (see /admin/parked)");
}

/**
 * Advances one claimed row while its steps say "again now" (up to MAX_STEPS_PER_CLAIM), so a
 * confirmed deposit goes on to its fill without waiting for another claim, then releases it.
 */
async function runClaimed<Row extends { id: string; status: string; attempts: number }>(
  deps: EngineDeps,
  q: Queue<Row>,
  claimed: Row,
  worker: string,
): Promise<void> {
  let row: Row | undefined = claimed;
  for (let step = 0; row; step++) {
    let next: Date | null;
    try {
      next = await q.step(row);
    } catch (err) {
      await recordFailure(deps, q, row, worker, err);
      return;
    }
    const now = deps.clock.now();
    if (next === null || next > now || step + 1 >= MAX_STEPS_PER_CLAIM) {
      await release(deps.store.db, q.table, row.id, worker, next);
      if (next) q.signal.wakeIn(next.getTime() - now.getTime());
      return;
    }
    row = await q.reload(row.id);
  }
  await release(deps.store.db, q.table, claimed.id, worker, null);
}

/**
 * Claims due rows of the queue's table (SKIP LOCKED, with a lease) and advances each as far as it
 * can, up to MAX_IN_FLIGHT at once; it claims more as soon as any finishes, so a slow step never
 * holds back the others.
 */
function runQueue<Row extends { id: string; status: string; attempts: number }>(
  deps: EngineDeps,
  worker: string,
  q: Queue<Row>,
) {
  /** Row id → its running task. */
  const inFlight = new Map<string, Promise<void>>();
  const stop = loop(
    `${q.table} runner`,
    deps,
    (signal) => q.signal.wait(IDLE_MS, signal),
    async () => {
      if (inFlight.size >= MAX_IN_FLIGHT) return;
      const now = deps.clock.now();
      const lease = new Date(now.getTime() + LEASE_MS);
      const due = await claimDue(deps.store.db, q.table, worker, now, lease, MAX_IN_FLIGHT - inFlight.size);
      const running = (due as unknown as Row[]).filter((row) => inFlight.has(row.id)).map((row) => row.id);
      // A step still running past its lease keeps its row, and the new lease covers it; the claim
      // cleared any wake that came meanwhile, so the row is due again once that step releases it.
      if (running.length > 0) await deps.store.commit(now, (uow) => uow.wake(q.table, running));
      for (const row of due as unknown as Row[]) {
        if (inFlight.has(row.id)) continue;
        const task = runClaimed(deps, q, row, worker)
          .catch((err: unknown) =>
            deps.log.error({ err, table: q.table, id: row.id }, "releasing a row failed"),
          )
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

/** The two work queues: how this process steps and reloads their rows. */
export function queues(deps: EngineDeps, signals: Record<QueueTable, WorkSignal>) {
  return {
    intents: {
      table: "intents",
      signal: signals.intents,
      step: (row) => stepIntent(deps, row),
      reload: (id) => findIntent(deps.store.db, id),
    } satisfies Queue<IntentRow>,
    executions: {
      table: "executions",
      signal: signals.executions,
      step: (row) => stepExecution(deps, row),
      reload: (id) => executionById(deps.store.db, id),
    } satisfies Queue<ExecutionRow>,
  };
}

/**
 * Starts the engine's workers in this process: one deposit watcher per chain (where this process
 * holds the chain's lock), the intent runner, the execution runner and the quote retirement.
 */
export async function startWorkers(
  deps: EngineDeps,
  signals: Record<QueueTable, WorkSignal>,
  database: DatabaseTarget,
): Promise<EngineWorkers> {
  // PGlite serves this process alone: any lease in it is a previous run's.
  if (database.kind === "pglite") {
    await dropLeases(deps.store.db, "intents", deps.clock.now());
    await dropLeases(deps.store.db, "executions", deps.clock.now());
  }
  for (const sender of deps.senders.all()) await sender.keep(deps.clock.now());

  const worker = `${hostname()}:${process.pid}`;
  const q = queues(deps, signals);
  const stops = deps.registry.chains.map((chain) => watchChain(deps, chain, database));
  stops.push(runQueue(deps, worker, q.intents), runQueue(deps, worker, q.executions), retireQuotes(deps));
  return {
    async stop() {
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}
