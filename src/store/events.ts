import { sql, type Transaction } from "kysely";
import { toJsonText } from "../core/json.ts";
import type { Db } from "./database.ts";
import type { Schema } from "./schema.ts";

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
 * Appends events as the last statement of a transaction. The lock makes sequence numbers follow
 * commit order: a transaction holds it from here until it commits, so no event can be committed
 * with a smaller number after one with a larger number is visible, and a reader resuming after
 * sequence N misses nothing.
 */
export async function appendEvents(trx: Transaction<Schema>, events: readonly NewEvent[]) {
  if (events.length === 0) return [];
  await sql`select pg_advisory_xact_lock(hashtext('junction:events'))`.execute(trx);
  const rows = await trx
    .insertInto("events")
    .values(
      events.map((e) => ({
        intent_id: e.intentId,
        execution_id: e.executionId,
        type: e.type,
        status: e.status,
        data: toJsonText(e.data),
        at: e.at,
      })),
    )
    .returning("seq")
    .execute();
  return events.map((e, i): CommittedEvent => ({ ...e, seq: rows[i]?.seq ?? "" }));
}

/** An intent's events, oldest first. */
export function intentEvents(db: Db, intentId: string) {
  return db.selectFrom("events").selectAll().where("intent_id", "=", intentId).orderBy("seq").execute();
}
