import type { Logger } from "pino";
import type { CommitNotice } from "../../store/commit.ts";
import type { DatabaseTarget, Db } from "../../store/database.ts";
import { listenForCommits } from "../../store/notifications.ts";
import type { QueueTable } from "../../store/queue.ts";
import { dropWebhookLeases } from "../../store/webhooks.ts";
import type { Clock } from "../ports.ts";
import { EventFeed } from "./feed.ts";
import { type RenderEvent, WebhookDispatcher, type WebhookSettings } from "./webhooks.ts";

const allQueues: QueueTable[] = ["intents", "executions"];

/**
 * Where news of commits arrives and goes: this process's commits (from the commit point) and, on
 * PostgreSQL, other processes' (LISTEN on the schema's channel). News wakes the event feed, the
 * webhook dispatcher and, for another process's commit, this process's runners for the queues it
 * made due, so a second process acts within milliseconds rather than on its next poll.
 */
export class PushHub {
  readonly feed: EventFeed;
  private webhooks: WebhookDispatcher | null = null;
  private stopListening: (() => Promise<void>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly notice: CommitNotice | null,
    private readonly log: Logger,
    /** How often the feed looks for events without news (tests turn it off to see NOTIFY alone). */
    safetyPollMs?: number,
  ) {
    this.feed = new EventFeed(db, log, safetyPollMs);
  }

  /** An endpoint was added, resumed or replayed here: the dispatcher looks for endpoints now. */
  endpointsChanged(): void {
    this.webhooks?.endpointsChanged();
  }

  /** Webhook endpoints due now without news (a moved clock) are delivered to. */
  lookForWork(): void {
    this.webhooks?.wake();
  }

  /** New events were committed (here or elsewhere). */
  news(): void {
    this.feed.poke();
    this.webhooks?.wake();
  }

  async start(database: DatabaseTarget, wakeQueue: (queue: QueueTable) => void): Promise<void> {
    await this.feed.start();
    if (database.kind === "pglite") await dropWebhookLeases(this.db);
    const notice = this.notice;
    if (database.kind !== "postgres" || !notice) return;
    this.stopListening = await listenForCommits(
      database.url,
      notice.channel,
      (notification) => {
        if (notification?.from === notice.from) return;
        // null: the connection was lost and is back, and what happened meanwhile is unknown.
        for (const queue of notification?.due ?? allQueues) wakeQueue(queue);
        this.news();
      },
      this.log,
    );
  }

  /** Starts delivering webhooks, rendering each event's data with `render`. */
  startWebhooks(settings: WebhookSettings, render: RenderEvent, clock: Clock): void {
    this.webhooks = new WebhookDispatcher(this.db, settings, render, clock, this.log);
    this.webhooks.start();
  }

  async stop(): Promise<void> {
    await this.stopListening?.();
    await this.webhooks?.stop();
    this.webhooks = null;
    await this.feed.stop();
  }
}
