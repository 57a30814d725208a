import { afterEach, describe, expect, it } from "vitest";
import { databaseTargets, discard } from "../../test/support/databases.ts";
import { testPlan } from "../../test/support/plans.ts";
import { insertTxs, takeNonce } from "./chain-txs.ts";
import { type Database, openDatabase } from "./database.ts";
import { appendEvents, insertQuotedIntentWithEvent } from "./events.ts";
import { findIntent, type IntentRow, updateIntent, wakeBlockWaiters } from "./intents.ts";
import { wake } from "./queue.ts";

const postgres = databaseTargets().find((t) => t.name === "PostgreSQL");
const NOW = new Date();
const CHAIN = 2;

/**
 * Transactions side by side, as only PostgreSQL runs them (PGlite runs one at a time): a batch's
 * commit locks its intents one by one in id order, so every statement that locks several intents
 * must take them in that order too; row locks must not be stronger than an update's, or an event's
 * foreign-key check waits while its commit holds the event log; and a new sender's first nonce is
 * handed out once. Otherwise two transactions wait for each other (PostgreSQL aborts one: a failed
 * watcher round, a failed batch) or sign the same nonce.
 */
describe.skipIf(!postgres)("transactions side by side on PostgreSQL", () => {
  let database: Database;
  afterEach(() => discard(database));

  /** Two intents with a fill in flight on CHAIN; the larger id first, so a table scan meets it first. */
  async function twoIntents(): Promise<[IntentRow, IntentRow]> {
    database = await openDatabase((postgres as NonNullable<typeof postgres>).target());
    const small = testPlan({ intentId: `0x${"1".repeat(64)}` });
    const large = testPlan({ intentId: `0x${"f".repeat(64)}` });
    for (const [nonce, plan] of [large, small].entries()) {
      await insertQuotedIntentWithEvent(database.db, plan, NOW, null);
      const tx = { intentId: plan.intentId, executionId: null, kind: "fill" as const, chainId: CHAIN };
      const signed = { sender: "0x01", nonce: BigInt(nonce), asset: null, raw: "0x", detail: null };
      await database.db
        .transaction()
        .execute((trx) => insertTxs(trx, [{ ...tx, ...signed, hash: `0x0${nonce}` }], NOW));
    }
    const rows = await Promise.all([small, large].map((p) => findIntent(database.db, p.intentId)));
    return rows as [IntentRow, IntentRow];
  }

  /** A batch's commit (the smaller id, a pause, the larger) beside `other`, started in the pause. */
  async function besideABatch(first: IntentRow, second: IntentRow, other: () => Promise<unknown>) {
    const batch = database.db.transaction().execute(async (trx) => {
      await updateIntent(trx, first, {}, NOW, true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await updateIntent(trx, second, {}, NOW, true);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    return Promise.allSettled([batch, other()]);
  }

  it("a new block's wake and a batch's commit both go through", async () => {
    const [small, large] = await twoIntents();
    const outcomes = await besideABatch(small, large, () =>
      wakeBlockWaiters(database.db, { chainId: CHAIN, from: 100n, to: 100n, confirmations: 1 }, NOW),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled"]);
  });

  it("a wake, then the event log, beside a commit that holds the event log and records an event of the woken intent: both go through", async () => {
    // An event's foreign key to its intent takes a KEY SHARE lock on the intent's row: a row lock
    // stronger than an update's (FOR UPDATE) would make it wait while holding the event log.
    const [small] = await twoIntents();
    const event = (id: string) => ({
      intentId: id,
      executionId: null,
      type: "test.event",
      status: "QUOTED",
      data: {},
      at: NOW,
    });
    const waker = database.db.transaction().execute(async (trx) => {
      await wake(trx, "intents", [small.id], NOW);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await appendEvents(trx, [event(small.id)]);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const logger = database.db.transaction().execute(async (trx) => {
      await appendEvents(trx, [event(small.id)]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    const outcomes = await Promise.allSettled([waker, logger]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled"]);
  });

  it("a wake of several intents by id and a batch's commit both go through", async () => {
    const [small, large] = await twoIntents();
    const outcomes = await besideABatch(small, large, () =>
      database.db.transaction().execute((trx) => wake(trx, "intents", [large.id, small.id], NOW)),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled"]);
  });

  it("two transactions taking a new sender's first nonces at once get 0 and 1", async () => {
    await twoIntents();
    const take = () =>
      database.db.transaction().execute(async (trx) => {
        const nonce = await takeNonce(trx, CHAIN, "0x0000000000000000000000000000000000000abc", 0);
        await new Promise((resolve) => setTimeout(resolve, 200));
        return nonce;
      });
    const nonces = await Promise.all([take(), take()]);
    expect(nonces.sort()).toEqual([0n, 1n]);
  });
});
