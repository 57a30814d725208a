import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import type { Db } from "./database.ts";
import type { QueueColumns, Schema } from "./schema.ts";

/**
 * The two work queues, intents and executions: each row is its own job. It says when it is next
 * due, who holds it (a lease), and how it has been failing (attempts, last error, parked). Rows
 * are claimed with SKIP LOCKED, so any number of workers in any number of processes share them.
 */
export type QueueTable = "intents" | "executions";

type Executor = Db | Transaction<Schema>;

/** The queue columns are the same in both tables; this view lets one query serve them both. */
const queue = (db: Executor) => db as unknown as Kysely<Record<QueueTable, QueueColumns>>;
/** One literal table type for the query builder; every queue table has the queue columns. */
const as = (table: QueueTable) => table as "intents";

/** The queue columns of a new row: due at `next`, held by nobody, never failed. */
export function newQueueColumns(next: Date | null, now: Date) {
  return {
    next_action_at: next,
    lease_owner: null,
    lease_until: null,
    last_error: null,
    parked_at: null,
    retried_at: null,
    created_at: now,
    updated_at: now,
  };
}

/**
 * Claims up to `limit` due rows of `table` for `worker` until `leaseUntil`. The claim clears
 * `next_action_at`, so a wake during the step (which sets it) survives the release; a lease that
 * ran out (its worker died) makes the row due again. Parked rows are never claimed.
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
  const t = as(table);
  const rows = await q
    .updateTable(t)
    .set({ lease_owner: worker, lease_until: leaseUntil, next_action_at: null })
    .where(
      "id",
      "in",
      q
        .selectFrom(t)
        .select("id")
        .where("parked_at", "is", null)
        .where((eb) =>
          eb.or([
            eb.and([eb("next_action_at", "<=", now), eb("lease_until", "is", null)]),
            eb("lease_until", "<", now),
          ]),
        )
        .orderBy("next_action_at")
        .limit(limit)
        .forNoKeyUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
  return rows as unknown as Selectable<Schema[T]>[];
}

/**
 * A step succeeded: ends `worker`'s lease, clears the failure count (unless the step parked the
 * row) and schedules the next look, `next` or sooner if woken meanwhile (null: only when woken).
 */
export async function release(
  db: Db,
  table: QueueTable,
  id: string,
  worker: string,
  next: Date | null,
): Promise<void> {
  await queue(db)
    .updateTable(as(table))
    .set({
      lease_owner: null,
      lease_until: null,
      // A row its step parked keeps its count and its reason for the operator.
      attempts: sql<number>`case when parked_at is null then 0 else attempts end`,
      last_error: sql<string | null>`case when parked_at is null then null else last_error end`,
      next_action_at: sql<Date | null>`least(next_action_at, ${next})`,
    })
    .where("id", "=", id)
    .where("lease_owner", "=", worker)
    .execute();
}

/**
 * A step failed: ends the lease, counts the attempt and keeps the error; the row is due again at
 * `retryAt`, or, when null, parked. Returns the attempts so far (0 if the lease was lost).
 */
export async function recordFailure(
  trx: Transaction<Schema>,
  table: QueueTable,
  row: { id: string; worker: string; error: string; retryAt: Date | null; now: Date },
): Promise<number> {
  const updated = await queue(trx)
    .updateTable(as(table))
    .set((eb) => ({
      lease_owner: null,
      lease_until: null,
      attempts: eb("attempts", "+", 1),
      last_error: row.error,
      next_action_at: row.retryAt,
      parked_at: row.retryAt === null ? row.now : null,
    }))
    .where("id", "=", row.id)
    .where("lease_owner", "=", row.worker)
    .returning("attempts")
    .executeTakeFirst();
  return updated?.attempts ?? 0;
}

/** Parks a row on a decision's word (a transaction that keeps reverting): only an operator resumes it. */
export async function park(
  trx: Transaction<Schema>,
  table: QueueTable,
  id: string,
  reason: string,
  now: Date,
): Promise<void> {
  await queue(trx)
    .updateTable(as(table))
    .set({ parked_at: now, last_error: reason, next_action_at: null })
    .where("id", "=", id)
    .execute();
}

/**
 * An operator's retry: the rows (`ids`, or every parked row) are due now with a clean failure
 * count, and `retried_at` tells the decisions which failures came before. Returns the rows that
 * were parked.
 */
export function unpark(
  trx: Transaction<Schema>,
  table: QueueTable,
  ids: readonly string[] | "all",
  now: Date,
) {
  let update = queue(trx)
    .updateTable(as(table))
    .set({ parked_at: null, attempts: 0, retried_at: now, next_action_at: now })
    .where("parked_at", "is not", null);
  if (ids !== "all") update = update.where("id", "in", ids.length > 0 ? ids : [""]);
  return update.returning(["id", "status"]).execute();
}

export interface ParkedRow {
  table: QueueTable;
  id: string;
  status: string;
  attempts: number;
  lastError: string | null;
  parkedAt: Date;
}

/** Every parked row of both queues, longest parked first. */
export async function parkedRows(db: Db, limit: number): Promise<ParkedRow[]> {
  const lists = await Promise.all(
    (["intents", "executions"] as const).map(async (table) => {
      const rows = await queue(db)
        .selectFrom(as(table))
        .select(["id", "status", "attempts", "last_error", "parked_at"])
        .where("parked_at", "is not", null)
        .orderBy("parked_at")
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        table,
        id: r.id,
        status: r.status,
        attempts: r.attempts,
        lastError: r.last_error,
        parkedAt: r.parked_at as Date,
      }));
    }),
  );
  return lists
    .flat()
    .sort((a, b) => a.parkedAt.getTime() - b.parkedAt.getTime())
    .slice(0, limit);
}

export interface QueueCounts {
  /** Rows given up on, waiting for an operator. */
  parked: number;
  /** Rows whose last attempts failed, backing off before the next. */
  failing: number;
  /** Rows due now (not parked), held or not. */
  due: number;
}

/** Each queue's parked, failing and due rows. */
export async function queueCounts(db: Db, now: Date): Promise<Record<QueueTable, QueueCounts>> {
  const count = async (table: QueueTable): Promise<QueueCounts> => {
    const row = await queue(db)
      .selectFrom(as(table))
      .select((eb) => [
        eb.fn.count<string>("parked_at").as("parked"),
        eb.fn
          .countAll<string>()
          .filterWhere((w) => w.and([w("parked_at", "is", null), w("attempts", ">", 0)]))
          .as("failing"),
        eb.fn
          .countAll<string>()
          .filterWhere((w) => w.and([w("parked_at", "is", null), w("next_action_at", "<=", now)]))
          .as("due"),
      ])
      .where((eb) =>
        eb.or([eb("parked_at", "is not", null), eb("attempts", ">", 0), eb("next_action_at", "<=", now)]),
      )
      .executeTakeFirstOrThrow();
    return { parked: Number(row.parked), failing: Number(row.failing), due: Number(row.due) };
  };
  const [intents, executions] = await Promise.all([count("intents"), count("executions")]);
  return { intents, executions };
}

/** How many rows of a queue table are in each status. */
export async function countByStatus(db: Db, table: QueueTable): Promise<Map<string, number>> {
  const rows = await queue(db)
    .selectFrom(as(table))
    .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
    .groupBy("status")
    .execute();
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}

/**
 * The rows a wake may make due now: not already due sooner, not parked, and not backing off after
 * a failure (a poison row woken at every block would otherwise retry at every block). A row being
 * stepped takes the wake whatever its failures: the step may have read its facts before what the
 * wake announces, and its release keeps the wake if it succeeds.
 */
export const wakeable = (now: Date) =>
  sql<boolean>`(next_action_at is null or next_action_at > ${now}) and parked_at is null
    and (attempts = 0 or lease_owner is not null)`;

/**
 * Makes rows due now, unless they already are sooner; returns how many changed. The rows are
 * locked in id order, as in every statement that locks several rows of a queue (a batch's commit
 * locks its intents in that order too): two such transactions never wait on each other in a circle.
 */
export async function wake(
  db: Executor,
  table: QueueTable,
  ids: readonly string[],
  now: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  const q = queue(db);
  const waiting = q
    .selectFrom(as(table))
    .select("id")
    .where("id", "in", ids)
    .where(wakeable(now))
    .orderBy("id")
    .forNoKeyUpdate();
  const result = await q
    .updateTable(as(table))
    .set({ next_action_at: now })
    .where("id", "in", waiting)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Leases are per process; in the embedded single-process mode a restart drops them all. A row
 * that was leased was being stepped when the process stopped (its claim cleared when it was due),
 * so it is due now.
 */
export async function dropLeases(db: Db, table: QueueTable, now: Date): Promise<void> {
  await queue(db)
    .updateTable(as(table))
    .set({
      lease_owner: null,
      lease_until: null,
      next_action_at: sql<Date>`coalesce(next_action_at, ${now})`,
    })
    .where("lease_owner", "is not", null)
    .execute();
}
