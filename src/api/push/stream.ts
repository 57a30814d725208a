import type { FastifyReply } from "fastify";
import type { PushEvent } from "../../core/events.ts";
import type { FeedSink } from "../../engine/engine.ts";

/** After a graceful end, how long the client has to close before its socket is destroyed. */
const END_GRACE_MS = 5_000;

export interface StreamLimits {
  /** Events waiting to be written (rendering, or behind a full socket) before the client is cut off. */
  maxQueuedEvents: number;
  /** How long a full socket may stay unread before the client is cut off. */
  drainTimeoutMs: number;
}

/**
 * One open stream. Events are rendered and written one at a time, in order, at the pace the
 * client reads: a write into a full socket waits for it to drain, and the feed's catch-up waits
 * for `flushed`, so a fast client of a long history is never cut off. A client that stops reading
 * is cut off (its socket destroyed, freeing its memory) once its socket stays full past
 * `drainTimeoutMs` or its queue passes `maxQueuedEvents`.
 */
export class Stream implements FeedSink {
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private ended = false;
  /** Called once when the stream ends, however it ends. */
  onEnd: () => void = () => {};

  constructor(
    private readonly reply: FastifyReply,
    private readonly render: (event: PushEvent) => Promise<Record<string, unknown>>,
    private readonly limits: StreamLimits,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  event(event: PushEvent): void {
    if (this.ended) return;
    if (this.queued >= this.limits.maxQueuedEvents) {
      this.cut();
      return;
    }
    this.queued += 1;
    this.chain = this.chain.then(async () => {
      this.queued -= 1;
      // Rendered only when its turn comes: nothing is rendered for a stream that has ended.
      if (this.ended) return;
      const data = await this.render(event).catch((err: unknown) => ({
        type: event.type,
        sequence: event.sequence,
        error: String(err),
      }));
      await this.write(`id: ${event.sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
    });
  }

  /** Resolves once everything queued so far is written (or the stream has ended). */
  flushed(): Promise<void> {
    return this.chain;
  }

  /** A comment line: ignored by clients, keeps proxies from closing an idle connection. */
  comment(text: string): void {
    // After the events before it, whose data may still be on its way.
    this.chain = this.chain.then(() => this.write(`: ${text}\n\n`));
  }

  private async write(text: string): Promise<void> {
    if (this.ended) return;
    const raw = this.reply.raw;
    if (raw.write(text)) return;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        raw.off("drain", onDrain);
        raw.off("close", onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.limits.drainTimeoutMs);
      raw.once("drain", onDrain);
      raw.once("close", onClose);
    });
    if (!drained) this.cut();
  }

  /** Ends a client that cannot keep up: no goodbye it would not read, the socket destroyed at once. */
  private cut(): void {
    if (this.ended) return;
    this.ended = true;
    this.reply.raw.destroy();
    this.onEnd();
  }

  /** Ends the stream with the reason as a last comment; the socket goes if the client lingers. */
  close(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    const raw = this.reply.raw;
    raw.end(`: closing: ${reason}\n\n`);
    setTimeout(() => raw.destroy(), END_GRACE_MS).unref();
    this.onEnd();
  }
}
