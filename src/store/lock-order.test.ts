import { afterEach, describe, expect, it } from "vitest";
import { databaseTargets, discard } from "../../test/support/databases.ts";
import { testPlan } from "../../test/support/plans.ts";
import { insertTxs } from "./chain-txs.ts";
import { type Database, openDatabase } from "./database.ts";
import { insertQuotedIntentWithEvent } from "./events.ts";
import { findIntent, type IntentRow, updateIntent, wakeBlockWaiters } from "./intents.ts";
import { wake } from "./queue.ts";

const postgres = databaseTargets().find((t) => t.name === "PostgreSQL");
const NOW = new Date();
const CHAIN = 2;

/**
 * A batch's commit locks its intents one by one in id order; every statement that locks several
 * intents at once must take them in that order too, or two transactions each wait for the
 * other's lock (PostgreSQL then aborts one: a failed watcher round, or a failed batch). Only
 * PostgreSQL runs transactions side by side; PGlite runs one at a time.
 */
describe.skipIf(!postgres)("several intents locked in one transaction, on PostgreSQL", () => {
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
      wakeBlockWaiters(database.db, { chainId: CHAIN, head: 100n, confirmations: 1 }, NOW),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled"]);
  });

  it("a wake of several intents by id and a batch's commit both go through", async () => {
    const [small, large] = await twoIntents();
    const outcomes = await besideABatch(small, large, () =>
      database.db.transaction().execute((trx) => wake(trx, "intents", [large.id, small.id], NOW)),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled"]);
  });
});
