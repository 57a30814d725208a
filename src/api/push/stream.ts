import type { FastifyReply } from "fastify";
import type { PushEvent } from "../../core/events.ts";
import type { FeedSink } from "../../engine/engine.ts";

/** One open stream: events are rendered and written in order, and it ends when the client is too slow. */
export class Stream implements FeedSink {
  private chain: Promise<void> = Promise.resolve();
  private ended = false;
  onEnd: () => void = () => {};

  constructor(
    private readonly reply: FastifyReply,
    private readonly render: (event: PushEvent) => Promise<Record<string, unknown>>,
    private readonly maxBufferedBytes: number,
  ) {}

  event(event: PushEvent): void {
    const rendered = this.render(event);
    this.chain = this.chain.then(async () => {
      const data = await rendered.catch((err: unknown) => ({
        type: event.type,
        sequence: event.sequence,
        error: String(err),
      }));
      this.write(`id: ${event.sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
    });
  }

  /** A comment line: ignored by clients, keeps proxies from closing an idle connection. */
  comment(text: string): void {
    // After the events before it, whose data may still be on its way.
    this.chain = this.chain.then(() => this.write(`: ${text}\n\n`));
  }

  write(text: string): void {
    if (this.ended) return;
    const raw = this.reply.raw;
    if (raw.writableLength > this.maxBufferedBytes) {
      this.close("the client read too slowly; reconnect with Last-Event-ID");
      return;
    }
    raw.write(text);
  }

  close(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    // Written past the limit check: the reason is one short line, and the stream ends with it.
    this.reply.raw.end(`: closing: ${reason}\n\n`);
    this.onEnd();
  }
}
