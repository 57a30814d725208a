/**
 * `npm run bench:notify` (needs PostgreSQL: DATABASE_URL, default the local test database): how
 * long a commit in one Junction process takes to reach another through LISTEN/NOTIFY. Two
 * connections pools on one schema stand for the two processes, each with the engine's own commit
 * point and push hub; the reader's feed never polls, so only the notification makes it read.
 * Each of N rounds (default 500) quotes a fresh intent, then times one commit that appends an
 * event and makes the intent due: from just before the commit starts to the first event each
 * subscriber is handed after it, and to the reader's queue being woken. Side by side: the same process's own
 * commits (the commit point's listener, no database round trip).
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import type { PushEvent } from "../src/core/events.ts";
import { PushHub } from "../src/engine/push/hub.ts";
import { Store } from "../src/store/commit.ts";
import { openDatabase } from "../src/store/database.ts";
import { commitChannel } from "../src/store/notifications.ts";
import { testPlan } from "../test/support/plans.ts";
import { fmt, machine, percentile, table } from "./support.ts";

const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const N = Number(process.env.N ?? 500);
const log = pino({ level: "silent" });
const ALL = { all: true, intentIds: [], executionIds: [], owners: [], types: ["*"] };
const NEVER = 3_600_000;

const target = { kind: "postgres" as const, url, schema: `bench_notify_${randomBytes(4).toString("hex")}` };
const writerDb = await openDatabase(target);
const readerDb = await openDatabase(target);
const channel = commitChannel(target.schema);

/** When each sequence reached a subscriber, per hub. */
const arrived = { other: new Map<string, number>(), same: new Map<string, number>() };
const woken: number[] = [];
const sink = (into: Map<string, number>) => ({
  event: (e: PushEvent) => into.set(e.sequence, performance.now()),
  close: () => {},
});

// The reader: another process.
const reader = new PushHub(readerDb.db, { channel, from: "reader" }, log, NEVER);
await reader.start(readerDb.target, () => woken.push(performance.now()));
reader.feed.subscribe(ALL, { after: 0n }, sink(arrived.other));
// The writer's own hub: what its own streams see of its commits.
const own = new PushHub(writerDb.db, null, log, NEVER);
await own.start(writerDb.target, () => {});
own.feed.subscribe(ALL, { after: 0n }, sink(arrived.same));
const writer = new Store(writerDb.db, (c) => c.events.length > 0 && own.news(), { channel, from: "writer" });

const plan = testPlan();
await writer.insertIntent(plan, new Date(), null);
const row = { id: plan.intentId, status: "QUOTED", execution_id: null };
// Until the listening connection is up.
while (arrived.other.size === 0) {
  await writer.commit(new Date(), async (uow) => uow.intentEvent(row, "bench.ping", {}));
  await sleep(50);
}

const rounds: { started: number; wokenBefore: number }[] = [];
for (let i = 0; i < N; i++) {
  // A fresh intent each round, so the commit makes it due (an intent already due is not woken).
  const next = testPlan();
  await writer.insertIntent(next, new Date(), null);
  await sleep(20);
  const wokenBefore = woken.length;
  const started = performance.now();
  await writer.commit(new Date(), async (uow) => {
    uow.intentEvent({ id: next.intentId, status: "QUOTED", execution_id: null }, "bench.ping", { i });
    await uow.wake("intents", [next.intentId]);
  });
  rounds.push({ started, wokenBefore });
}
await sleep(500);
// Each round's event is the last one its commit appended: pair the arrivals with rounds by the
// order of the events named "bench.ping" (every other event is a quote's).
const pings = (arrivals: Map<string, number>) =>
  [...arrivals.entries()].sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1)).map(([, at]) => at);
const otherTimes = pings(arrived.other);
const sameTimes = pings(arrived.same);
const other = rounds.map((r) => (otherTimes.find((at) => at >= r.started) ?? Number.NaN) - r.started);
const same = rounds.map((r) => (sameTimes.find((at) => at >= r.started) ?? Number.NaN) - r.started);
const wake = rounds.map((r) => (woken[r.wokenBefore] ?? Number.NaN) - r.started);
const row3 = (name: string, ms: number[]) => [
  name,
  String(ms.filter((m) => !Number.isNaN(m)).length),
  fmt(percentile(ms, 50), 2),
  fmt(percentile(ms, 99), 2),
  fmt(Math.max(...ms), 2),
];
console.log(`bench:notify on ${machine()}; PostgreSQL ${url.replace(/\/\/[^@]*@/, "//")}`);
console.log();
console.log(
  table(
    ["from the commit's start to", "commits", "p50 ms", "p99 ms", "max ms"],
    [
      row3("this process's stream (no database)", same),
      row3("another process's stream (NOTIFY)", other),
      row3("another process's runner woken (NOTIFY)", wake),
    ],
    [false, true, true, true, true],
  ),
);
await reader.stop();
await own.stop();
await writerDb.close();
await readerDb.close();
const { dropSchema } = await import("../test/support/databases.ts");
await dropSchema(url, target.schema);
