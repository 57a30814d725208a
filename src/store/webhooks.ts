import { type Selectable, sql } from "kysely";
import type { Db } from "./database.ts";
import type { WebhookDeliveriesTable, WebhooksTable } from "./schema.ts";

export type WebhookRow = Selectable<WebhooksTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;

export interface NewWebhook {
  id: string;
  url: string;
  events: string[];
  owner: string | null;
  secret: string;
  /** Events up to this one are not sent: an endpoint gets what happens after it is added. */
  cursor: bigint;
}

export async function insertWebhook(db: Db, hook: NewWebhook, now: Date): Promise<WebhookRow> {
  return db
    .insertInto("webhooks")
    .values({ ...hook, cursor: hook.cursor.toString(), next_attempt_at: now, created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function listWebhooks(db: Db): Promise<WebhookRow[]> {
  return db.selectFrom("webhooks").selectAll().orderBy("created_at").execute();
}

export function findWebhook(db: Db, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom("webhooks").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Removes the endpoint and its delivery log; false when there was none. */
export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom("webhooks").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Sends the endpoint again everything after `cursor` (a replay), or resumes a disabled one: due
 * now, its failure count cleared, enabled.
 */
export async function resumeWebhook(
  db: Db,
  id: string,
  now: Date,
  cursor?: bigint,
): Promise<WebhookRow | undefined> {
  return db
    .updateTable("webhooks")
    .set((eb) => ({
      enabled: true,
      disabled_reason: null,
      failures: 0,
      next_attempt_at: now,
      version: eb("version", "+", 1),
      ...(cursor === undefined ? {} : { cursor: cursor.toString() }),
    }))
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

/** Whether any endpoint is enabled: with none, nothing is ever due. */
export async function anyEnabledWebhook(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom("webhooks")
    .select("id")
    .where("enabled", "=", true)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Claims up to `limit` enabled endpoints that are due and have events after their cursor, for
 * `worker` until `leaseUntil`: one statement, as it runs after every commit. SKIP LOCKED and the lease keep
 * two processes from delivering to one endpoint at once; a lease that ran out (its process died)
 * makes the endpoint claimable again.
 */
export function claimWebhooks(
  db: Db,
  worker: string,
  claim: { now: Date; leaseUntil: Date; limit: number },
): Promise<WebhookRow[]> {
  return db
    .updateTable("webhooks")
    .set({ lease_owner: worker, lease_until: claim.leaseUntil })
    .where(
      "id",
      "in",
      db
        .selectFrom("webhooks")
        .select("id")
        .where("enabled", "=", true)
        .where("next_attempt_at", "<=", claim.now)
        .where("cursor", "<", sql<string>`(select max(seq) from events)`)
        .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", claim.now)]))
        .orderBy("next_attempt_at")
        .limit(claim.limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}

/** What a claimed endpoint's holder changes; applied only while it still holds the lease. */
export interface WebhookProgress {
  cursor?: bigint;
  failures?: number;
  nextAttemptAt?: Date;
  disabledReason?: string;
  leaseUntil?: Date | null;
}

/**
 * Applies `progress` if `worker` still holds the endpoint at the version it claimed; false when it
 * lost it, it was replayed or resumed meanwhile, or it was deleted.
 */
export async function updateClaimedWebhook(
  db: Db,
  claimed: { id: string; version: number },
  worker: string,
  progress: WebhookProgress,
): Promise<boolean> {
  const result = await db
    .updateTable("webhooks")
    .set({
      ...(progress.cursor === undefined ? {} : { cursor: progress.cursor.toString() }),
      ...(progress.failures === undefined ? {} : { failures: progress.failures }),
      ...(progress.nextAttemptAt ? { next_attempt_at: progress.nextAttemptAt } : {}),
      ...(progress.disabledReason ? { enabled: false, disabled_reason: progress.disabledReason } : {}),
      ...(progress.leaseUntil === undefined
        ? {}
        : {
            lease_until: progress.leaseUntil,
            ...(progress.leaseUntil === null ? { lease_owner: null } : {}),
          }),
    })
    .where("id", "=", claimed.id)
    .where("version", "=", claimed.version)
    .where("lease_owner", "=", worker)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Gives the endpoint back if `worker` still holds it, whatever its version. */
export async function releaseWebhook(db: Db, id: string, worker: string): Promise<void> {
  await db
    .updateTable("webhooks")
    .set({ lease_owner: null, lease_until: null })
    .where("id", "=", id)
    .where("lease_owner", "=", worker)
    .execute();
}

/** Logs a delivery attempt; false when the endpoint no longer exists (deleted meanwhile). */
export async function recordDelivery(
  db: Db,
  delivery: Omit<DeliveryRow, "id" | "seq"> & { seq: bigint },
): Promise<boolean> {
  const row = await db
    .insertInto("webhook_deliveries")
    .columns([
      "webhook_id",
      "seq",
      "event_type",
      "attempt",
      "status_code",
      "latency_ms",
      "error",
      "response_excerpt",
      "at",
    ])
    .expression((eb) =>
      eb
        .selectFrom("webhooks")
        .select([
          "webhooks.id",
          sql<string>`${delivery.seq.toString()}::bigint`.as("seq"),
          sql<string>`${delivery.event_type}`.as("event_type"),
          sql<number>`${delivery.attempt}::int`.as("attempt"),
          sql<number | null>`${delivery.status_code}::int`.as("status_code"),
          sql<number>`${delivery.latency_ms}::int`.as("latency_ms"),
          sql<string | null>`${delivery.error}::text`.as("error"),
          sql<string | null>`${delivery.response_excerpt}::text`.as("response_excerpt"),
          sql<Date>`${delivery.at}::timestamptz`.as("at"),
        ])
        .where("webhooks.id", "=", delivery.webhook_id),
    )
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

/** The endpoint's latest delivery attempts, newest first. */
export function deliveriesOf(db: Db, webhookId: string, limit: number): Promise<DeliveryRow[]> {
  return db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("webhook_id", "=", webhookId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

/** Drops delivery attempts older than `before`: the log is for looking into recent trouble. */
export async function pruneDeliveries(db: Db, before: Date): Promise<void> {
  await db.deleteFrom("webhook_deliveries").where("at", "<", before).execute();
}

/** Frees every endpoint's lease: on PGlite, which serves one process, any lease is a previous run's. */
export async function dropWebhookLeases(db: Db): Promise<void> {
  await db.updateTable("webhooks").set({ lease_owner: null, lease_until: null }).execute();
}
