import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { databaseTargets, discard } from "../../../test/support/databases.ts";
import { testPlan } from "../../../test/support/plans.ts";
import type { PushEvent } from "../../core/events.ts";
import { Store } from "../../store/commit.ts";
import { type Database, openDatabase } from "../../store/database.ts";
import { commitChannel } from "../../store/notifications.ts";
import { PushHub } from "./hub.ts";

const log = pino({ level: "silent" });
const ALL = { all: true, intentIds: [], executionIds: [], owners: [], types: ["*"] };
const NEVER = 3_600_000;

/** A sink that keeps what it is sent. */
function collector() {
  const got: PushEvent[] = [];
  return { got, sink: { event: (e: PushEvent) => got.push(e), close: () => {} } };
}

describe.each(databaseTargets())("event feed on $name", ({ target }) => {
  const opened: Database[] = [];
  const hubs: PushHub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
    for (const database of opened.splice(0).reverse()) await discard(database);
  });

  it("a subscriber that joins while events are committed gets each later event once, in order", async () => {
    const database = await openDatabase(target());
    opened.push(database);
    const hub = new PushHub(database.db, null, log, NEVER);
    hubs.push(hub);
    const store = new Store(database.db, (c) => {
      if (c.events.length > 0) hub.news();
    });
    await hub.start(database.target, () => {});
    const plan = testPlan();
    await store.insertIntent(plan, new Date(), null);
    const row = { id: plan.intentId, status: "QUOTED", execution_id: null };

    const subscribers: { after: bigint; got: PushEvent[] }[] = [];
    const writes = Array.from({ length: 120 }, async (_, i) => {
      await store.commit(new Date(), async (uow) => uow.intentEvent(row, "test.ping", { i }));
      // Every 20 commits, a new subscriber resuming after the newest sequence it could know.
      if (i % 20 === 0) {
        const after = BigInt(
          (
            await database.db
              .selectFrom("events")
              .select(({ fn }) => fn.max("seq").as("m"))
              .executeTakeFirstOrThrow()
          ).m ?? 0,
        );
        const { got, sink } = collector();
        subscribers.push({ after, got });
        hub.feed.subscribe(ALL, { after }, sink);
      }
    });
    await Promise.all(writes);
    const logged = (await database.db.selectFrom("events").select("seq").orderBy("seq").execute()).map((r) =>
      BigInt(r.seq),
    );
    const last = logged.at(-1) as bigint;
    for (const sub of subscribers) {
      const want = logged.filter((s) => s > sub.after);
      await waitFor(() => BigInt(sub.got.at(-1)?.sequence ?? sub.after) >= last);
      expect(sub.got.map((e) => BigInt(e.sequence))).toEqual(want);
    }
  });

  it("a subscriber by subject gets the subject's history, then its live events", async () => {
    const database = await openDatabase(target());
    opened.push(database);
    const hub = new PushHub(database.db, null, log, NEVER);
    hubs.push(hub);
    const store = new Store(database.db, () => hub.news());
    await hub.start(database.target, () => {});
    const mine = testPlan();
    const other = testPlan();
    await store.insertIntent(mine, new Date(), null);
    await store.insertIntent(other, new Date(), null);
    const { got, sink } = collector();
    const filter = { ...ALL, all: false, intentIds: [mine.intentId] };
    await hub.feed.subscribe(filter, "history", sink).ready;
    await store.commit(new Date(), async (uow) =>
      uow.intentEvent({ id: mine.intentId, status: "QUOTED", execution_id: null }, "test.ping", {}),
    );
    await waitFor(() => got.length === 2);
    expect(got.map((e) => [e.type, e.intentId])).toEqual([
      ["intent.quoted", mine.intentId],
      ["intent.test_ping", mine.intentId],
    ]);
  });
});

describe.skipIf(!process.env.DATABASE_URL)("event feed across processes on PostgreSQL", () => {
  const opened: Database[] = [];
  const hubs: PushHub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
    for (const database of opened.splice(0).reverse()) await discard(database);
  });

  it("a commit in one process reaches a subscriber in another through NOTIFY (no polling)", async () => {
    const first = await openDatabase({
      kind: "postgres",
      url: process.env.DATABASE_URL as string,
      schema: `test_feed_${Date.now()}`,
    });
    const second = await openDatabase(first.target);
    opened.push(second, first);
    const channel = commitChannel(first.target.schema);
    const writer = new Store(first.db, () => {}, { channel, from: "writer" });
    // The reader's feed never polls: only a notification makes it read.
    const reader = new PushHub(second.db, { channel, from: "reader" }, log, NEVER);
    hubs.push(reader);
    const woken: string[] = [];
    await reader.start(second.target, (queue) => woken.push(queue));
    const { got, sink } = collector();
    await reader.feed.subscribe(ALL, { after: 0n }, sink).ready;
    // The reader listens from the moment its hub has started.
    const plan = testPlan();
    await writer.insertIntent(plan, new Date(), null);
    await waitFor(() => got.length >= 1, 10_000);
    const started = performance.now();
    await writer.commit(new Date(), async (uow) => {
      uow.intentEvent({ id: plan.intentId, status: "QUOTED", execution_id: null }, "test.ping", {});
      await uow.wake("intents", [plan.intentId]);
    });
    await waitFor(() => got.length >= 2, 10_000);
    log.info({ ms: performance.now() - started }, "cross-process latency");
    expect(got.map((e) => e.type)).toEqual(["intent.quoted", "intent.test_ping"]);
    // The notification also woke the reader's runner for the queue the commit made due.
    expect(woken).toContain("intents");
  });
});

async function waitFor(done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
