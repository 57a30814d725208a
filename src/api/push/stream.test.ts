import type { FastifyReply } from "fastify";
import { describe, expect, it } from "vitest";
import type { PushEvent } from "../../core/events.ts";
import { Stream } from "./stream.ts";

/** A response that keeps what is written and reports as unread whatever `unread` says. */
function fakeReply() {
  const raw = {
    written: [] as string[],
    ended: false,
    writableLength: 0,
    write(t: string) {
      this.written.push(t);
      return true;
    },
    end(t?: string) {
      if (t) this.written.push(t);
      this.ended = true;
    },
  };
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

describe("an event stream", () => {
  it("writes events in sequence order even when their data is ready out of order", async () => {
    const { raw, reply } = fakeReply();
    const resolvers: Record<string, (v: Record<string, unknown>) => void> = {};
    const render = (e: PushEvent) =>
      new Promise<Record<string, unknown>>((resolve) => {
        resolvers[e.sequence] = resolve;
      });
    const stream = new Stream(reply, render, 1_000);
    stream.event(event("1"));
    stream.event(event("2"));
    stream.comment("live");
    resolvers["2"]?.({ n: 2 });
    await tick();
    expect(raw.written).toEqual([]);
    resolvers["1"]?.({ n: 1 });
    await tick();
    expect(raw.written).toEqual([
      'id: 1\nevent: intent.committed\ndata: {"n":1}\n\n',
      'id: 2\nevent: intent.committed\ndata: {"n":2}\n\n',
      ": live\n\n",
    ]);
  });

  it("ends a client that reads too slowly instead of buffering without bound", async () => {
    const { raw, reply } = fakeReply();
    const stream = new Stream(reply, async () => ({}), 1_000);
    let ended = 0;
    stream.onEnd = () => {
      ended += 1;
    };
    stream.event(event("1"));
    await tick();
    raw.writableLength = 5_000;
    stream.event(event("2"));
    await tick();
    expect(raw.ended).toBe(true);
    expect(ended).toBe(1);
    expect(raw.written.at(-1)).toMatch(/^: closing: the client read too slowly/);
    expect(raw.written.some((w) => w.startsWith("id: 2"))).toBe(false);
    stream.event(event("3"));
    stream.close("again");
    await tick();
    expect(ended).toBe(1);
    expect(raw.written.some((w) => w.startsWith("id: 3"))).toBe(false);
  });
});
