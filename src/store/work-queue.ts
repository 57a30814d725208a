import { type Kysely, type Selectable, sql } from "kysely";
import type { Db } from "./database.ts";
import type { Schema } from "./schema.ts";

/** Tables that are a work queue: each row says when it is next due and who holds it. */
export type QueueTable = "intents" | "executions";

interface QueueColumns {
  id: string;
  next_action_at: Date | null;
  lease_owner: string | null;
  lease_until: Date | null;
}

/** The queue columns are the same in every queue table; this view lets one query serve them all. */
const queue = (db: Db) => db as unknown as Kysely<Record<QueueTable, QueueColumns>>;

/**
 * Claims up to `limit` due rows of `table` for `worker` until `leaseUntil`. SKIP LOCKED lets several
 * workers claim side by side without waiting on, or taking, each other's rows. The claim clears
 * `next_action_at`, so a wake during the step (which sets it) survives the release; a lease that
 * ran out (its worker died) makes the row due again.
 */
export async function claimDue<T extends QueueTable>(
  db: Db,
  table: T,
  worker: string,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<Selectable<Schema[T]>[]> {
  const q = queue(db);
  // One literal table type for the query builder; every queue table has these columns.
  const t = table as QueueTable as "intents";
  const rows = await q
    .updateTable(t)
    .set({ lease_owner: worker, lease_until: leaseUntil, next_action_at: null })
    .where(
      "id",
      "in",
      q
        .selectFrom(t)
        .select("id")
        .where((eb) =>
          eb.or([
            eb.and([eb("next_action_at", "<=", now), eb("lease_until", "is", null)]),
            eb("lease_until", "<", now),
          ]),
        )
        .orderBy("next_action_at")
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
  return rows as unknown as Selectable<Schema[T]>[];
}

/** Ends `worker`'s lease and schedules the next look: `next`, or sooner if woken meanwhile (null: only when woken). */
export async function release(
  db: Db,
  table: QueueTable,
  id: string,
  worker: string,
  next: Date | null,
): Promise<void> {
  await queue(db)
    .updateTable(table)
    .set({
      lease_owner: null,
      lease_until: null,
      next_action_at: sql<Date | null>`least(next_action_at, ${next})`,
    })
    .where("id", "=", id)
    .where("lease_owner", "=", worker)
    .execute();
}

/** Makes rows due now, unless they already are sooner. */
export async function wake(db: Db, table: QueueTable, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await queue(db)
    .updateTable(table)
    .set({ next_action_at: now })
    .where("id", "in", ids)
    .where((eb) => eb.or([eb("next_action_at", "is", null), eb("next_action_at", ">", now)]))
    .execute();
}

/** Leases are per process; in the embedded single-process mode a restart can drop them all. */
export async function dropLeases(db: Db, table: QueueTable): Promise<void> {
  await queue(db).updateTable(table).set({ lease_owner: null, lease_until: null }).execute();
}
