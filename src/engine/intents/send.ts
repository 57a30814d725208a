import { zeroAddress } from "viem";
import { withHeadroom } from "../../chains/gas.ts";
import type { PlannedTx } from "../../core/intent/decide.ts";
import type { IntentPlan } from "../../core/intent/plan.ts";
import type { ChainTxRow } from "../../store/chain-txs.ts";
import type { UnitOfWork } from "../../store/commit.ts";
import type { IntentRow } from "../../store/intents.ts";
import { Batcher, type ItemResult } from "../batcher.ts";
import { StaleDecision } from "../errors.ts";
import type { EngineDeps } from "../ports.ts";
import type { Prepared, TxSender } from "../sender.ts";
import { batchCalldata, configuredChain, plannedCall } from "./calls.ts";

/**
 * Sending the solver's transactions for intents: each signed and recorded with its event in one
 * commit, then broadcast. Fills (and sweeps) on a chain go out as they are decided, alone when
 * nothing else is being sent there; those decided while a send is under way go together next, in
 * one `fillBatch` (`sweepBatch`), one row per intent sharing the transaction.
 */

/** A decided transaction of one intent, as its step saw the intent. */
export interface Order {
  row: IntentRow;
  plan: IntentPlan;
  tx: PlannedTx;
  /** From the decision's simulation of the transaction alone. */
  gas: bigint;
}

/**
 * Gas a batch may ask for at most (the orders' own estimates added up): well inside any block's
 * limit, and small enough that one batch is not a large share of a block.
 */
const MAX_BATCH_GAS = 6_000_000n;

/**
 * Calldata a batch may carry at most, in bytes (a destination call's data counts in full): nodes
 * refuse transactions over 128 KiB, and a transaction no node takes would hold its nonce, and every
 * later transaction of the solver there, for good. An order larger than this goes alone, as before.
 */
const MAX_BATCH_BYTES = 64 * 1024;

/** An order's share of a batch's calldata: its fixed fields and its destination call's data. */
const orderBytes = (o: Order) => 320 + (o.plan.call ? (o.plan.call.data.length - 2) / 2 : 0);

/** Whether `orders` may go in one batch: within its gas and calldata bounds. */
export const fitTogether = (orders: readonly Order[]) =>
  orders.reduce((sum, o) => sum + o.gas, 0n) <= MAX_BATCH_GAS &&
  orders.reduce((sum, o) => sum + orderBytes(o), 0) <= MAX_BATCH_BYTES;

/** The batchers, per sender and kind, living as long as the sender (its chain and key) does. */
const batchers = new WeakMap<TxSender, Map<string, Batcher<Order, IntentRow>>>();

function batcherOf(deps: EngineDeps, sender: TxSender, kind: "fill" | "sweep"): Batcher<Order, IntentRow> {
  const ofSender = batchers.get(sender) ?? new Map<string, Batcher<Order, IntentRow>>();
  batchers.set(sender, ofSender);
  let batcher = ofSender.get(kind);
  if (!batcher) {
    batcher = new Batcher((orders) => sendOrders(deps, sender, orders), fitTogether);
    ofSender.set(kind, batcher);
  }
  return batcher;
}

/** Sends the decided transaction (in a batch if `batch` allows); returns the intent as it now is. */
export async function sendTx(deps: EngineDeps, order: Order, batch: boolean): Promise<IntentRow> {
  const { chainId } = plannedCall(order.plan, order.tx, configuredChain(deps));
  const sender = deps.senders.of("solver", chainId);
  if (batch && order.tx.kind !== "refund") return batcherOf(deps, sender, order.tx.kind).submit(order);
  const [result] = await sendOrders(deps, sender, [order]);
  if (!result?.ok) throw result?.error;
  return result.value;
}

/**
 * The orders whose batch the sender can pay for: a batch's gas costs up to its limit times the fee
 * cap up front, and a node refuses a transaction its sender cannot cover (which would hold the
 * nonce); an order that would not fit decides again and goes in a later transaction. The first
 * order always goes, as it would alone.
 */
async function affordable(deps: EngineDeps, sender: TxSender, orders: Order[], prepared: Prepared) {
  if (orders.length < 2) return orders;
  const balance = await deps.chains.balanceOf(sender.chain.chainId, zeroAddress, sender.address);
  let cost = 0n;
  return orders.filter((o, i) => {
    cost += withHeadroom(o.gas) * prepared.fees.maxFeePerGas;
    return i === 0 || cost <= balance;
  });
}

/**
 * Signs and records one transaction for `orders` (all of one kind, to one chain) in one commit,
 * then broadcasts it. Each intent counts the change only if it is still as its decision saw it;
 * the others' decisions are stale (they decide again), and the survivors' orders make the
 * transaction: a batch if there are several.
 */
async function sendOrders(
  deps: EngineDeps,
  sender: TxSender,
  orders: Order[],
): Promise<ItemResult<IntentRow>[]> {
  const prepared = await sender.prepare();
  const payable = new Set(await affordable(deps, sender, orders, prepared));
  // Intents are locked in id order, as every statement that locks several does, so two batches
  // overlapping in another process, or a batch and a wake, cannot deadlock.
  const sorted = orders.filter((o) => payable.has(o)).sort((a, b) => (a.row.id < b.row.id ? -1 : 1));
  const { bumped, recorded } = await deps.store.commit(deps.clock.now(), async (uow) => {
    const bumped = new Map<Order, IntentRow>();
    for (const order of sorted) {
      const row = await uow.bumpIntentIfUnchanged(order.row);
      if (row) bumped.set(order, row);
    }
    const [first, ...rest] = sorted.filter((o) => bumped.has(o));
    if (!first) return { bumped, recorded: null };
    const survivors: [Order, ...Order[]] = [first, ...rest];
    const recorded = await recordOrders(deps, uow, sender, survivors, prepared);
    for (const order of survivors) {
      uow.intentEvent(bumped.get(order) as IntentRow, `${order.tx.kind}.sent`, {
        hash: recorded.hash,
        chainId: recorded.chain_id,
        nonce: recorded.nonce,
        ...(survivors.length > 1 ? { batch: survivors.length } : {}),
      });
    }
    return { bumped, recorded };
  });
  if (recorded) await sender.broadcast(recorded);
  return orders.map((order): ItemResult<IntentRow> => {
    const row = bumped.get(order);
    return row
      ? { ok: true, value: row }
      : { ok: false, error: new StaleDecision(`intent ${order.row.id} changed meanwhile`) };
  });
}

/** Records the orders' transaction: the order's own call when it is alone, else their batch. */
async function recordOrders(
  deps: EngineDeps,
  uow: UnitOfWork,
  sender: TxSender,
  orders: readonly [Order, ...Order[]],
  prepared: Prepared,
): Promise<ChainTxRow> {
  const [first] = orders;
  const call = plannedCall(first.plan, first.tx, configuredChain(deps));
  if (orders.length === 1) {
    const req = { intentId: first.row.id, kind: first.tx.kind, to: call.to, data: call.data };
    return sender.record(
      uow,
      { ...req, gas: withHeadroom(first.gas), ...(call.asset ? { asset: call.asset } : {}) },
      prepared,
    );
  }
  const kind = first.tx.kind === "sweep" ? "sweep" : "fill";
  const gas = orders.reduce((sum, o) => sum + o.gas, 0n);
  const rows = await sender.recordBatch(
    uow,
    orders.map((o) => o.row.id),
    {
      kind,
      to: call.to,
      data: batchCalldata(
        kind,
        orders.map((o) => ({ ...o, gasLimit: withHeadroom(o.gas) })),
      ),
      gas: withHeadroom(gas),
    },
    prepared,
  );
  return rows[0] as ChainTxRow;
}
