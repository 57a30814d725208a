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
  anyEnabledWebhook,
  claimWebhooks,
  pruneDeliveries,
  recordDelivery,
  releaseWebhook,
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
/**
 * Longest wait with nothing due. News of a commit ends it early, and so does a retry this process
 * scheduled; the poll is for the rest: another process's retries and leases, should it die.
 */
const IDLE_MS = 5_000;
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
  /** Endpoint id → its delivery under way: each endpoint goes at its own pace. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private done: Promise<void> | null = null;
  private prunedAt = 0;
  /**
   * Whether any endpoint was enabled, and when that was looked at (performance.now()); null when
   * endpoints changed in this process. Every commit wakes the dispatcher, and without endpoints a
   * claim per wake is wasted: the answer holds for IDLE_MS (another process's new endpoint is
   * delivered to by that process meanwhile).
   */
  private enabled: { any: boolean; at: number } | null = null;

  constructor(
    private readonly db: Db,
    private readonly settings: WebhookSettings,
    private readonly render: RenderEvent,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** There are new events: look now. */
  wake(): void {
    this.signal.wake();
  }

  /** An endpoint was added, resumed or replayed in this process: look for endpoints, now. */
  endpointsChanged(): void {
    this.enabled = null;
    this.signal.wake();
  }

  /** Whether any endpoint is enabled, looked at again every IDLE_MS. */
  private async anyEndpoint(): Promise<boolean> {
    if (this.enabled === null || performance.now() - this.enabled.at >= IDLE_MS) {
      this.enabled = { any: await anyEnabledWebhook(this.db), at: performance.now() };
    }
    return this.enabled.any;
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

  /** Stops claiming, cuts the deliveries under way short (they are sent again later) and waits for them. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.done;
    await Promise.all(this.inFlight.values());
  }

  /**
   * Claims the endpoints that are due, as many as there are free places, and starts delivering to
   * each on its own (a slow receiver holds up only itself); true when any was claimed.
   */
  async round(): Promise<boolean> {
    const now = this.clock.now();
    if (now.getTime() - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = now.getTime();
      await pruneDeliveries(this.db, new Date(now.getTime() - DELIVERY_LOG_MS));
    }
    const free = CLAIM - this.inFlight.size;
    if (free <= 0 || !(await this.anyEndpoint())) return false;
    const hooks = await claimWebhooks(this.db, this.worker, {
      now,
      leaseUntil: new Date(now.getTime() + LEASE_MS),
      limit: free,
    });
    for (const hook of hooks) {
      const task = this.deliverTo(hook)
        .catch(async (err: unknown) => {
          // Given back at once (not held until the lease runs out); what it acknowledged stays.
          this.log.warn({ err, webhook: hook.id }, "webhook delivery failed on Junction's side; retrying");
          await releaseWebhook(this.db, hook.id, this.worker);
        })
        .finally(() => {
          this.inFlight.delete(hook.id);
          this.signal.wake();
        });
      this.inFlight.set(hook.id, task);
    }
    return hooks.length > 0;
  }

  /**
   * Sends the endpoint its events after its cursor, in order, until one fails (it is retried on
   * the schedule, and later events wait behind it), none are left, or the dispatcher stops; then
   * gives the endpoint back. A replay or resumption meanwhile (the version moved) ends it too.
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
    let failures = hook.failures;
    for (;;) {
      const rows = await eventsAfter(this.db, cursor, PAGE);
      for (const row of rows) {
        if (this.stopping.signal.aborted) return this.giveBack(hook, cursor);
        const event = pushEventOf(row);
        if (matchesEvent(filter, event)) {
          const result = await this.send(hook, event, failures + 1);
          if (result === "stopped") return this.giveBack(hook, cursor);
          if (result === "endpoint gone") return;
          if (!ok(result)) return this.failed(hook, cursor, failures + 1, result);
          failures = 0;
          const renewed = await updateClaimedWebhook(this.db, hook, this.worker, {
            cursor: BigInt(event.sequence),
            failures: 0,
            leaseUntil: new Date(this.clock.now().getTime() + LEASE_MS),
          });
          // Replayed or resumed meanwhile, taken over (this process stalled past its lease), or deleted.
          if (!renewed) return releaseWebhook(this.db, hook.id, this.worker);
        }
        cursor = BigInt(event.sequence);
      }
      if (rows.length < PAGE) break;
    }
    await this.giveBack(hook, cursor);
  }

  /** Gives the endpoint back with the events skipped as not its own acknowledged. */
  private async giveBack(hook: WebhookRow, cursor: bigint): Promise<void> {
    const given = await updateClaimedWebhook(this.db, hook, this.worker, { cursor, leaseUntil: null });
    if (!given) await releaseWebhook(this.db, hook.id, this.worker);
  }

  /**
   * One attempt at one event, logged; "stopped" when the dispatcher stopped during it (not a
   * failure of the receiver), "endpoint gone" when the endpoint was deleted meanwhile.
   */
  private async send(
    hook: WebhookRow,
    event: PushEvent,
    attempt: number,
  ): Promise<PostResult | "stopped" | "endpoint gone"> {
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
        stop: this.stopping.signal,
      },
    );
    if (result === "stopped") return result;
    const logged = await recordDelivery(this.db, {
      webhook_id: hook.id,
      seq: BigInt(event.sequence),
      event_type: event.type,
      attempt,
      status_code: result.statusCode,
      latency_ms: result.latencyMs,
      error: result.error,
      response_excerpt: result.excerpt,
      at,
    });
    return logged ? result : "endpoint gone";
  }

  /** A failed attempt: retried on the schedule, or after a run of failures the endpoint is disabled. */
  private async failed(
    hook: WebhookRow,
    cursor: bigint,
    failures: number,
    result: PostResult,
  ): Promise<void> {
    const now = this.clock.now();
    const disable = failures >= this.settings.disableAfterFailures;
    const why = result.error ?? `HTTP ${result.statusCode}`;
    const nextAttemptAt = webhookRetryAt(failures, this.settings.retryScheduleSeconds, now, Math.random());
    const updated = await updateClaimedWebhook(this.db, hook, this.worker, {
      cursor,
      failures,
      nextAttemptAt,
      ...(disable
        ? {
            disabledReason: `${failures} failed attempts in a row (last: ${why}); POST /admin/webhooks/${hook.id}/enable resumes it`,
          }
        : {}),
      leaseUntil: null,
    });
    if (!updated) await releaseWebhook(this.db, hook.id, this.worker);
    else if (!disable) this.signal.wakeIn(nextAttemptAt.getTime() - now.getTime());
    this.log.info({ webhook: hook.id, failures, disabled: disable, error: why }, "webhook delivery failed");
  }
}

const ok = (result: PostResult) =>
  result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
