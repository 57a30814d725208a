import { hostname } from "node:os";
import { privateKeyToAccount } from "viem/accounts";
import { claimDueIntents, dropAllLeases, releaseIntent } from "../store/intents.ts";
import { advanceIntent, type Workers } from "./advance.ts";
import type { EngineContext } from "./context.ts";
import { TxSender } from "./sender.ts";
import { DepositWatcher } from "./watcher.ts";

const LEASE_MS = 30_000;
const BATCH = 16;
const IDLE_MS = 100;
const WATCH_MS = 250;
/** After an unexpected error (an RPC hiccup): try the intent again this much later. */
const ERROR_BACKOFF_MS = 2_000;

export interface EngineWorkers {
  stop(): Promise<void>;
}

/** Runs `tick` until stopped, sleeping `idleMs` between rounds; a failed round is logged, not fatal. */
function loop(name: string, e: EngineContext, idleMs: number, tick: () => Promise<unknown>) {
  let stopped = false;
  let wake: (() => void) | null = null;
  const done = (async () => {
    while (!stopped) {
      try {
        await tick();
      } catch (err) {
        e.log.warn({ err }, `${name} round failed; retrying`);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, idleMs);
      });
    }
  })();
  return async () => {
    stopped = true;
    wake?.();
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
 * Starts the engine's workers in this process: one deposit watcher per chain and the intent
 * runner, which claims due intents (SKIP LOCKED, with a lease) and advances each one step.
 */
export async function startWorkers(
  e: EngineContext,
  options: { singleProcess: boolean },
): Promise<EngineWorkers> {
  const workers = solverWorkers(e);
  const senders = workers.senders;
  if (options.singleProcess) await dropAllLeases(e.db);
  for (const sender of senders.values()) await sender.rebroadcastPending();

  const worker = `${hostname()}:${process.pid}`;
  const stops = e.registry.chains.map((chain) => {
    const watcher = new DepositWatcher(e, chain, e.log);
    return loop(`deposit watcher ${chain.chainId}`, e, WATCH_MS, () => watcher.scanOnce());
  });
  stops.push(
    loop("intent runner", e, IDLE_MS, async () => {
      const now = e.now();
      const due = await claimDueIntents(e.db, worker, now, new Date(now.getTime() + LEASE_MS), BATCH);
      await Promise.all(
        due.map(async (row) => {
          let next: Date | null;
          try {
            next = await advanceIntent(workers, row);
          } catch (err) {
            e.log.warn({ err, intentId: row.id, stage: row.stage }, "intent step failed; will retry");
            next = new Date(e.now().getTime() + ERROR_BACKOFF_MS);
          }
          await releaseIntent(e.db, row.id, worker, next);
        }),
      );
    }),
  );
  return {
    async stop() {
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}
