import { afterEach, describe, expect, it } from "vitest";
import { databaseTargets, discard } from "../../test/support/databases.ts";
import { testPlan } from "../../test/support/plans.ts";
import { type Committed, Store } from "./commit.ts";
import { type Database, openDatabase } from "./database.ts";
import { intentEvents } from "./events.ts";
import { findIntent } from "./intents.ts";
import { claimDue, dropLeases, release } from "./queue.ts";

/** The one commit point and the queue's failure accounting, on each database Junction runs on. */
describe.each(databaseTargets())("commit point on $name", ({ name, target }) => {
  let database: Database | null = null;
  let announced: Committed[] = [];

  afterEach(async () => {
    if (database) await discard(database);
    database = null;
  });

  async function open(): Promise<Store> {
    database = await openDatabase(target());
    announced = [];
    return new Store(database.db, (c) => announced.push(c));
  }

  const now = () => new Date();

  async function quoted(store: Store) {
    const plan = testPlan();
    await store.insertIntent(plan, now(), null);
    return plan.intentId;
  }

  it("applies a transition with its event in one transaction, and announces it only after the commit", async () => {
    const store = await open();
    const id = await quoted(store);
    announced = [];
    await store.commit(now(), async (uow) => {
      const locked = await uow.lockIntent(id);
      if (!locked) throw new Error("no intent");
      await uow.changeIntent(locked, {
        transition: "commit",
        patch: { stage: "await_deposit", next_action_at: uow.now },
        data: { deadline: "soon" },
      });
      expect(announced).toEqual([]);
    });
    expect(announced).toHaveLength(1);
    const [committed] = announced;
    expect(committed?.events.map((e) => [e.type, e.status, e.data])).toEqual([
      ["intent.committed", "COMMITTED", { from: "QUOTED", deadline: "soon" }],
    ]);
    expect([...(committed?.intents ?? [])]).toEqual([id]);
    expect([...(committed?.due ?? [])]).toEqual(["intents"]);
    expect((await findIntent(store.db, id))?.status).toBe("COMMITTED");
  });

  it("announces the earliest later time a commit set for a row, so the runner wakes then (a deadline)", async () => {
    const store = await open();
    const [first, second] = [await quoted(store), await quoted(store)];
    const at = now();
    const later = (ms: number) => new Date(at.getTime() + ms);
    announced = [];
    await store.commit(at, async (uow) => {
      for (const [id, ms] of [
        [first, 90_000],
        [second, 30_000],
      ] as const) {
        const locked = await uow.lockIntent(id);
        if (!locked) throw new Error("no intent");
        await uow.changeIntent(locked, {
          transition: "commit",
          patch: { stage: "await_deposit", next_action_at: later(ms) },
        });
      }
    });
    expect([...(announced[0]?.due ?? [])]).toEqual([]);
    expect([...(announced[0]?.dueLater ?? [])]).toEqual([["intents", later(30_000)]]);
  });

  it("a commit that throws leaves nothing behind and announces nothing", async () => {
    const store = await open();
    const id = await quoted(store);
    announced = [];
    await expect(
      store.commit(now(), async (uow) => {
        const locked = await uow.lockIntent(id);
        if (!locked) throw new Error("no intent");
        await uow.changeIntent(locked, { transition: "commit", patch: { stage: "await_deposit" } });
        throw new Error("crash in the middle");
      }),
    ).rejects.toThrow("crash in the middle");
    expect(announced).toEqual([]);
    expect((await findIntent(store.db, id))?.status).toBe("QUOTED");
    expect((await intentEvents(store.db, id)).map((e) => e.type)).toEqual(["intent.quoted"]);
  });

  it("refuses a transition or a stage move its table does not list, changing nothing", async () => {
    const store = await open();
    const id = await quoted(store);
    for (const change of [{ transition: "succeed" as const }, { patch: { stage: "sweep" } }]) {
      await expect(
        store.commit(now(), async (uow) => {
          const locked = await uow.lockIntent(id);
          if (!locked) throw new Error("no intent");
          await uow.changeIntent(locked, change);
        }),
      ).rejects.toMatchObject({ kind: "wrong_status" });
    }
    expect(await findIntent(store.db, id)).toMatchObject({ status: "QUOTED", stage: "quoted" });
  });

  it("numbers events in commit order: readers never see a later number before an earlier one", async () => {
    const store = await open();
    const ids = await Promise.all(Array.from({ length: 8 }, () => quoted(store)));
    announced = [];
    let gaps = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const rows = await store.db.selectFrom("events").select("seq").orderBy("seq").execute();
        const seqs = rows.map((r) => Number(r.seq));
        // Sequence numbers are handed out in order; a gap means a later commit is visible before an earlier one.
        if (seqs.some((s, i) => i > 0 && s !== (seqs[i - 1] as number) + 1)) gaps++;
      }
    })();
    await Promise.all(
      ids.flatMap((id) =>
        Array.from({ length: 5 }, () =>
          store.commit(now(), async (uow) => {
            uow.intentEvent({ id, status: "QUOTED", execution_id: null }, "test.ping", {});
          }),
        ),
      ),
    );
    reading = false;
    await reader;
    expect(gaps, `${name}: gaps seen by a concurrent reader`).toBe(0);
    const all = announced.flatMap((c) => c.events.map((e) => Number(e.seq)));
    expect(new Set(all).size).toBe(40);
  });

  it("a failing row backs off, parks after the maximum, is skipped while parked, and an operator's retry brings it back", async () => {
    const store = await open();
    const id = await quoted(store);
    await store.commit(now(), (uow) => uow.wake("intents", [id]));
    const claim = async () =>
      (await claimDue(store.db, "intents", "w", new Date(), new Date(Date.now() + 30_000), 10)).map(
        (r) => r.id,
      );
    const fail = (retryAt: Date | null) =>
      store.commit(now(), (uow) =>
        uow.recordFailure("intents", { id, status: "QUOTED" }, { worker: "w", error: "RPC down", retryAt }),
      );

    expect(await claim()).toEqual([id]);
    expect(await fail(new Date(Date.now() + 60_000))).toBe(1);
    // Backing off: not due, and a wake (a new block) does not pull it forward.
    await store.commit(now(), (uow) => uow.wake("intents", [id]));
    expect(await claim()).toEqual([]);
    expect(await findIntent(store.db, id)).toMatchObject({
      attempts: 1,
      last_error: "RPC down",
      parked_at: null,
    });

    await store.db
      .updateTable("intents")
      .set({ next_action_at: new Date(0) })
      .where("id", "=", id)
      .execute();
    expect(await claim()).toEqual([id]);
    expect(await fail(null)).toBe(2);
    const parked = await findIntent(store.db, id);
    expect(parked?.parked_at).toBeInstanceOf(Date);
    await store.commit(now(), (uow) => uow.wake("intents", [id]));
    expect(await claim()).toEqual([]);

    expect(await store.commit(now(), (uow) => uow.retry("intents", [id]))).toEqual([id]);
    expect(await store.commit(now(), (uow) => uow.retry("intents", [id]))).toEqual([]);
    expect(await findIntent(store.db, id)).toMatchObject({ attempts: 0, parked_at: null });
    expect(await claim()).toEqual([id]);
    await release(store.db, "intents", id, "w", null);
    const types = (await intentEvents(store.db, id)).map((e) => e.type);
    expect(types).toEqual(["intent.quoted", "intent.step_failed", "intent.parked", "intent.retried"]);
  });

  const claimNow = (store: Store) =>
    claimDue(store.db, "intents", "w", new Date(), new Date(Date.now() + 30_000), 10).then((rows) =>
      rows.map((r) => r.id),
    );
  const unschedule = (store: Store, id: string) =>
    store.db.updateTable("intents").set({ next_action_at: null }).where("id", "=", id).execute();

  it("a new block wakes an intent of any stage while its deposit there is short of confirmations", async () => {
    const store = await open();
    const id = await quoted(store);
    await store.commit(now(), (uow) =>
      uow.recordDeposits([
        {
          intent_id: id,
          chain_id: 1,
          block_number: 10n,
          block_hash: "0xb",
          tx_hash: "0xt",
          log_index: 0,
          token: "0xa",
          from_address: "0xf",
          amount: "5",
          at: new Date(),
        },
      ]),
    );
    await unschedule(store, id);
    // Three confirmations: the deposit at block 10 counts from block 12 on.
    for (const [head, woken] of [
      [11n, true],
      [12n, true],
      [13n, false],
    ] as const) {
      announced = [];
      await store.commit(now(), (uow) =>
        uow.wakeBlockWaiters({ chainId: 1, from: head, to: head, confirmations: 3 }),
      );
      expect([...(announced[0]?.due ?? [])], `head ${head}`).toEqual(woken ? ["intents"] : []);
      await unschedule(store, id);
    }
    // A scan that jumps from block 11 to 14 at once: block 12, among them, confirms the deposit.
    announced = [];
    await store.commit(now(), (uow) =>
      uow.wakeBlockWaiters({ chainId: 1, from: 11n, to: 14n, confirmations: 3 }),
    );
    expect([...(announced[0]?.due ?? [])]).toEqual(["intents"]);
    await unschedule(store, id);
    // One that starts after it was confirmed does not.
    announced = [];
    await store.commit(now(), (uow) =>
      uow.wakeBlockWaiters({ chainId: 1, from: 13n, to: 16n, confirmations: 3 }),
    );
    expect([...(announced[0]?.due ?? [])]).toEqual([]);
    await store.commit(now(), (uow) =>
      uow.wakeBlockWaiters({ chainId: 2, from: 11n, to: 11n, confirmations: 3 }),
    );
    expect(await claimNow(store)).toEqual([]);
  });

  it("a wake reaches a row that is being retried, and its release keeps the wake", async () => {
    const store = await open();
    const id = await quoted(store);
    await store.commit(now(), (uow) => uow.wake("intents", [id]));
    expect(await claimNow(store)).toEqual([id]);
    await store.commit(now(), (uow) =>
      uow.recordFailure(
        "intents",
        { id, status: "QUOTED" },
        { worker: "w", error: "x", retryAt: new Date() },
      ),
    );
    expect(await claimNow(store)).toEqual([id]);
    // Mid-step of the retry (attempts 1): a deposit's wake must not be lost.
    expect(await store.commit(now(), (uow) => uow.wake("intents", [id]))).toBe(1);
    await release(store.db, "intents", id, "w", null);
    expect(await claimNow(store)).toEqual([id]);
  });

  it("after a restart of the embedded database, the rows that were being stepped are due", async () => {
    const store = await open();
    const id = await quoted(store);
    await store.commit(now(), (uow) => uow.wake("intents", [id]));
    expect(await claimNow(store)).toEqual([id]);
    await dropLeases(store.db, "intents", new Date());
    expect(await claimNow(store)).toEqual([id]);
  });

  it("a row its step parked keeps its reason and count through the release", async () => {
    const store = await open();
    const id = await quoted(store);
    await store.commit(now(), (uow) => uow.wake("intents", [id]));
    expect(await claimNow(store)).toEqual([id]);
    await store.commit(now(), (uow) =>
      uow.park("intents", { id, status: "QUOTED" }, "refund reverted 3 times"),
    );
    await release(store.db, "intents", id, "w", null);
    expect(await findIntent(store.db, id)).toMatchObject({ last_error: "refund reverted 3 times" });
    expect((await findIntent(store.db, id))?.parked_at).toBeInstanceOf(Date);
  });

  it("every change a decision could depend on counts in the intent's version, an event alone included", async () => {
    const store = await open();
    const id = await quoted(store);
    const before = await findIntent(store.db, id);
    await store.commit(now(), async (uow) => {
      const locked = await uow.lockIntent(id);
      if (!locked) throw new Error("no intent");
      await uow.changeIntent(locked, { event: "fill.sent", data: {} });
    });
    const after = await findIntent(store.db, id);
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    // The hash a client announces is news to no decision.
    await store.commit(now(), async (uow) => {
      const locked = await uow.lockIntent(id);
      if (!locked) throw new Error("no intent");
      await uow.changeIntent(locked, { patch: { deposit_tx_hash: "0xabc" } });
    });
    expect((await findIntent(store.db, id))?.version).toBe(after?.version);
  });
});
