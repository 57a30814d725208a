import { type Kysely, sql } from "kysely";

/**
 * Intents Connect executions (their own state machine and work queue, like intents), their
 * append-only events, and transactions owned by an execution (the intermediary's steps) rather
 * than an intent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("executions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("seq", "bigint", (c) => c.generatedAlwaysAsIdentity().notNull().unique())
    .addColumn("wallet", "text", (c) => c.notNull())
    .addColumn("wallet_type", "text", (c) => c.notNull())
    .addColumn("identity", "text", (c) => c.notNull())
    .addColumn("intermediary", "text", (c) => c.notNull())
    /** quote_with_steps or steps_only */
    .addColumn("mode", "text", (c) => c.notNull())
    /** in (bridge-in), out (out-operation) or steps (steps-only) */
    .addColumn("direction", "text", (c) => c.notNull())
    /** Where the steps run. */
    .addColumn("chain_id", "integer", (c) => c.notNull())
    .addColumn("intent_id", "text", (c) => c.references("intents.id"))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("status_reason", "text")
    /** Everything decided at creation: the request, the quote, the steps as they will run, the signing payload. */
    .addColumn("plan", "jsonb", (c) => c.notNull())
    .addColumn("signature", "text")
    .addColumn("public_key", "text")
    .addColumn("signed_at", "timestamptz")
    .addColumn("deadline", "timestamptz", (c) => c.notNull())
    .addColumn("deleted_at", "timestamptz")
    .addColumn("next_action_at", "timestamptz")
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .execute();
  // One live execution per intermediary account and chain, enforced where races cannot slip past.
  await sql`create unique index executions_one_live on executions (intermediary, chain_id)
    where deleted_at is null and status in ('CREATED', 'DEPOSIT_PENDING', 'DEPOSIT_PROCESSING', 'OPERATION_PENDING', 'OPERATION_PROCESSING')`.execute(
    db,
  );
  await sql`create index executions_due on executions (next_action_at) where next_action_at is not null`.execute(
    db,
  );
  await sql`create index executions_leased on executions (lease_until) where lease_until is not null`.execute(
    db,
  );
  await db.schema.createIndex("executions_wallet").on("executions").columns(["wallet", "seq"]).execute();
  await db.schema.createIndex("executions_intent").on("executions").column("intent_id").execute();

  await db.schema
    .createTable("execution_events")
    .addColumn("id", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn("execution_id", "text", (c) => c.notNull().references("executions.id"))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("data", "jsonb", (c) => c.notNull())
    .addColumn("at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("execution_events_execution")
    .on("execution_events")
    .columns(["execution_id", "id"])
    .execute();

  await sql`alter table chain_txs alter column intent_id drop not null`.execute(db);
  await sql`alter table chain_txs add column execution_id text references executions (id)`.execute(db);
  await sql`alter table chain_txs add constraint chain_txs_owner check (intent_id is not null or execution_id is not null)`.execute(
    db,
  );
  await db.schema.createIndex("chain_txs_execution").on("chain_txs").column("execution_id").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table chain_txs drop constraint chain_txs_owner`.execute(db);
  await sql`alter table chain_txs drop column execution_id`.execute(db);
  await db.schema.dropTable("execution_events").execute();
  await db.schema.dropTable("executions").execute();
}
