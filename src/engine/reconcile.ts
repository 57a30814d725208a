import type { Address, Hex } from "viem";
import type { RuntimeChain } from "../chains/registry.ts";
import { fillRecipient, type IntentPlan } from "../core/intent/plan.ts";
import { isSettled, type Stage } from "../core/intent/stages.ts";
import type { IntentStatus } from "../core/intent/status.ts";
import {
  type ChainRecord,
  type CheckName,
  checkNames,
  type ReconcileFacts,
  type ReconcileIntent,
  type ReconcileReport,
  reconcile,
} from "../core/reconcile.ts";
import type { TxKind, TxStatus } from "../core/tx.ts";
import type { ChainTxRow } from "../store/chain-txs.ts";
import { type IntentRow, planOf, reservedAmount } from "../store/intents.ts";
import { intentsWithTxs, openExecutions } from "../store/ledger.ts";
import type { EngineDeps } from "./ports.ts";

/** Chain reads at once, at most: a ledger check of thousands of intents must not flood a node. */
const PARALLEL_READS = 16;

/**
 * The ledger check (`junction reconcile`): gathers what the database and the chains say, and lets
 * core compare them. `only` leaves checks out (on a live system, "everything finished").
 */
export async function reconcileLedger(
  deps: EngineDeps,
  only: readonly CheckName[] = checkNames,
): Promise<ReconcileReport> {
  const [entries, open] = await Promise.all([intentsWithTxs(deps.store.db), openExecutions(deps.store.db)]);
  const intents = entries.map(({ row, txs }) => {
    const plan = planOf(row);
    return { plan, txs, summary: summaryOf(row, plan, txs) };
  });
  const settled = intents.filter((i) => i.summary.settled);
  const [chain, leftAtDepositAddresses, forgottenTxs, inventory] = await Promise.all([
    chainRecord(deps),
    leftovers(
      deps,
      settled.map((i) => i.plan),
    ),
    forgotten(
      deps,
      intents.flatMap((i) => i.txs),
    ),
    inventories(deps),
  ]);
  const facts: ReconcileFacts = {
    now: deps.clock.now(),
    intents: intents.map((i) => i.summary),
    openExecutions: open,
    chain,
    leftAtDepositAddresses,
    forgottenTxs,
    inventory,
  };
  return reconcile(facts, only);
}

function summaryOf(row: IntentRow, plan: IntentPlan, txs: ChainTxRow[]): ReconcileIntent {
  const status = row.status as IntentStatus;
  return {
    id: row.id,
    status,
    settled: isSettled(status, row.stage as Stage),
    destinationCallFailed: status === "FAILED" && row.destination_call_succeeded === false,
    destinationChainId: plan.to.chainId,
    token: plan.to.address,
    toAmount: plan.quote.toAmount,
    recipient: fillRecipient(plan),
    txs: txs.map((tx) => ({
      kind: tx.kind as TxKind,
      status: tx.status as TxStatus,
      hash: tx.hash,
      chainId: tx.chain_id,
      createdAt: tx.created_at,
    })),
  };
}

/** Every chain's record from its first block to its head. */
async function chainRecord(deps: EngineDeps): Promise<ChainRecord> {
  const records = await Promise.all(
    deps.registry.chains.map(async (c) =>
      deps.chains.ledger(c.chainId, 0n, await deps.chains.head(c.chainId)),
    ),
  );
  return {
    filled: records.flatMap((r) => r.filled),
    swept: records.flatMap((r) => r.swept),
    refunded: records.flatMap((r) => r.refunded),
    settlementOutflows: records.flatMap((r) => r.settlementOutflows),
    withdrawals: records.flatMap((r) => r.withdrawals),
  };
}

/**
 * What is left at settled intents' deposit addresses: each address exists on every chain whose
 * DepositFactory shares the origin's address, and could hold any listed asset there.
 */
async function leftovers(
  deps: EngineDeps,
  plans: IntentPlan[],
): Promise<ReconcileFacts["leftAtDepositAddresses"]> {
  const reads = plans.flatMap((plan) =>
    sharingFactory(deps, plan.from.chainId).flatMap((chain) =>
      chain.tokens.map((token) => ({ plan, chainId: chain.chainId, asset: token.address })),
    ),
  );
  const balances = await inBatches(reads, (r) =>
    deps.chains.balanceOf(r.chainId, r.asset, r.plan.depositAddress as Address),
  );
  return reads.flatMap((r, i) => {
    const amount = balances[i] ?? 0n;
    return amount > 0n ? [{ intentId: r.plan.intentId, chainId: r.chainId, asset: r.asset, amount }] : [];
  });
}

function sharingFactory(deps: EngineDeps, chainId: number): RuntimeChain[] {
  const factory = deps.registry.chain(chainId)?.contracts.DepositFactory;
  return deps.registry.chains.filter((c) => c.contracts.DepositFactory === factory);
}

/** Transactions recorded as mined or reverted whose receipt the chain no longer has. */
async function forgotten(deps: EngineDeps, txs: ChainTxRow[]): Promise<string[]> {
  // A batch's rows share their hash: one transaction, read and reported once.
  const settled = [
    ...new Map(
      txs.filter((tx) => tx.status === "mined" || tx.status === "reverted").map((tx) => [tx.hash, tx]),
    ).values(),
  ];
  const receipts = await inBatches(settled, (tx) => deps.chains.receipt(tx.chain_id, tx.hash as Hex));
  return settled.filter((_, i) => receipts[i] === null).map((tx) => tx.hash);
}

async function inventories(deps: EngineDeps): Promise<ReconcileFacts["inventory"]> {
  const pairs = deps.registry.chains.flatMap((c) =>
    c.tokens.map((t) => ({ chainId: c.chainId, token: t.address })),
  );
  return inBatches(pairs, async ({ chainId, token }) => ({
    chainId,
    token,
    balance: await deps.chains.settlementBalance(chainId, token, true),
    reserved: await reservedAmount(deps.store.db, chainId, token),
  }));
}

/** `read` for every item, `PARALLEL_READS` at a time, results in order. */
async function inBatches<T, R>(items: readonly T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += PARALLEL_READS) {
    results.push(...(await Promise.all(items.slice(i, i + PARALLEL_READS).map(read))));
  }
  return results;
}
