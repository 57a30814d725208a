import { type Kysely, sql } from "kysely";

/**
 * Unused quotes stop costing as they pile up. A retired quote's plan is dropped (null: it is
 * rebuilt from the row's columns, see core/intent/retirement.ts); the quotes still to consider for
 * retirement have an index of their own, which retirement empties as it goes. Deposit addresses are
 * looked up by their lowercase form, as the chains report them, in one indexed query per scanned
 * range: that index replaces the one on the address as written.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table intents alter column plan drop not null`.execute(db);
  await sql`create index intents_unused_quotes on intents (quote_expires_at, seq)
    where status = 'QUOTED' and plan is not null`.execute(db);
  await sql`create index intents_deposit_address_lower on intents (lower(deposit_address))`.execute(db);
  await sql`drop index intents_deposit_address`.execute(db);
}

/** Refused by the database once a quote was retired: its plan is gone. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table intents alter column plan set not null`.execute(db);
  await db.schema.createIndex("intents_deposit_address").on("intents").column("deposit_address").execute();
  await sql`drop index intents_deposit_address_lower`.execute(db);
  await sql`drop index intents_unused_quotes`.execute(db);
}
