import { describe, expect, it } from "vitest";
import { type ReconcileFacts, type ReconcileIntent, reconcile, STUCK_TX_MS } from "./reconcile.ts";

const NOW = new Date("2026-11-27T12:00:00Z");
const ID = `0x${"11".repeat(32)}`;

const intent = (overrides: Partial<ReconcileIntent> = {}): ReconcileIntent => ({
  id: ID,
  status: "SUCCEEDED",
  settled: true,
  destinationCallFailed: false,
  destinationChainId: 2,
  token: "0xT",
  toAmount: 90n,
  recipient: "0xR",
  txs: [{ kind: "fill", status: "mined", hash: "0xfill", chainId: 2, createdAt: NOW }],
  ...overrides,
});

const facts = (overrides: Partial<ReconcileFacts> = {}): ReconcileFacts => ({
  now: NOW,
  intents: [intent()],
  openExecutions: [],
  chain: {
    filled: [{ intentId: ID, chainId: 2, hash: "0xfill", amount: 90n, recipient: "0xr" }],
    swept: [{ intentId: ID, chainId: 1, hash: "0xsweep", amount: 100n }],
    refunded: [],
    settlementOutflows: [{ chainId: 2, token: "0xT", hash: "0xFILL", amount: 90n }],
    withdrawals: [],
  },
  leftAtDepositAddresses: [],
  forgottenTxs: [],
  inventory: [{ chainId: 2, token: "0xT", balance: 1_000n, reserved: 0n }],
  ...overrides,
});

const found = (f: ReconcileFacts) => reconcile(f).discrepancies.map((d) => `${d.check}: ${d.message}`);

describe("the ledger check's decisions", () => {
  it("a delivered, swept intent whose fill explains Settlement's outflow is clean", () => {
    expect(found(facts())).toEqual([]);
  });

  it("an intent paid twice, or paid other than quoted, is named", () => {
    const twice = facts();
    twice.chain.filled.push({ intentId: ID, chainId: 2, hash: "0xagain", amount: 90n, recipient: "0xR" });
    expect(found(twice)).toContain("paid once: filled 2 times: 0xfill, 0xagain");
    const other = facts();
    other.chain.filled = [{ intentId: ID, chainId: 2, hash: "0xfill", amount: 89n, recipient: "0xR" }];
    expect(found(other)).toContain("paid once: filled with 89 to 0xR, not the quoted 90 to 0xR");
  });

  it("money left at a deposit address, a stuck transaction, an unfinished execution and a short inventory are named", () => {
    const old = new Date(NOW.getTime() - STUCK_TX_MS - 1);
    const f = facts({
      intents: [
        intent({ txs: [{ kind: "sweep", status: "pending", hash: "0xs", chainId: 1, createdAt: old }] }),
      ],
      leftAtDepositAddresses: [{ intentId: ID, chainId: 3, asset: "0xT", amount: 5n }],
      openExecutions: [{ id: "x1", status: "OPERATION_PROCESSING" }],
      inventory: [{ chainId: 2, token: "0xT", balance: 10n, reserved: 90n }],
    });
    expect(found(f)).toEqual(
      expect.arrayContaining([
        "deposit addresses empty: its deposit address still holds 5 of 0xT on chain 3",
        `transactions on chain: the sweep of ${ID} is pending since ${old.toISOString()}`,
        "everything finished: execution still OPERATION_PROCESSING",
        "inventory covers reservations: Settlement holds 10, less than the 90 reserved for committed intents",
        "inventory outflows explained: 90 of 0xT left Settlement on chain 2 in a transaction that is no recorded fill",
      ]),
    );
  });

  it("an intent that is not finished is only checked for what it already did", () => {
    const f = facts({ intents: [intent({ status: "EXECUTING", settled: false })] });
    expect(reconcile(f, ["status matches the chain"]).rows).toEqual([
      { check: "status matches the chain", checked: 0, discrepancies: 0 },
    ]);
  });
});

describe("everything finished", () => {
  it("names intents in flight, not quotes no one committed", () => {
    const f = facts({
      intents: [
        intent({ id: "0x01", status: "EXECUTING", settled: false }),
        intent({ id: "0x02", status: "QUOTED", settled: false }),
      ],
    });
    expect(reconcile(f, ["everything finished"]).discrepancies).toEqual([
      { check: "everything finished", subject: "0x01", message: "intent still EXECUTING" },
    ]);
  });
});
