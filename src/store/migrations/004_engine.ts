import { type Kysely, sql } from "kysely";

/**
 * The engine's redesign: one event log for intents and executions, numbered in commit order;
 * failure accounting on both work queues; the destination call's outcome, the Connect execution
 * built on an intent, a version counting its changes and who quoted it as columns of the intent;
 * prices in plans as exact decimals.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("events")
    .addColumn("seq", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn("intent_id", "text", (c) => c.references("intents.id"))
    .addColumn("execution_id", "text", (c) => c.references("executions.id"))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("data", "jsonb", (c) => c.notNull())
    .addColumn("at", "timestamptz", (c) => c.notNull())
    .addCheckConstraint("events_subject", sql`intent_id is not null or execution_id is not null`)
    .execute();
  await sql`create index events_intent on events (intent_id, seq) where intent_id is not null`.execute(db);
  await sql`create index events_execution on events (execution_id, seq) where execution_id is not null`.execute(
    db,
  );
  await sql`insert into events (intent_id, execution_id, type, status, data, at)
    select intent_id, execution_id, type, status, data, at from (
      select intent_id, null::text as execution_id, type, status, data, at, id, 0 as source from intent_events
      union all
      select x.intent_id, e.execution_id, e.type, e.status, e.data, e.at, e.id, 1 from execution_events e
        join executions x on x.id = e.execution_id
    ) old order by at, source, id`.execute(db);

  await sql`alter table intents
    add column destination_call_succeeded boolean,
    add column execution_id text,
    add column version integer not null default 0,
    add column quoted_by text`.execute(db);
  await sql`update intents i set destination_call_succeeded = (ev.data->>'callSucceeded')::boolean
    from events ev where ev.intent_id = i.id and ev.type = 'fill.mined'`.execute(db);
  await sql`update intents i set execution_id = x.id from executions x where x.intent_id = i.id`.execute(db);
  // A restricted listing shows a key's own intents, newest first.
  await sql`create index intents_quoted_by on intents (quoted_by, seq) where quoted_by is not null`.execute(
    db,
  );
  await db.schema.dropTable("intent_events").execute();
  await db.schema.dropTable("execution_events").execute();

  for (const table of ["intents", "executions"]) {
    await sql`alter table ${sql.table(table)}
      add column attempts integer not null default 0,
      add column last_error text,
      add column parked_at timestamptz,
      add column retried_at timestamptz`.execute(db);
    await sql`create index ${sql.id(`${table}_parked`)} on ${sql.table(table)} (parked_at) where parked_at is not null`.execute(
      db,
    );
  }

  // What a new block wakes: the deposits made within the chain's confirmation window.
  await db.schema
    .createIndex("deposits_block")
    .on("deposits")
    .columns(["chain_id", "block_number"])
    .execute();

  // Prices were JSON numbers: as decimal text they stay exact (jsonb keeps numbers as numeric).
  for (const side of ["from", "to"]) {
    await sql`update intents set plan = jsonb_set(plan, ${sql.lit(`{${side},priceUsd}`)}::text[], to_jsonb(plan #>> ${sql.lit(`{${side},priceUsd}`)}::text[]))
      where jsonb_typeof(plan #> ${sql.lit(`{${side},priceUsd}`)}::text[]) = 'number'`.execute(db);
  }
  for (const field of ["originNativeUsd", "destinationNativeUsd"]) {
    await sql`update intents set plan = jsonb_set(plan, ${sql.lit(`{${field}}`)}::text[], to_jsonb(plan ->> ${field}))
      where jsonb_typeof(plan -> ${field}) = 'number'`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error("004_engine cannot be undone: the old event tables are gone");
}
