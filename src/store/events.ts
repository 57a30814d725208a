import { sql, type Transaction } from "kysely";
import type { IntentPlan } from "../core/intent/plan.ts";
import { toJsonText } from "../core/json.ts";
import type { Db } from "./database.ts";
import { quotedIntentRow } from "./intents.ts";
import type { Schema } from "./schema.ts";

/** Held from an event's numbering to its commit: see `appendEvents`. */
const eventsLock = sql`pg_advisory_xact_lock(hashtext('junction:events'))`;

/** A state change to record: of an intent, or of an execution (with the intent under it, if any). */
export interface NewEvent {
  intentId: string | null;
  executionId: string | null;
  type: string;
  status: string;
  data: Record<string, unknown>;
  at: Date;
}

/** An event as committed: its sequence number orders it among every other event. */
export interface CommittedEvent extends NewEvent {
  seq: string;
}

/**
 * Appends events as the last statement of a transaction, in one statement with the event lock and
 * (on PostgreSQL) the commit's NOTIFY. The lock makes sequence numbers follow commit order: it is
 * taken (the join's lock row is read) before any event's number is drawn, and held until the
 * transaction commits, so no event can be committed with a smaller number after one with a larger
 * number is visible, and a reader resuming after sequence N misses nothing.
 */
export async function appendEvents(
  trx: Transaction<Schema>,
  events: readonly NewEvent[],
  notice: { channel: string; text: string } | null = null,
): Promise<CommittedEvent[]> {
  if (events.length === 0) return [];
  const rows = events.map(
    (e, i) =>
      sql`(${e.intentId}::text, ${e.executionId}::text, ${e.type}::text, ${e.status}::text, ${toJsonText(e.data)}::jsonb, ${e.at}::timestamptz, ${i}::int)`,
  );
  const notified = notice ? sql`, (select pg_notify(${notice.channel}, ${notice.text})) as notified` : sql``;
  const inserted = await sql<{ seq: string }>`
    with locked as (select ${eventsLock}::text)
    insert into events (intent_id, execution_id, type, status, data, at)
    select v.intent_id, v.execution_id, v.type, v.status, v.data, v.at
    from locked${notified}, (values ${sql.join(rows)}) as v(intent_id, execution_id, type, status, data, at, n)
    order by v.n
    returning seq`.execute(trx);
  return events.map((e, i): CommittedEvent => ({ ...e, seq: inserted.rows[i]?.seq ?? "" }));
}

/**
 * A quote of its own (no execution built on it) and its `intent.quoted` event, in one statement:
 * atomic by itself, one round trip on the API's busiest write, where BEGIN and COMMIT would add
 * two. The event lock is taken (the join's lock row is read) before the event's number is drawn,
 * and held until the statement commits, as `appendEvents` holds it; a notification goes at commit.
 */
export async function insertQuotedIntentWithEvent(
  db: Db,
  plan: IntentPlan,
  now: Date,
  quotedBy: string | null,
  /** On PostgreSQL: the NOTIFY that tells other processes, sent by the same statement. */
  notice: { channel: string; text: string } | null = null,
): Promise<CommittedEvent> {
  const event: NewEvent = {
    intentId: plan.intentId,
    executionId: null,
    type: "intent.quoted",
    status: "QUOTED",
    data: {},
    at: now,
  };
  const row = await db
    .with("quoted", (q) =>
      q
        .insertInto("intents")
        .values(quotedIntentRow(plan, now, quotedBy ? { quotedBy } : {}))
        .returning("id"),
    )
    .with("locked", (q) => q.selectNoFrom(sql<string>`${eventsLock}::text`.as("locked")))
    .with("notified", (q) =>
      notice
        ? q
            .selectFrom(sql`(select pg_notify(${notice.channel}, ${notice.text}))`.as("n"))
            .select(sql<number>`1`.as("sent"))
        : q.selectNoFrom(sql<number>`1`.as("sent")),
    )
    .insertInto("events")
    .columns(["intent_id", "execution_id", "type", "status", "data", "at"])
    .expression((q) =>
      q
        .selectFrom(["quoted", "locked", "notified"])
        .select([
          "quoted.id",
          sql<null>`null`.as("execution_id"),
          sql<string>`${event.type}`.as("type"),
          sql<string>`${event.status}`.as("status"),
          sql<string>`${toJsonText(event.data)}::jsonb`.as("data"),
          sql<Date>`${now}::timestamptz`.as("at"),
        ]),
    )
    .returning("seq")
    .executeTakeFirstOrThrow();
  return { ...event, seq: row.seq };
}

/** The events that record an intent's deposit confirmed, each with the balance the fill was decided on. */
export const depositConfirmedTypes = ["intent.executing", "deposit.confirmed"];

/**
 * When the intent's deposit was last confirmed: its move to EXECUTING, or for a deposit announced
 * before it was mined, its later `deposit.confirmed`.
 */
export async function depositConfirmedAt(db: Db, intentId: string): Promise<Date | null> {
  const row = await db
    .selectFrom("events")
    .select((eb) => eb.fn.max("at").as("at"))
    .where("intent_id", "=", intentId)
    .where("type", "in", depositConfirmedTypes)
    .executeTakeFirst();
  return row?.at ? new Date(row.at) : null;
}

/** An intent's events, oldest first. */
export function intentEvents(db: Db, intentId: string) {
  return db.selectFrom("events").selectAll().where("intent_id", "=", intentId).orderBy("seq").execute();
}

/** An event with what subscribers filter it by: its execution (also for an intent under one) and owners. */
export interface EventWithOwners {
  seq: string;
  type: string;
  intent_id: string | null;
  execution_id: string | null;
  status: string;
  data: Record<string, unknown>;
  at: Date;
  intent_owner: string | null;
  wallet: string | null;
}

/**
 * Events after sequence `after`, oldest first, at most `limit`; with `subjects`, only those of the
 * named intents, executions (an execution's include its intent's) and owners. Reading on from the last
 * sequence seen misses nothing: sequence numbers follow commit order (see `appendEvents`).
 */
export function eventsAfter(
  db: Db,
  after: bigint,
  limit: number,
  subjects?: { intentIds: readonly string[]; executionIds: readonly string[]; owners?: readonly string[] },
): Promise<EventWithOwners[]> {
  let query = db
    .selectFrom("events as e")
    .leftJoin("intents as i", "i.id", "e.intent_id")
    .leftJoin("executions as x", (join) =>
      join.on(sql`x.id`, "=", sql`coalesce(e.execution_id, i.execution_id)`),
    )
    .select([
      "e.seq",
      "e.type",
      "e.intent_id",
      sql<string | null>`coalesce(e.execution_id, i.execution_id)`.as("execution_id"),
      "e.status",
      "e.data",
      "e.at",
      "i.owner as intent_owner",
      "x.wallet",
    ])
    .where("e.seq", ">", after.toString());
  if (subjects) {
    const intents = [...subjects.intentIds];
    const executions = [...subjects.executionIds];
    // Owners as `ownerKey` gives them: EVM addresses in lowercase, other wallet ids as they are.
    const owners = [...(subjects.owners ?? [])];
    query = query.where((eb) =>
      eb.or([
        ...(intents.length > 0 ? [eb("e.intent_id", "in", intents)] : []),
        ...(executions.length > 0
          ? [eb("e.execution_id", "in", executions), eb("i.execution_id", "in", executions)]
          : []),
        ...(owners.length > 0
          ? [
              sql<boolean>`lower(i.owner) = any(${owners}::text[])`,
              sql<boolean>`x.wallet = any(${owners}::text[])`,
              sql<boolean>`lower(x.wallet) = any(${owners}::text[])`,
            ]
          : []),
        ...(intents.length + executions.length + owners.length === 0 ? [sql<boolean>`false`] : []),
      ]),
    );
  }
  return query.orderBy("e.seq").limit(limit).execute() as Promise<EventWithOwners[]>;
}

/** The sequence number of the last committed event (0 when there is none). */
export async function lastSequence(db: Db): Promise<bigint> {
  const row = await db.selectFrom("events").select(sql<string | null>`max(seq)`.as("seq")).executeTakeFirst();
  return BigInt(row?.seq ?? 0);
}
