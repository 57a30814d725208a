import type { Logger } from "pino";
import {
  type EventFilter,
  matchesEvent,
  ownerKey,
  type PushEvent,
  publicEventType,
  type StreamStart,
} from "../../core/events.ts";
import type { Db } from "../../store/database.ts";
import { type EventWithOwners, eventsAfter, lastSequence } from "../../store/events.ts";

/** Events read per query. */
const PAGE = 500;
/**
 * How often the feed looks for events on its own: a safety net under the commit listener and
 * NOTIFY (a notification lost while the listening connection was down).
 */
const SAFETY_POLL_MS = 2_000;
/** Events a subscriber may have waiting while it catches up before it is dropped as too slow. */
const MAX_BUFFERED = 10_000;

export function pushEventOf(row: EventWithOwners): PushEvent {
  return {
    sequence: row.seq,
    type: publicEventType(row.type),
    intentId: row.intent_id,
    executionId: row.execution_id,
    status: row.status,
    occurredAt: row.at,
    details: row.data,
    owners: [row.intent_owner, row.wallet].filter((o): o is string => o !== null).map(ownerKey),
  };
}

/** Where a subscription starts (see `streamStart`). */
export type FeedStart = StreamStart;

/** A subscriber's handlers. `close` is called once, when the feed drops it (too slow, stopped). */
export interface FeedSink {
  event(event: PushEvent): void;
  close(reason: string): void;
  /** Resolves once what it was handed is delivered: the catch-up reads on at the sink's pace. */
  flushed?(): Promise<void>;
}

export interface Subscription {
  /** Resolves once the subscriber has been sent everything before it went live. */
  ready: Promise<void>;
  unsubscribe(): void;
}

interface Subscriber {
  filter: EventFilter;
  sink: FeedSink;
  /** The last sequence handed to the sink. */
  sent: bigint;
  /** Live events that came while it was catching up, in order. */
  buffer: PushEvent[] | null;
}

/**
 * The one reader of the event log in a process: it reads each committed event once, in sequence
 * order, and hands it to every subscriber whose filter matches. A new subscriber first catches up
 * from the database (its `Last-Event-ID`, or its subjects' history), while live events wait in its
 * buffer; nothing is skipped or sent twice in between (see `subscribe`).
 *
 * It reads when told there is news (a commit in this process, a NOTIFY from another) and every
 * couple of seconds regardless.
 */
export class EventFeed {
  /** The last sequence read. */
  private cursor = 0n;
  private readonly subscribers = new Set<Subscriber>();
  /** Events were committed while nobody subscribed, and the cursor was not moved. */
  private stale = false;
  private reading: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly safetyPollMs = SAFETY_POLL_MS,
  ) {}

  async start(): Promise<void> {
    this.cursor = await lastSequence(this.db);
    this.timer = setInterval(() => this.poke(), this.safetyPollMs);
    this.timer.unref();
  }

  /** Drops every subscriber (their streams end) and stops reading. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const sub of [...this.subscribers]) this.drop(sub, "the server is shutting down");
    await this.reading;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** There may be new events: read them (now, or right after the read under way). */
  poke(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.readAll()
      .catch((err) => this.log.warn({ err }, "event feed read failed; reading again on the next news"))
      .finally(() => {
        this.reading = null;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  private async readAll(): Promise<void> {
    // Nobody to tell: no query at all (every commit pokes). The cursor is moved on at the next
    // read that has someone to tell.
    if (this.subscribers.size === 0) {
      this.stale = true;
      return;
    }
    if (this.stale) await this.skipAhead();
    for (;;) {
      const rows = await eventsAfter(this.db, this.cursor, PAGE);
      for (const row of rows) this.dispatch(pushEventOf(row));
      const last = rows.at(-1);
      if (last) this.cursor = BigInt(last.seq);
      if (rows.length < PAGE) return;
    }
  }

  /**
   * After reading nothing for a while, the cursor jumps over what no subscriber needs: events up
   * to the lowest sequence a subscriber has been sent (its catch-up covers those), but never past
   * the log's end. A subscriber that came during the lookup catches up from the database after it,
   * which holds everything up to that end.
   */
  private async skipAhead(): Promise<void> {
    const last = await lastSequence(this.db);
    let lowest = last;
    for (const sub of this.subscribers) if (sub.sent < lowest) lowest = sub.sent;
    if (lowest > this.cursor) this.cursor = lowest;
    this.stale = false;
  }

  private dispatch(event: PushEvent): void {
    const seq = BigInt(event.sequence);
    for (const sub of this.subscribers) {
      if (seq <= sub.sent || !matchesEvent(sub.filter, event)) continue;
      if (sub.buffer) {
        if (sub.buffer.length >= MAX_BUFFERED) this.drop(sub, "it fell too far behind while catching up");
        else sub.buffer.push(event);
        continue;
      }
      sub.sent = seq;
      sub.sink.event(event);
    }
  }

  /**
   * Subscribes `sink` to the events `filter` matches, from `start`. It is registered first, so
   * every event the feed reads from now on reaches its buffer; then it catches up from the
   * database, which by then holds everything the feed had read before; then the buffer is sent
   * (minus what the catch-up already sent) and it goes live.
   */
  subscribe(filter: EventFilter, start: FeedStart, sink: FeedSink): Subscription {
    const sub: Subscriber = {
      filter,
      sink,
      sent: start === "history" ? 0n : start.after,
      buffer: [],
    };
    this.subscribers.add(sub);
    const ready = this.catchUp(sub).catch((err: unknown) => {
      this.log.warn({ err }, "event stream catch-up failed");
      this.drop(sub, "its catch-up could not be read; reconnect with Last-Event-ID");
    });
    return { ready, unsubscribe: () => this.subscribers.delete(sub) };
  }

  private async catchUp(sub: Subscriber): Promise<void> {
    // Only the named subjects' and owners' events are read; everything, for a stream of all.
    const subjects = sub.filter.all ? undefined : subjectsOf(sub.filter);
    for (;;) {
      const rows = await eventsAfter(this.db, sub.sent, PAGE, subjects);
      if (!this.subscribers.has(sub)) return;
      for (const row of rows) {
        const event = pushEventOf(row);
        sub.sent = BigInt(event.sequence);
        if (matchesEvent(sub.filter, event)) sub.sink.event(event);
      }
      if (rows.length < PAGE) break;
      await sub.sink.flushed?.();
      if (!this.subscribers.has(sub)) return;
    }
    const buffered = sub.buffer ?? [];
    sub.buffer = null;
    for (const event of buffered) {
      const seq = BigInt(event.sequence);
      if (seq <= sub.sent) continue;
      sub.sent = seq;
      sub.sink.event(event);
    }
  }

  /** Ends a subscriber that cannot be served. */
  drop(sub: Subscriber | FeedSink, reason: string): void {
    for (const s of this.subscribers) {
      if (s === sub || s.sink === sub) {
        this.subscribers.delete(s);
        s.sink.close(reason);
      }
    }
  }
}

/** The subjects and owners a filter names, for reading only their events. */
function subjectsOf(filter: EventFilter) {
  return { intentIds: filter.intentIds, executionIds: filter.executionIds, owners: filter.owners };
}
