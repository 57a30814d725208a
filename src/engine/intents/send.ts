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
interface Order {
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

/** The batchers, per sender and kind, living as long as the sender (its chain and key) does. */
const batchers = new WeakMap<TxSender, Map<string, Batcher<Order, IntentRow>>>();

function batcherOf(deps: EngineDeps, sender: TxSender, kind: "fill" | "sweep"): Batcher<Order, IntentRow> {
  const ofSender = batchers.get(sender) ?? new Map<string, Batcher<Order, IntentRow>>();
  batchers.set(sender, ofSender);
  let batcher = ofSender.get(kind);
  if (!batcher) {
    batcher = new Batcher(
      (orders) => sendOrders(deps, sender, orders),
      (o) => o.gas,
      MAX_BATCH_GAS,
    );
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
  // Intents are locked in one order, so two batches overlapping in another process cannot deadlock.
  const sorted = [...orders].sort((a, b) => (a.row.id < b.row.id ? -1 : 1));
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
    { kind, to: call.to, data: batchCalldata(kind, orders), gas: withHeadroom(gas) },
    prepared,
  );
  return rows[0] as ChainTxRow;
}
