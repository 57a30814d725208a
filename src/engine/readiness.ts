import { advisoryLockHeld } from "../store/advisory-lock.ts";
import type { DatabaseTarget } from "../store/database.ts";
import { pingDatabase } from "../store/database.ts";
import { queueCounts } from "../store/queue.ts";
import type { EngineDeps } from "./ports.ts";

/** One part of being ready, and what is wrong with it when it is not. */
export interface ReadyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ReadyLimits {
  /** A chain whose newest block is older than this (seconds) is stale; null: blocks come only with transactions. */
  maxHeadAgeSeconds: number | null;
  /** More parked rows than this and the process is not ready. */
  maxParked: number;
}

const failed = (name: string, err: unknown): ReadyCheck => ({
  name,
  ok: false,
  detail: (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "",
});

async function chainFresh(
  deps: EngineDeps,
  chainId: number,
  slug: string,
  limits: ReadyLimits,
): Promise<ReadyCheck> {
  const name = `chain:${slug}`;
  try {
    const head = await deps.chains.latestBlock(chainId);
    const age = Math.round(deps.clock.now().getTime() / 1000 - Number(head.timestamp));
    const stale = limits.maxHeadAgeSeconds !== null && age > limits.maxHeadAgeSeconds;
    return {
      name,
      ok: !stale,
      detail: `head ${head.number}, ${age} s old${stale ? `: older than ${limits.maxHeadAgeSeconds} s, the node is behind` : ""}`,
    };
  } catch (err) {
    return failed(name, err);
  }
}

/** Some process watches the chain's deposits: it holds the chain's watcher lock. */
async function watched(
  deps: EngineDeps,
  database: DatabaseTarget,
  chainId: number,
  slug: string,
): Promise<ReadyCheck> {
  const name = `watcher:${slug}`;
  // PGlite serves this process alone, whose runner watches every chain.
  if (database.kind === "pglite") return { name, ok: true, detail: "watched by this process" };
  try {
    const held = await advisoryLockHeld(deps.store.db, database.schema, `watcher:${chainId}`);
    return {
      name,
      ok: held,
      detail: held ? "watched by a Junction process" : "no process watches its deposits",
    };
  } catch (err) {
    return failed(name, err);
  }
}

/**
 * Whether this process should be sent traffic: the database answers, every chain's node answers
 * with a recent head, some process watches every chain, and no more rows are parked than allowed.
 */
export async function readiness(
  deps: EngineDeps,
  database: DatabaseTarget,
  limits: ReadyLimits,
): Promise<ReadyCheck[]> {
  const db: ReadyCheck = await pingDatabase(deps.store.db).then(
    () => ({ name: "database", ok: true, detail: "answers" }),
    (err: unknown) => failed("database", err),
  );
  if (!db.ok) return [db];
  const parked = await queueCounts(deps.store.db, deps.clock.now()).then(
    (q): ReadyCheck => {
      const n = q.intents.parked + q.executions.parked;
      const ok = n <= limits.maxParked;
      return {
        name: "parked",
        ok,
        detail: `${n} parked${ok ? "" : `, more than ${limits.maxParked}: see GET /admin/parked`}`,
      };
    },
    (err: unknown) => failed("parked", err),
  );
  const chains = await Promise.all(
    deps.registry.chains.flatMap((c) => [
      chainFresh(deps, c.chainId, c.slug, limits),
      watched(deps, database, c.chainId, c.slug),
    ]),
  );
  return [db, ...chains, parked];
}
