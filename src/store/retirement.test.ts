import { afterEach, describe, expect, it } from "vitest";
import { databaseTargets, discard } from "../../test/support/databases.ts";
import { testPlan } from "../../test/support/plans.ts";
import type { IntentPlan } from "../core/intent/plan.ts";
import { isRetirable } from "../core/intent/retirement.ts";
import { insertTxs } from "./chain-txs.ts";
import { type Database, openDatabase } from "./database.ts";
import { intentsAt, recordDeposits } from "./deposits.ts";
import { insertQuotedIntentWithEvent, intentEvents } from "./events.ts";
import {
  findIntent,
  findIntentByDepositAddress,
  intentPage,
  isRetired,
  planOf,
  searchIntents,
  updateIntent,
} from "./intents.ts";
import { dropPlans, expiredQuotes } from "./retirement.ts";

const NOW = new Date("2026-11-27T12:00:00Z");
const DAY_MS = 86_400_000;
const RETENTION = 7;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

/** The SQL side of retiring unused quotes, and what a retired quote still answers, on each database. */
describe.each(databaseTargets())("unused quotes on $name", ({ target }) => {
  let database: Database | null = null;

  afterEach(async () => {
    if (database) await discard(database);
    database = null;
  });

  async function open() {
    database = await openDatabase(target());
    return database.db;
  }

  /** A QUOTED intent that expired `expiredDaysAgo` days before NOW. */
  async function quoted(expiredDaysAgo: number): Promise<IntentPlan> {
    const db = database?.db;
    if (!db) throw new Error("no database");
    const expires = daysAgo(expiredDaysAgo);
    const plan = testPlan({ expiresAt: expires.toISOString() }, new Date(expires.getTime() - 300_000));
    await insertQuotedIntentWithEvent(db, plan, new Date(plan.createdAt), null);
    return plan;
  }

  async function retire(pageSize = 500) {
    const db = database?.db;
    if (!db) throw new Error("no database");
    const cutoff = daysAgo(RETENTION);
    return db.transaction().execute(async (trx) => {
      const page = await expiredQuotes(trx, cutoff, null, pageSize);
      await dropPlans(
        trx,
        page.filter((q) => isRetirable(q, NOW, RETENTION)).map((q) => q.id),
      );
      return page;
    });
  }

  it("retires exactly the quotes core's rule names: never committed, nothing seen or sent, past the retention", async () => {
    const db = await open();
    const unused = await quoted(RETENTION + 1);
    const recent = await quoted(RETENTION - 1);
    const deposited = await quoted(RETENTION + 1);
    const sent = await quoted(RETENTION + 1);
    const committed = await quoted(RETENTION + 1);
    await recordDeposits(db, [
      {
        intent_id: deposited.intentId,
        chain_id: 1,
        block_number: 5n,
        block_hash: "0xb1",
        tx_hash: "0xd1",
        log_index: 0,
        token: deposited.from.address,
        from_address: deposited.owner,
        amount: "1",
        at: NOW,
      },
    ]);
    await db.transaction().execute(async (trx) => {
      await insertTxs(
        trx,
        [
          {
            intentId: sent.intentId,
            executionId: null,
            kind: "refund",
            chainId: 1,
            sender: "0x01",
            nonce: 0n,
            asset: null,
            raw: "0x",
            hash: "0xe1",
            detail: null,
          },
        ],
        NOW,
      );
      await updateIntent(
        trx,
        { id: committed.intentId },
        { status: "COMMITTED", stage: "await_deposit" },
        NOW,
        true,
      );
    });

    const page = await retire();
    // Only QUOTED quotes past the cutoff are read; core's rule leaves those with a deposit or a transaction.
    expect(new Set(page.map((q) => q.id))).toEqual(new Set([unused, deposited, sent].map((p) => p.intentId)));
    expect(page.find((q) => q.id === deposited.intentId)).toMatchObject({
      deposited: true,
      transacted: false,
    });
    expect(page.find((q) => q.id === sent.intentId)).toMatchObject({ deposited: false, transacted: true });
    for (const plan of [unused, recent, deposited, sent, committed]) {
      const row = await findIntent(db, plan.intentId);
      expect([plan.intentId, row && isRetired(row)]).toEqual([plan.intentId, plan === unused]);
    }
    // A retired quote is not read again.
    expect((await retire()).map((q) => q.id)).not.toContain(unused.intentId);
  });

  it("reads page after page, so quotes that stay are never in the way of older ones", async () => {
    const db = await open();
    const kept = await quoted(RETENTION + 3);
    await recordDeposits(db, [
      {
        intent_id: kept.intentId,
        chain_id: 1,
        block_number: 5n,
        block_hash: "0xb2",
        tx_hash: "0xd2",
        log_index: 0,
        token: kept.from.address,
        from_address: kept.owner,
        amount: "1",
        at: NOW,
      },
    ]);
    const later = [await quoted(RETENTION + 2), await quoted(RETENTION + 1)];
    const first = await db.transaction().execute((trx) => expiredQuotes(trx, daysAgo(RETENTION), null, 1));
    expect(first.map((q) => q.id)).toEqual([kept.intentId]);
    const [end] = first;
    if (!end) throw new Error("no page");
    const next = await db.transaction().execute((trx) => expiredQuotes(trx, daysAgo(RETENTION), end, 5));
    expect(next.map((q) => q.id)).toEqual(later.map((p) => p.intentId));
  });

  it("a retired quote keeps its deposit address and what a refund needs; clients no longer list or find it", async () => {
    const db = await open();
    const plan = await quoted(RETENTION + 1);
    await retire();
    const row = await findIntent(db, plan.intentId);
    if (!row) throw new Error("the row is gone");
    expect(row.plan).toBeNull();
    // Its quoted event, its only one, left the event log with it.
    expect(await intentEvents(db, plan.intentId)).toEqual([]);
    const rebuilt = planOf(row);
    expect([rebuilt.intentId, rebuilt.owner, rebuilt.from, rebuilt.depositAddress]).toEqual([
      plan.intentId,
      plan.owner,
      { ...plan.from, symbol: "", decimals: 0, priceUsd: "0" },
      plan.depositAddress,
    ]);
    // The watcher and the Connect announcement still find it, by the address in any case.
    const upper = `0x${plan.depositAddress.slice(2).toUpperCase()}`;
    expect(await intentsAt(db, [plan.from.chainId], [upper])).toEqual(
      new Map([[plan.depositAddress.toLowerCase(), plan.intentId]]),
    );
    expect((await findIntentByDepositAddress(db, upper))?.id).toBe(plan.intentId);
    expect(await searchIntents(db, { depositAddress: plan.depositAddress }, 10)).toEqual([]);
    expect((await intentPage(db, {}, 10)).rows).toEqual([]);
  });

  it("finds deposit addresses only among the intents of the chains asked", async () => {
    const db = await open();
    const plan = await quoted(0);
    const other = plan.from.chainId + 100;
    expect(await intentsAt(db, [other], [plan.depositAddress])).toEqual(new Map());
    expect(await intentsAt(db, [other, plan.from.chainId], [plan.depositAddress, "0x01"])).toEqual(
      new Map([[plan.depositAddress.toLowerCase(), plan.intentId]]),
    );
  });
});
