import { type Kysely, sql } from "kysely";

/**
 * Webhook endpoints and their delivery attempts. The events table is the outbox: each endpoint
 * keeps a cursor (the last event it acknowledged), so what it is sent is exactly what committed,
 * in sequence order, and a replay is a cursor moved back.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table webhooks (
    id text primary key,
    url text not null,
    events text[] not null,
    owner text,
    secret text not null,
    enabled boolean not null default true,
    disabled_reason text,
    cursor bigint not null,
    failures integer not null default 0,
    -- Moved by every replay and resumption: a delivery that began before one stops writing.
    version integer not null default 0,
    next_attempt_at timestamptz not null,
    lease_owner text,
    lease_until timestamptz,
    created_at timestamptz not null
  )`.execute(db);
  await sql`create table webhook_deliveries (
    id bigserial primary key,
    webhook_id text not null references webhooks (id) on delete cascade,
    seq bigint not null,
    event_type text not null,
    attempt integer not null,
    status_code integer,
    latency_ms integer not null,
    error text,
    response_excerpt text,
    at timestamptz not null
  )`.execute(db);
  await sql`create index webhook_deliveries_of on webhook_deliveries (webhook_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table webhook_deliveries`.execute(db);
  await sql`drop table webhooks`.execute(db);
}
