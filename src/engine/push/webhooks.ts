import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { Webhook } from "standardwebhooks";
import type { Config } from "../../config/schema.ts";
import {
  type EventFilter,
  matchesEvent,
  messageId,
  type PushEvent,
  webhookRetryAt,
} from "../../core/events.ts";
import type { Db } from "../../store/database.ts";
import { eventsAfter } from "../../store/events.ts";
import {
  claimWebhooks,
  pruneDeliveries,
  recordDelivery,
  updateClaimedWebhook,
  type WebhookRow,
} from "../../store/webhooks.ts";
import type { Clock } from "../ports.ts";
import { WorkSignal } from "../work-signal.ts";
import { pushEventOf } from "./feed.ts";
import { type PostResult, postWebhook } from "./post.ts";

export type WebhookSettings = Config["push"]["webhooks"];

/** An event's `data` as the dialects show it (the same as the stream's). */
export type RenderEvent = (event: PushEvent) => Promise<Record<string, unknown>>;

/** How long a claimed endpoint is this process's; renewed with each delivery. */
const LEASE_MS = 60_000;
/** Endpoints delivered to at once by one process. */
const CLAIM = 8;
/** Events read per query while delivering. */
const PAGE = 100;
/** Longest wait with nothing due; news of a commit ends it early. */
const IDLE_MS = 1_000;
/** Least time between rounds that found nothing due. */
const QUIET_GAP_MS = 20;
/** Delivery attempts are kept this long. */
const DELIVERY_LOG_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Delivers events to webhook endpoints, at least once and in sequence order per endpoint. The
 * event log is the outbox; each endpoint's cursor says what it has acknowledged. See README.md
 * in this folder for the states.
 */
export class WebhookDispatcher {
  private readonly signal = new WorkSignal();
  private readonly worker = `webhooks:${randomUUID()}`;
  private readonly stopping = new AbortController();
  private done: Promise<void> | null = null;
  private prunedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly settings: WebhookSettings,
    private readonly render: RenderEvent,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** There are new events (or an endpoint was added or resumed): look now. */
  wake(): void {
    this.signal.wake();
  }

  start(): void {
    this.done = (async () => {
      while (!this.stopping.signal.aborted) {
        let claimed = false;
        try {
          claimed = await this.round();
        } catch (err) {
          this.log.warn({ err }, "webhook round failed; retrying");
        }
        // A round that found nothing to send is not repeated at once for every commit after it:
        // news within the gap is taken together.
        if (!claimed) await sleep(QUIET_GAP_MS, undefined, { signal: this.stopping.signal }).catch(() => {});
        await this.signal.wait(IDLE_MS, this.stopping.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.done;
  }

  /** Claims the endpoints that are due and delivers to each; true when any was claimed. */
  async round(): Promise<boolean> {
    const now = this.clock.now();
    if (now.getTime() - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = now.getTime();
      await pruneDeliveries(this.db, new Date(now.getTime() - DELIVERY_LOG_MS));
    }
    const hooks = await claimWebhooks(this.db, this.worker, {
      now,
      leaseUntil: new Date(now.getTime() + LEASE_MS),
      limit: CLAIM,
    });
    await Promise.all(
      hooks.map((hook) =>
        this.deliverTo(hook).catch(async (err: unknown) => {
          // Given back at once (not held until the lease runs out); what it acknowledged stays.
          this.log.warn({ err, webhook: hook.id }, "webhook delivery round failed; retrying");
          await updateClaimedWebhook(this.db, hook.id, this.worker, { leaseUntil: null });
        }),
      ),
    );
    // More may be due than one claim took.
    if (hooks.length === CLAIM) this.signal.wake();
    return hooks.length > 0;
  }

  /**
   * Sends the endpoint its events after its cursor, in order, until one fails (it is retried on
   * the schedule, and later events wait behind it) or none are left; then gives the endpoint back.
   */
  private async deliverTo(hook: WebhookRow): Promise<void> {
    const filter: EventFilter = {
      all: hook.owner === null,
      intentIds: [],
      executionIds: [],
      owners: hook.owner ? [hook.owner] : [],
      types: hook.events,
    };
    let cursor = BigInt(hook.cursor);
    for (;;) {
      const rows = await eventsAfter(this.db, cursor, PAGE);
      for (const row of rows) {
        const event = pushEventOf(row);
        if (matchesEvent(filter, event)) {
          const result = await this.send(hook, event);
          if (!ok(result)) return this.failed(hook, cursor, result);
          const renewed = await updateClaimedWebhook(this.db, hook.id, this.worker, {
            cursor: BigInt(event.sequence),
            failures: 0,
            leaseUntil: new Date(this.clock.now().getTime() + LEASE_MS),
          });
          // Another process took it over (this one stalled past its lease), or it was deleted.
          if (!renewed) return;
          hook.failures = 0;
        }
        cursor = BigInt(event.sequence);
      }
      if (rows.length < PAGE) break;
    }
    await updateClaimedWebhook(this.db, hook.id, this.worker, { cursor, leaseUntil: null });
  }

  private async send(hook: WebhookRow, event: PushEvent): Promise<PostResult> {
    const id = messageId(hook.id, event.sequence);
    const body = JSON.stringify({
      type: event.type,
      timestamp: event.occurredAt.toISOString(),
      data: await this.render(event),
    });
    const at = this.clock.now();
    const signature = new Webhook(hook.secret).sign(id, at, body);
    const result = await postWebhook(
      hook.url,
      {
        "content-type": "application/json",
        "user-agent": "Junction-Webhooks/1",
        "webhook-id": id,
        "webhook-timestamp": Math.floor(at.getTime() / 1000).toString(),
        "webhook-signature": signature,
      },
      body,
      {
        allowPrivate: this.settings.allowPrivateUrls,
        connectTimeoutMs: this.settings.connectTimeoutMs,
        timeoutMs: this.settings.timeoutMs,
      },
    );
    await recordDelivery(this.db, {
      webhook_id: hook.id,
      seq: BigInt(event.sequence),
      event_type: event.type,
      attempt: hook.failures + 1,
      status_code: result.statusCode,
      latency_ms: result.latencyMs,
      error: result.error,
      response_excerpt: result.excerpt,
      at,
    });
    return result;
  }

  /** A failed attempt: retried on the schedule, or after a run of failures the endpoint is disabled. */
  private async failed(hook: WebhookRow, cursor: bigint, result: PostResult): Promise<void> {
    const failures = hook.failures + 1;
    const now = this.clock.now();
    const disable = failures >= this.settings.disableAfterFailures;
    const why = result.error ?? `HTTP ${result.statusCode}`;
    await updateClaimedWebhook(this.db, hook.id, this.worker, {
      cursor,
      failures,
      nextAttemptAt: webhookRetryAt(failures, this.settings.retryScheduleSeconds, now, Math.random()),
      ...(disable
        ? {
            disabledReason: `${failures} failed attempts in a row (last: ${why}); POST /admin/webhooks/${hook.id}/enable resumes it`,
          }
        : {}),
      leaseUntil: null,
    });
    this.log.info({ webhook: hook.id, failures, disabled: disable, error: why }, "webhook delivery failed");
  }
}

const ok = (result: PostResult) =>
  result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
