import { type Kysely, sql } from "kysely";

/**
 * What following a transaction to the end needs when the chain does not do what was asked: the
 * hashes of the earlier versions of a transaction replaced at the same nonce (a higher fee, or a
 * filler for a nonce the chain forgot), any of which may be the one mined, and when it was last
 * put on the wire.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table chain_txs
    add column prior_hashes text[] not null default '{}',
    add column sent_at timestamptz`.execute(db);
  await sql`update chain_txs set sent_at = created_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table chain_txs drop column prior_hashes, drop column sent_at`.execute(db);
}
