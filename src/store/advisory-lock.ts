import { sql } from "kysely";
import pg from "pg";
import type { DatabaseTarget, Db } from "./database.ts";

/** A named lock's key: per schema, since schemas share a server. */
const lockKey = (schema: string, name: string) => `${schema}:${name}`;

/** A lock this process holds until it releases it, or until its connection is lost. */
export interface HeldLock {
  /** Resolves when the lock is gone without a release (the connection dropped). */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the named lock if no other process holds it: a PostgreSQL session advisory lock on a
 * connection of its own, so the lock lives exactly as long as this process's hold on it (a holder
 * that dies loses it with its connection, and another process takes over). PGlite serves one
 * process, which always holds every lock. Resolves null when another process holds it.
 */
export async function tryAdvisoryLock(target: DatabaseTarget, name: string): Promise<HeldLock | null> {
  if (target.kind === "pglite") return { lost: new Promise(() => {}), release: async () => {} };
  const client = new pg.Client({ connectionString: target.url });
  let markLost: () => void = () => {};
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  client.on("error", () => markLost());
  client.on("end", () => markLost());
  await client.connect();
  const key = lockKey(target.schema, name);
  const { rows } = await client.query<{ locked: boolean }>(
    "select pg_try_advisory_lock(hashtext($1)) as locked",
    [key],
  );
  if (!rows[0]?.locked) {
    await client.end();
    return null;
  }
  return {
    lost,
    async release() {
      client.removeAllListeners("end");
      // Ending the session releases its advisory locks.
      await client.end();
    },
  };
}

/**
 * Whether some session holds the named lock (`tryAdvisoryLock` on a PostgreSQL `schema`): read
 * from pg_locks, where a one-key advisory lock is split into its high (classid) and low (objid)
 * 32 bits.
 */
export async function advisoryLockHeld(db: Db, schema: string, name: string): Promise<boolean> {
  const { rows } = await sql<{ held: boolean }>`select exists (
      select 1 from pg_locks
      where locktype = 'advisory' and objsubid = 1 and granted
        and ((classid::bigint << 32) | objid::bigint) = hashtext(${lockKey(schema, name)})::bigint
    ) as held`.execute(db);
  return rows[0]?.held ?? false;
}
