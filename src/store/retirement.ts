import type { Transaction } from "kysely";
import type { QuoteUse } from "../core/intent/retirement.ts";
import type { Stage } from "../core/intent/stages.ts";
import type { IntentStatus } from "../core/intent/status.ts";
import type { Schema } from "./schema.ts";

/** Where a page of expired quotes ends, for the next one. */
export interface QuotePageEnd {
  quoteExpiresAt: Date;
  seq: string;
}

/**
 * A page of QUOTED intents that still have their plan and expired by `cutoff`, oldest first after
 * `after`, with what was ever recorded for them; locked until the transaction ends, those a step
 * holds skipped (they are looked at again next time). From `intents_unused_quotes`, which holds
 * only quotes not yet retired.
 */
export async function expiredQuotes(
  trx: Transaction<Schema>,
  cutoff: Date,
  after: QuotePageEnd | null,
  limit: number,
): Promise<(QuoteUse & QuotePageEnd & { id: string })[]> {
  let query = trx
    .selectFrom("intents as i")
    .select(["i.id", "i.seq", "i.status", "i.stage", "i.quote_expires_at"])
    .select((eb) => [
      eb
        .exists(eb.selectFrom("deposits").select("id").whereRef("deposits.intent_id", "=", "i.id"))
        .as("deposited"),
      eb
        .exists(eb.selectFrom("chain_txs").select("id").whereRef("chain_txs.intent_id", "=", "i.id"))
        .as("transacted"),
    ])
    .where("i.status", "=", "QUOTED")
    .where("i.plan", "is not", null)
    .where("i.quote_expires_at", "<=", cutoff);
  if (after) {
    query = query.where((eb) =>
      eb(eb.refTuple("i.quote_expires_at", "i.seq"), ">", eb.tuple(after.quoteExpiresAt, after.seq)),
    );
  }
  const rows = await query
    .orderBy("i.quote_expires_at")
    .orderBy("i.seq")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((r) => ({
    id: r.id,
    seq: r.seq,
    status: r.status as IntentStatus,
    stage: r.stage as Stage,
    quoteExpiresAt: r.quote_expires_at,
    deposited: Boolean(r.deposited),
    transacted: Boolean(r.transacted),
  }));
}

/**
 * Retires the quotes `ids`: drops their plans and their `intent.quoted` events (their only ones),
 * so unused quotes do not pile up in the event log either. The rest of each row stays as it was,
 * its deposit address with it, and no version moves: no decision about such a quote changes (its
 * plan is rebuilt from the columns, exact in everything those decisions read).
 */
export async function dropPlans(trx: Transaction<Schema>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await trx.updateTable("intents").set({ plan: null }).where("id", "in", ids).execute();
  await trx.deleteFrom("events").where("intent_id", "in", ids).where("type", "=", "intent.quoted").execute();
}
