import { type Kysely, sql } from "kysely";

/**
 * The operator's activity charts read the fills mined in a recent window: they have an index by
 * time of their own, so the page costs the window's rows, not the whole event log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index events_fill_mined on events (at) where type = 'fill.mined'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index events_fill_mined`.execute(db);
}
