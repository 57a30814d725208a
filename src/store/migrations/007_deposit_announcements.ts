import { type Kysely, sql } from "kysely";

/**
 * Deposit transactions a client announced before they were mined (a wallet returns the hash at
 * broadcast): each is followed until it is mined, then acted on as an announced deposit is, or
 * forgotten at `until`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table deposit_announcements (
    chain_id integer not null,
    tx_hash text not null,
    deposit_address text not null,
    until timestamptz not null,
    primary key (chain_id, tx_hash, deposit_address)
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table deposit_announcements`.execute(db);
}
