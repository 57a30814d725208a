import type { IntentStatus } from "./intent/status.ts";
import type { TxKind, TxStatus } from "./tx.ts";

/**
 * The ledger check: the database against the chains, decided from facts alone. Every intent the
 * database has ended must agree with what the chains recorded for it (paid once or not at all,
 * swept or refunded, its deposit address empty), every transaction recorded as mined must still be
 * on its chain, and the solver's inventory must cover what is reserved and lose nothing that no
 * recorded fill explains.
 */

export interface ReconcileIntent {
  id: string;
  status: IntentStatus;
  /** Finished: a terminal status and nothing pending (the `watch` stage). */
  settled: boolean;
  /** Whether a fill was made with a destination call that reverted (FAILED, paid to the owner). */
  destinationCallFailed: boolean;
  destinationChainId: number;
  token: string;
  toAmount: bigint;
  /** Who the fill must name (for a fill with a call, the owner: see `fillRecipient`). */
  recipient: string;
  txs: { kind: TxKind; status: TxStatus; hash: string; chainId: number; createdAt: Date }[];
}

/** What Settlement and the DepositFactory recorded, by intent. */
export interface ChainRecord {
  filled: { intentId: string; chainId: number; hash: string; amount: bigint; recipient: string }[];
  swept: { intentId: string; chainId: number; hash: string; amount: bigint }[];
  refunded: { intentId: string; chainId: number; hash: string }[];
  /** ERC-20 transfers out of Settlement, and the owner's withdrawals (which explain some of them). */
  settlementOutflows: { chainId: number; token: string; hash: string; amount: bigint }[];
  withdrawals: { chainId: number; hash: string }[];
}

export interface ReconcileFacts {
  now: Date;
  intents: ReconcileIntent[];
  /** Executions not finished (their status is not terminal). */
  openExecutions: { id: string; status: string }[];
  chain: ChainRecord;
  /** Settled intents' deposit addresses that still hold something: what and where. */
  leftAtDepositAddresses: { intentId: string; chainId: number; asset: string; amount: bigint }[];
  /** Hashes of transactions recorded as mined whose receipt the chain no longer has. */
  forgottenTxs: string[];
  inventory: { chainId: number; token: string; balance: bigint; reserved: bigint }[];
}

export interface Discrepancy {
  check: CheckName;
  subject: string;
  message: string;
}

export const checkNames = [
  "paid once",
  "status matches the chain",
  "deposit addresses empty",
  "transactions on chain",
  "inventory covers reservations",
  "inventory outflows explained",
  "everything finished",
] as const;
export type CheckName = (typeof checkNames)[number];

export interface ReconcileReport {
  rows: { check: CheckName; checked: number; discrepancies: number }[];
  discrepancies: Discrepancy[];
}

/** A pending transaction older than this is stuck, not in flight. */
export const STUCK_TX_MS = 10 * 60_000;

type Check = (f: ReconcileFacts) => { checked: number; found: Omit<Discrepancy, "check">[] };

const byIntent = <T extends { intentId: string }>(items: readonly T[]) => {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(item.intentId.toLowerCase()) ?? [];
    list.push(item);
    map.set(item.intentId.toLowerCase(), list);
  }
  return map;
};

const checks: Record<CheckName, Check> = {
  "paid once": (f) => {
    const fills = byIntent(f.chain.filled);
    const found = f.intents.flatMap((intent) => {
      const paid = fills.get(intent.id.toLowerCase()) ?? [];
      if (paid.length > 1) {
        return [
          {
            subject: intent.id,
            message: `filled ${paid.length} times: ${paid.map((p) => p.hash).join(", ")}`,
          },
        ];
      }
      const [fill] = paid;
      if (
        fill &&
        (fill.amount !== intent.toAmount || fill.recipient.toLowerCase() !== intent.recipient.toLowerCase())
      ) {
        return [
          {
            subject: intent.id,
            message: `filled with ${fill.amount} to ${fill.recipient}, not the quoted ${intent.toAmount} to ${intent.recipient}`,
          },
        ];
      }
      return [];
    });
    return { checked: f.intents.length, found };
  },

  "status matches the chain": (f) => {
    const fills = byIntent(f.chain.filled);
    const sweeps = byIntent(f.chain.swept);
    const settled = f.intents.filter((i) => i.settled);
    const found = settled.flatMap((intent) => {
      const filled = (fills.get(intent.id.toLowerCase()) ?? []).length > 0;
      const swept = (sweeps.get(intent.id.toLowerCase()) ?? []).length;
      const delivered = intent.status === "SUCCEEDED" || intent.destinationCallFailed;
      const problems: string[] = [];
      if (delivered && !filled) problems.push(`is ${intent.status} but Settlement records no fill`);
      if (!delivered && filled) problems.push(`is ${intent.status} but Settlement records a fill`);
      if (delivered && swept !== 1) problems.push(`was delivered but its deposit was swept ${swept} times`);
      if (!delivered && swept > 0) problems.push(`is ${intent.status} but its deposit was swept`);
      return problems.map((message) => ({ subject: intent.id, message }));
    });
    return { checked: settled.length, found };
  },

  "deposit addresses empty": (f) => ({
    checked: f.intents.filter((i) => i.settled).length,
    found: f.leftAtDepositAddresses.map((left) => ({
      subject: left.intentId,
      message: `its deposit address still holds ${left.amount} of ${left.asset} on chain ${left.chainId}`,
    })),
  }),

  "transactions on chain": (f) => {
    const txs = f.intents.flatMap((i) => i.txs.map((tx) => ({ ...tx, intentId: i.id })));
    const stuck = txs.filter(
      (tx) => tx.status === "pending" && f.now.getTime() - tx.createdAt.getTime() > STUCK_TX_MS,
    );
    return {
      checked: txs.length,
      found: [
        ...f.forgottenTxs.map((hash) => ({
          subject: hash,
          message: "recorded as mined, but the chain has no receipt for it",
        })),
        ...stuck.map((tx) => ({
          subject: tx.hash,
          message: `the ${tx.kind} of ${tx.intentId} is pending since ${tx.createdAt.toISOString()}`,
        })),
      ],
    };
  },

  "inventory covers reservations": (f) => ({
    checked: f.inventory.length,
    found: f.inventory
      .filter((i) => i.balance < i.reserved)
      .map((i) => ({
        subject: `${i.chainId}:${i.token}`,
        message: `Settlement holds ${i.balance}, less than the ${i.reserved} reserved for committed intents`,
      })),
  }),

  "inventory outflows explained": (f) => {
    const explained = new Set([
      ...f.intents.flatMap((i) =>
        i.txs.filter((tx) => tx.kind === "fill").map((tx) => tx.hash.toLowerCase()),
      ),
      ...f.chain.withdrawals.map((w) => w.hash.toLowerCase()),
    ]);
    return {
      checked: f.chain.settlementOutflows.length,
      found: f.chain.settlementOutflows
        .filter((out) => !explained.has(out.hash.toLowerCase()))
        .map((out) => ({
          subject: out.hash,
          message: `${out.amount} of ${out.token} left Settlement on chain ${out.chainId} in a transaction that is no recorded fill`,
        })),
    };
  },

  "everything finished": (f) => {
    // A quote no one committed is an offer, not work in flight: an early deposit at its address
    // takes it out of QUOTED when the quote lapses (the deposit goes back), and is counted then.
    const open = f.intents.filter((i) => !i.settled && i.status !== "QUOTED");
    return {
      checked: f.intents.length + f.openExecutions.length,
      found: [
        ...open.map((i) => ({ subject: i.id, message: `intent still ${i.status}` })),
        ...f.openExecutions.map((x) => ({ subject: x.id, message: `execution still ${x.status}` })),
      ],
    };
  },
};

/**
 * Runs every check, or those named in `only` (a live system has intents in flight: leave out
 * "everything finished" there).
 */
export function reconcile(facts: ReconcileFacts, only: readonly CheckName[] = checkNames): ReconcileReport {
  const rows: ReconcileReport["rows"] = [];
  const discrepancies: Discrepancy[] = [];
  for (const check of only) {
    const { checked, found } = checks[check](facts);
    rows.push({ check, checked, discrepancies: found.length });
    discrepancies.push(...found.map((d) => ({ check, ...d })));
  }
  return { rows, discrepancies };
}
