import { type Kysely, sql } from "kysely";

/**
 * A batch (one transaction filling or sweeping several intents) is kept as one row per intent,
 * all at the same nonce with the same signed bytes, so each intent follows its own outcome. A
 * nonce stays unique among transactions sent alone, and within a batch, to each intent once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table chain_txs add column batched boolean not null default false`.execute(db);
  await sql`alter table chain_txs drop constraint chain_txs_nonce`.execute(db);
  await sql`create unique index chain_txs_nonce on chain_txs (chain_id, sender, nonce) where not batched`.execute(
    db,
  );
  await sql`create unique index chain_txs_batch_order on chain_txs (chain_id, sender, nonce, intent_id) where batched`.execute(
    db,
  );
}

/** Only while no batch is on record: its rows are the record of real payments, never dropped. */
export async function down(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from chain_txs where batched`.execute(
    db,
  );
  if (rows[0]?.n !== "0") {
    throw new Error(`cannot undo 010_batches: ${rows[0]?.n} transaction rows belong to batches`);
  }
  await sql`drop index chain_txs_batch_order`.execute(db);
  await sql`drop index chain_txs_nonce`.execute(db);
  await sql`alter table chain_txs add constraint chain_txs_nonce unique (chain_id, sender, nonce)`.execute(
    db,
  );
  await sql`alter table chain_txs drop column batched`.execute(db);
}
