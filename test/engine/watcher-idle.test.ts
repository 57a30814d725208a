import pino from "pino";
import { type Hex, keccak256, toHex } from "viem";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Chains } from "../../src/chains/gateway.ts";
import type { BlockHeader, HeadFollower } from "../../src/chains/heads.ts";
import type { RuntimeChain } from "../../src/chains/registry.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import type { EngineDeps } from "../../src/engine/ports.ts";
import { DepositWatcher } from "../../src/engine/watcher.ts";
import { insertTxs, openTxs } from "../../src/store/chain-txs.ts";
import { type Committed, Store } from "../../src/store/commit.ts";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { readCursor } from "../../src/store/deposits.ts";
import { insertQuotedIntentWithEvent } from "../../src/store/events.ts";
import { databaseTargets, discard } from "../support/databases.ts";
import { testPlan } from "../support/plans.ts";

/**
 * An idle chain costs no query per block: the deposit watcher passes over a next block the node
 * announced empty (on a chain asking for one confirmation), and writes its cursor and follows
 * announced deposits only every 10 s while blocks stay empty. These tests pin what that may and
 * may not skip, and what still wakes work.
 */

const CHAIN = 1;
const pglite = databaseTargets().find((d) => d.name === "PGlite") as ReturnType<typeof databaseTargets>[0];

/** A chain as the watcher sees it through the Chains port: blocks by number, forks by block. */
class FakeChain {
  head = 100n;
  announced: BlockHeader | null = null;
  /** Block → fork id: a block on another fork has another hash. */
  readonly forks = new Map<bigint, number>();
  readonly scanned: bigint[] = [];
  hash(n: bigint): Hex {
    return keccak256(toHex(`${this.forks.get(n) ?? 0}:${n}`));
  }
  link(n: bigint) {
    return { hash: this.hash(n), parentHash: this.hash(n - 1n) };
  }
  /** The node announces block `n` (and it is the head). */
  announce(n: bigint, empty = true) {
    this.head = n;
    this.announced = { number: n, ...this.link(n), empty };
  }
  port(): Chains {
    const heads: HeadFollower = {
      next: async () => {},
      latest: () => this.announced,
      close: () => {},
    };
    return {
      followHeads: () => heads,
      head: async () => this.head,
      blockLink: async (_: number, n: bigint) => this.link(n),
      transferLogs: async () => [],
      blockWithTransactions: async (_: number, n: bigint) => {
        this.scanned.push(n);
        return { hash: this.hash(n), transactions: [] };
      },
      transactionCount: async () => 0,
      receipt: async () => null,
    } as unknown as Chains;
  }
}

describe("the deposit watcher on an idle chain", () => {
  let database: Database;
  let chain: FakeChain;
  let commits: Committed[];
  let skew = 0;
  const realNow = performance.now.bind(performance);

  afterEach(async () => {
    vi.restoreAllMocks();
    await discard(database);
  });

  async function watcher(confirmations = 1) {
    database = await openDatabase(pglite.target());
    chain = new FakeChain();
    commits = [];
    skew = 0;
    // The watcher paces its chores by performance.now(): moved forward here instead of waiting.
    vi.spyOn(performance, "now").mockImplementation(() => realNow() + skew);
    const runtime = {
      chainId: CHAIN,
      confirmations,
      tokens: [],
      contracts: { DepositFactory: "0x00000000000000000000000000000000000000f1" },
    } as unknown as RuntimeChain;
    const deps = {
      chains: chain.port(),
      store: new Store(database.db, (c) => commits.push(c)),
      clock: { now: () => new Date() },
      senders: { all: () => [] },
      registry: { chains: [runtime] },
      log: pino({ level: "silent" }),
    } as unknown as EngineDeps;
    const make = () => new DepositWatcher(deps, runtime);
    const first = make();
    await first.scanOnce(); // no cursor yet: from the head's lookback, committed
    return { watcher: first, make };
  }

  const cursor = () => readCursor(database.db, CHAIN);

  it("passes over announced empty blocks with no commit, and writes its cursor 10 s after the last", async () => {
    const { watcher: w } = await watcher();
    expect(await cursor()).toBe(100n);
    const before = commits.length;
    for (let n = 101n; n <= 105n; n++) {
      chain.announce(n);
      expect(await w.scanOnce()).toBe(1n);
    }
    expect(commits.length).toBe(before);
    expect(await cursor()).toBe(100n);
    skew += 10_001;
    chain.announce(106n);
    await w.scanOnce();
    expect(commits.length).toBe(before + 1);
    expect(await cursor()).toBe(106n);
  });

  it("commits every empty block on a chain that asks for more than one confirmation", async () => {
    const { watcher: w } = await watcher(2);
    const before = commits.length;
    for (let n = 101n; n <= 103n; n++) {
      chain.announce(n);
      await w.scanOnce();
    }
    expect(commits.length).toBe(before + 3);
    expect(await cursor()).toBe(103n);
  });

  it("an empty block wakes no transaction in flight; the next block with transactions does", async () => {
    const { watcher: w } = await watcher();
    const plan = testPlan();
    await insertQuotedIntentWithEvent(database.db, plan, new Date(), null);
    const tx = { intentId: plan.intentId, executionId: null, kind: "fill" as const, chainId: CHAIN };
    const signed = { sender: "0x01", nonce: 0n, asset: null, raw: "0x", hash: "0xaa", detail: null };
    await database.db.transaction().execute((trx) => insertTxs(trx, [{ ...tx, ...signed }], new Date()));
    const before = commits.length;
    chain.announce(101n);
    await w.scanOnce();
    expect(commits.length).toBe(before);
    chain.announce(102n, false);
    await w.scanOnce();
    expect(commits.length).toBe(before + 1);
    expect(commits.at(-1)?.due.has("intents")).toBe(true);
    expect(await cursor()).toBe(102n);
  });

  it("a block that does not follow a passed-over one is a reorg: the last blocks are scanned again", async () => {
    const { watcher: w } = await watcher();
    chain.announce(101n);
    await w.scanOnce(); // passed over: its hash is the cursor's
    chain.forks.set(101n, 1);
    chain.forks.set(102n, 1);
    chain.announce(102n);
    expect(await w.scanOnce()).toBe(0n); // rewound
    chain.scanned.length = 0;
    await w.scanOnce();
    expect(chain.scanned[0]).toBe(101n - 64n + 1n);
    expect(chain.scanned.at(-1)).toBe(102n);
    expect(await cursor()).toBe(102n);
  });

  it("after a restart (or another process taking the chain over) the blocks passed over are scanned again", async () => {
    const { watcher: w, make } = await watcher();
    for (let n = 101n; n <= 104n; n++) {
      chain.announce(n);
      await w.scanOnce();
    }
    expect(await cursor()).toBe(100n);
    chain.announce(105n);
    chain.scanned.length = 0;
    await make().scanOnce(); // a new watcher starts from the database's cursor
    expect(chain.scanned).toEqual([101n, 102n, 103n, 104n, 105n]);
    expect(await cursor()).toBe(105n);
  });
});

describe("the senders' open transactions, in one query", () => {
  let database: Database;
  afterEach(() => discard(database));

  it("each sender's rows with its own next nonce, none of another sender's", async () => {
    database = await openDatabase(pglite.target());
    const plan = testPlan();
    await insertQuotedIntentWithEvent(database.db, plan, new Date(), null);
    const a = devnetAccount(1).address;
    const b = devnetAccount(2).address;
    const row = (sender: string, nonce: bigint, hash: string) => ({
      intentId: plan.intentId,
      executionId: null,
      kind: "fill" as const,
      chainId: CHAIN,
      sender,
      nonce,
      asset: null,
      raw: "0x",
      hash,
      detail: null,
    });
    await database.db
      .transaction()
      .execute((trx) =>
        insertTxs(
          trx,
          [
            row(a, 0n, "0xa0"),
            row(a, 1n, "0xa1"),
            row(a, 2n, "0xa2"),
            row(b, 0n, "0xb0"),
            row(b, 1n, "0xb1"),
          ],
          new Date(),
        ),
      );
    // Settled as mined, all but a's nonce 2.
    await database.db.updateTable("chain_txs").set({ status: "mined" }).where("hash", "!=", "0xa2").execute();
    const open = await openTxs(
      database.db,
      CHAIN,
      new Map([
        [a, 1n], // the chain forgot a's nonce 1: it is open again
        [b, 5n],
      ]),
    );
    expect(open.map((r) => [r.sender, r.nonce.toString()])).toEqual([
      [a, "1"],
      [a, "2"],
    ]);
  });
});
