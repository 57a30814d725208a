import { type Kysely, sql } from "kysely";

/**
 * Intents (the state machine and the work queue), their append-only events, deposits seen on
 * chain, the engine's own transactions and the per-chain cursors and nonces. Amounts are
 * decimal text: exact, and never squeezed through a JS number by a driver.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("intents")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("seq", "bigint", (c) => c.generatedAlwaysAsIdentity().notNull().unique())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("stage", "text", (c) => c.notNull())
    .addColumn("status_reason", "text")
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("trade_type", "text", (c) => c.notNull())
    .addColumn("origin_chain_id", "integer", (c) => c.notNull())
    .addColumn("origin_token", "text", (c) => c.notNull())
    .addColumn("deposit_address", "text", (c) => c.notNull())
    .addColumn("destination_chain_id", "integer", (c) => c.notNull())
    .addColumn("destination_token", "text", (c) => c.notNull())
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("from_amount", "text", (c) => c.notNull())
    .addColumn("from_amount_min", "text", (c) => c.notNull())
    .addColumn("to_amount", "text", (c) => c.notNull())
    .addColumn("to_amount_min", "text", (c) => c.notNull())
    .addColumn("reserved", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("plan", "jsonb", (c) => c.notNull())
    .addColumn("quote_expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("commit_expires_at", "timestamptz")
    .addColumn("deposit_tx_hash", "text")
    .addColumn("next_action_at", "timestamptz")
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .execute();
  await sql`create index intents_due on intents (next_action_at) where next_action_at is not null`.execute(
    db,
  );
  await sql`create index intents_leased on intents (lease_until) where lease_until is not null`.execute(db);
  await db.schema.createIndex("intents_owner").on("intents").columns(["owner", "seq"]).execute();
  await db.schema.createIndex("intents_deposit_address").on("intents").column("deposit_address").execute();
  await sql`create index intents_reserved on intents (destination_chain_id, destination_token) where reserved`.execute(
    db,
  );

  await db.schema
    .createTable("intent_events")
    .addColumn("id", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn("intent_id", "text", (c) => c.notNull().references("intents.id"))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("data", "jsonb", (c) => c.notNull())
    .addColumn("at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("intent_events_intent")
    .on("intent_events")
    .columns(["intent_id", "id"])
    .execute();

  await db.schema
    .createTable("deposits")
    .addColumn("id", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn("intent_id", "text", (c) => c.notNull().references("intents.id"))
    .addColumn("chain_id", "integer", (c) => c.notNull())
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("block_hash", "text", (c) => c.notNull())
    .addColumn("tx_hash", "text", (c) => c.notNull())
    /** -1 for a native-coin transfer (a transaction's value, not a log). */
    .addColumn("log_index", "integer", (c) => c.notNull())
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("from_address", "text", (c) => c.notNull())
    .addColumn("amount", "text", (c) => c.notNull())
    .addColumn("at", "timestamptz", (c) => c.notNull())
    .addUniqueConstraint("deposits_seen_once", ["chain_id", "block_hash", "tx_hash", "log_index"])
    .execute();
  await db.schema.createIndex("deposits_intent").on("deposits").column("intent_id").execute();
  await db.schema.createIndex("deposits_tx").on("deposits").column("tx_hash").execute();

  await db.schema
    .createTable("chain_txs")
    .addColumn("id", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn("intent_id", "text", (c) => c.notNull().references("intents.id"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("chain_id", "integer", (c) => c.notNull())
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("nonce", "bigint", (c) => c.notNull())
    /** The asset a refund returns (the intent's token or a stray one). */
    .addColumn("asset", "text")
    .addColumn("raw", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("block_number", "bigint")
    .addColumn("detail", "jsonb")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addUniqueConstraint("chain_txs_nonce", ["chain_id", "sender", "nonce"])
    .execute();
  await db.schema.createIndex("chain_txs_intent").on("chain_txs").columns(["intent_id", "kind"]).execute();
  await db.schema.createIndex("chain_txs_hash").on("chain_txs").column("hash").execute();
  await sql`create index chain_txs_pending on chain_txs (chain_id) where status = 'pending'`.execute(db);

  await db.schema
    .createTable("sender_nonces")
    .addColumn("chain_id", "integer", (c) => c.notNull())
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("next_nonce", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("sender_nonces_pk", ["chain_id", "sender"])
    .execute();

  await db.schema
    .createTable("chain_cursors")
    .addColumn("chain_id", "integer", (c) => c.primaryKey())
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "chain_cursors",
    "sender_nonces",
    "chain_txs",
    "deposits",
    "intent_events",
    "intents",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
