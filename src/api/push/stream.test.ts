import { EventEmitter } from "node:events";
import type { FastifyReply } from "fastify";
import { describe, expect, it } from "vitest";
import type { PushEvent } from "../../core/events.ts";
import { Stream } from "./stream.ts";

/** A response that keeps what is written; `full` makes writes report a full socket until `drain`. */
function fakeReply() {
  const raw = Object.assign(new EventEmitter(), {
    written: [] as string[],
    full: false,
    ended: false,
    destroyed: false,
    write(t: string) {
      raw.written.push(t);
      return !raw.full;
    },
    end(t?: string) {
      if (t) raw.written.push(t);
      raw.ended = true;
    },
    destroy() {
      raw.destroyed = true;
      raw.emit("close");
    },
  });
  return { raw, reply: { raw } as unknown as FastifyReply };
}

const event = (sequence: string): PushEvent => ({
  sequence,
  type: "intent.committed",
  intentId: "i",
  executionId: null,
  status: "COMMITTED",
  occurredAt: new Date(0),
  details: {},
  owners: [],
});

const tick = () => new Promise((r) => setTimeout(r, 5));
const limits = { maxQueuedEvents: 100, drainTimeoutMs: 50 };

/** A stream over `reply` whose render records what it rendered and answers `{n: sequence}`. */
function recordingStream(reply: FastifyReply) {
  const rendered: string[] = [];
  const stream = new Stream(
    reply,
    async (e) => {
      rendered.push(e.sequence);
      return { n: Number(e.sequence) };
    },
    limits,
  );
  return { stream, rendered };
}

describe("an event stream", () => {
  it("writes events and comments in order, rendering each only when its turn comes", async () => {
    const { raw, reply } = fakeReply();
    const { stream, rendered } = recordingStream(reply);
    stream.event(event("1"));
    stream.event(event("2"));
    stream.comment("live");
    await stream.flushed();
    expect(raw.written).toEqual([
      'id: 1\nevent: intent.committed\ndata: {"n":1}\n\n',
      'id: 2\nevent: intent.committed\ndata: {"n":2}\n\n',
      ": live\n\n",
    ]);
    expect(rendered).toEqual(["1", "2"]);
  });

  it("waits for a full socket to drain rather than cutting a client that reads", async () => {
    const { raw, reply } = fakeReply();
    const stream = new Stream(reply, async () => ({}), { ...limits, drainTimeoutMs: 1_000 });
    raw.full = true;
    stream.event(event("1"));
    stream.event(event("2"));
    await tick();
    // The first write filled the socket: the second waits.
    expect(raw.written).toHaveLength(1);
    raw.full = false;
    raw.emit("drain");
    await stream.flushed();
    expect(raw.written).toHaveLength(2);
    expect(raw.destroyed).toBe(false);
  });

  it("cuts off a client whose socket stays full, destroying the socket and rendering nothing more", async () => {
    const { raw, reply } = fakeReply();
    const { stream, rendered } = recordingStream(reply);
    let ended = 0;
    stream.onEnd = () => {
      ended += 1;
    };
    raw.full = true;
    stream.event(event("1"));
    stream.event(event("2"));
    await stream.flushed();
    expect(raw.destroyed).toBe(true);
    expect(ended).toBe(1);
    expect(rendered).toEqual(["1"]);
    stream.event(event("3"));
    stream.close("again");
    await stream.flushed();
    expect(ended).toBe(1);
    expect(rendered).toEqual(["1"]);
  });

  it("cuts off a client whose queue passes its limit", async () => {
    const { raw, reply } = fakeReply();
    const stream = new Stream(reply, () => new Promise(() => {}), { ...limits, maxQueuedEvents: 3 });
    for (let i = 0; i < 5; i++) stream.event(event(String(i)));
    expect(raw.destroyed).toBe(true);
  });

  it("ends gracefully with the reason as a last comment", () => {
    const { raw, reply } = fakeReply();
    const stream = new Stream(reply, async () => ({}), limits);
    stream.close("the server is shutting down");
    expect(raw.ended).toBe(true);
    expect(raw.written.at(-1)).toBe(": closing: the server is shutting down\n\n");
  });
});
