import { setTimeout as sleep } from "node:timers/promises";
import { openStream } from "./sse.ts";
import { type Receiver, startReceiver } from "./webhook-receiver.ts";

/** How the webhook endpoint subscribed to everything fared over a chaos run. */
export interface PushVerdict {
  /** Events in the log since the endpoint was added. */
  events: number;
  /** Of those, delivered (at least once). */
  delivered: number;
  missing: number;
  /** Deliveries of an event already delivered (at-least-once allows them; the webhook-id is the same). */
  duplicates: number;
  /** Deliveries of an event with a lower sequence after a higher one (first deliveries only). */
  outOfOrder: number;
  /** Deliveries whose signature did not verify. */
  forged: number;
}

export interface PushWatch {
  receiver: Receiver;
  /** Waits until every event logged since the start reached the receiver (or `ms` passed), and judges. */
  verdict(ms: number): Promise<PushVerdict>;
  close(): Promise<void>;
}

/** Adds a webhook endpoint for every event, through the admin API, with a receiver in this process. */
export async function watchPush(url: string, adminKey: string): Promise<PushWatch> {
  const receiver = await startReceiver();
  const auth = { authorization: `Bearer ${adminKey}` };
  const res = await fetch(`${url}/admin/webhooks`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ url: receiver.url }),
  });
  const created = (await res.json()) as { secret: string; cursor: string };
  if (res.status !== 201) throw new Error(`webhook not added: ${JSON.stringify(created)}`);
  receiver.secret = created.secret;

  /** The log since the endpoint's start, read as a stream resumed from there (all of it, then `live`). */
  async function logged(): Promise<string[]> {
    const stream = await openStream(`${url}/events?lastEventId=${created.cursor}`, auth);
    await stream.until(() => stream.comments.includes("live"), 60_000);
    stream.close();
    return stream.events.map((e) => e.id);
  }

  return {
    receiver,
    async verdict(ms) {
      const log = await logged();
      const deadline = Date.now() + ms;
      const firsts = () => [...new Set(receiver.got.map((g) => g.sequence))];
      while (log.some((seq) => !firsts().includes(seq)) && Date.now() < deadline) await sleep(500);
      const first = firsts();
      return {
        events: log.length,
        delivered: log.filter((seq) => first.includes(seq)).length,
        missing: log.filter((seq) => !first.includes(seq)).length,
        duplicates: receiver.got.length - first.length,
        outOfOrder: first.filter((seq, i) => i > 0 && BigInt(seq) < BigInt(first[i - 1] as string)).length,
        forged: receiver.forged,
      };
    },
    close: () => receiver.close(),
  };
}
