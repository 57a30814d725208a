import type { Address, Hex } from "viem";
import { callSucceeded } from "../../chains/order-events.ts";
import {
  type BalanceAt,
  balanceKey,
  decideIntent,
  type Holding,
  type IntentChange,
  type IntentEffect,
  type IntentFacts,
  type IntentNeed,
  type IntentState,
  plannedTxKey,
} from "../../core/intent/decide.ts";
import type { IntentPlan } from "../../core/intent/plan.ts";
import type { Stage } from "../../core/intent/stages.ts";
import { type IntentStatus, transitions } from "../../core/intent/status.ts";
import type { Simulation, TrackedTx } from "../../core/tx.ts";
import { type ChainTxRow, intentTxs, txRecordOf } from "../../store/chain-txs.ts";
import { depositsOf, readCursor } from "../../store/deposits.ts";
import { type IntentPatch, type IntentRow, planOf } from "../../store/intents.ts";
import { NodeBehind, StaleDecision, TerminalError } from "../errors.ts";
import type { EngineDeps } from "../ports.ts";
import { settleDecision, simulationFailure } from "../settle.ts";
import { configuredChain, plannedCall } from "./calls.ts";
import { availableInventory } from "./quote.ts";
import { sendTx } from "./send.ts";

/**
 * One step of an intent: gather the facts `decideIntent` asks for, then perform what it decides.
 * The decision is core's; this module only reads and acts.
 */

/** The facts as this module fills them in. */
type Facts = IntentFacts & {
  tracked: Record<string, TrackedTx>;
  balances: Record<string, bigint>;
  simulations: Record<string, Simulation>;
};

export const intentStateOf = (row: IntentRow, plan: IntentPlan): IntentState => ({
  status: row.status as IntentStatus,
  stage: row.stage as Stage,
  statusReason: row.status_reason,
  quoteExpiresAt: row.quote_expires_at,
  commitExpiresAt: row.commit_expires_at,
  destinationCallSucceeded: row.destination_call_succeeded,
  retriedAt: row.retried_at,
  plan,
});

/** How soon a step whose node answered behind the deposit watcher looks again. */
const NODE_BEHIND_RETRY_MS = 1_000;

/**
 * The block a balance (or whether the intent is filled) is read at: the head, or the newest block
 * with the chain's confirmations, both as one node reported them (not "latest", which another
 * node behind a load balancer may answer). A head below the block the deposit watcher has scanned
 * to (its cursor, in the database, so across processes and restarts) is a node behind: read there,
 * a deposit the watcher woke the intent for would look absent, and no later block would wake the
 * intent for it again.
 */
async function blockToRead(deps: EngineDeps, chainId: number, at: BalanceAt): Promise<bigint> {
  const [head, scanned] = await Promise.all([deps.chains.head(chainId), readCursor(deps.store.db, chainId)]);
  if (scanned !== null && scanned > head) {
    throw new NodeBehind(
      `chain ${chainId}: the node's head ${head} is below block ${scanned}, scanned already`,
    );
  }
  if (at === "latest") return head;
  const confirmed = head - BigInt(configuredChain(deps)(chainId).confirmations - 1);
  return confirmed < 0n ? 0n : confirmed;
}

async function gather(
  deps: EngineDeps,
  row: IntentRow,
  plan: IntentPlan,
  txs: ReadonlyMap<string, ChainTxRow>,
  facts: Facts,
  need: IntentNeed,
): Promise<void> {
  switch (need.fact) {
    case "balance": {
      const { chainId, asset } = need;
      const at = await blockToRead(deps, chainId, need.at);
      const balance = await deps.chains.balanceOf(chainId, asset, plan.depositAddress, at);
      facts.balances[balanceKey({ chainId, asset }, need.at)] = balance;
      return;
    }
    case "track": {
      const tx = txs.get(need.tx.id);
      if (!tx) throw new TerminalError(`transaction ${need.tx.id} is not the intent's`);
      const outcome = await deps.senders.signerOf(tx).track(tx, deps.clock.now(), tx.kind === "fill");
      const tracked: TrackedTx = { status: outcome.status };
      const succeeded =
        outcome.receipt && tx.kind === "fill" ? callSucceeded(outcome.receipt, row.id) : undefined;
      if (succeeded !== undefined) tracked.callSucceeded = succeeded;
      facts.tracked[tx.id] = tracked;
      return;
    }
    case "simulation": {
      const call = plannedCall(plan, need.tx, configuredChain(deps));
      const solver = deps.senders.of("solver", call.chainId).address;
      facts.simulations[plannedTxKey(need.tx)] = await deps.chains
        .estimateGas(call.chainId, { from: solver, to: call.to, data: call.data })
        .then((gas) => ({ ok: true as const, gas }), simulationFailure);
      return;
    }
    case "strays": {
      const token = row.origin_token.toLowerCase();
      const deposits = await depositsOf(deps.store.db, row.id);
      const strays = new Map<string, Holding>();
      for (const dep of deposits) {
        if (dep.chain_id === row.origin_chain_id && dep.token.toLowerCase() === token) continue;
        strays.set(`${dep.chain_id}:${dep.token.toLowerCase()}`, {
          chainId: dep.chain_id,
          asset: dep.token as Address,
        });
      }
      facts.strays = [...strays.values()];
      return;
    }
    case "filledOnChain":
      // Read from a node behind, "not filled" could send a refund after the user was paid.
      facts.filledOnChain = await deps.chains.isFilled(
        plan.to.chainId,
        row.id as Hex,
        await blockToRead(deps, plan.to.chainId, "latest"),
      );
      return;
    case "inventory":
      facts.inventory = await deps.chains.settlementBalance(plan.to.chainId, plan.to.address, true);
      return;
    case "availableInventory":
      facts.availableInventory = await availableInventory(deps, plan.to.chainId, plan.to.address, true);
      return;
  }
}

/** The row's change as columns; releasing the reservation clears `reserved`. */
function patchOf(change: IntentChange): IntentPatch {
  return {
    ...(change.stage !== undefined ? { stage: change.stage } : {}),
    ...(change.statusReason !== undefined ? { status_reason: change.statusReason } : {}),
    ...(change.destinationCallSucceeded !== undefined
      ? { destination_call_succeeded: change.destinationCallSucceeded }
      : {}),
    ...(change.release ? { reserved: false } : {}),
  };
}

/**
 * Whether the one change made since the decision is the very transition the decision makes (a
 * client's ExecuteIntent racing the worker's deposit check): the rest of the decided change still
 * holds on top of it.
 */
function madeAlready(locked: IntentRow, row: IntentRow, change: IntentChange): boolean {
  return (
    change.transition !== undefined &&
    locked.version === row.version + 1 &&
    locked.status === transitions[change.transition].to &&
    locked.stage === row.stage
  );
}

/** A decision made on `row` that no longer holds: nothing of it is applied; the step decides again. */
const stale = (row: IntentRow) => new StaleDecision(`intent ${row.id} changed meanwhile`);

/**
 * Applies a decided change, releasing the reservation under the inventory lock. Every effect is
 * applied only to the intent as the decision saw it (its version): another writer's change since
 * makes the decision stale.
 */
function applyChange(deps: EngineDeps, row: IntentRow, change: IntentChange) {
  return deps.store.commit(deps.clock.now(), async (uow) => {
    if (change.release) await uow.lockInventory(row.destination_chain_id, row.destination_token);
    const patch = patchOf(change);
    const changed = await uow.changeIntentIfUnchanged(row, {
      patch,
      ...(change.transition ? { transition: change.transition } : {}),
      ...(change.event ? { event: change.event } : {}),
      data: change.data ?? {},
    });
    if (changed) return changed;
    const locked = await uow.lockIntent(row.id);
    if (locked && madeAlready(locked, row, change)) return uow.changeIntent(locked, { patch });
    throw stale(row);
  });
}

/**
 * FAILED → EXECUTING with the destination amount reserved again, if the inventory, read under the
 * reservation lock, covers it. Otherwise nothing changes, and the next decision (from fresh facts)
 * refunds.
 */
function revive(deps: EngineDeps, row: IntentRow, plan: IntentPlan, reason: string) {
  return deps.store.commit(deps.clock.now(), async (uow) => {
    await uow.lockInventory(row.destination_chain_id, row.destination_token);
    const available = await availableInventory(deps, plan.to.chainId, plan.to.address, true, () =>
      uow.reservedAmount(row.destination_chain_id, row.destination_token),
    );
    if (plan.quote.toAmount > available) return row;
    const revived = await uow.changeIntentIfUnchanged(row, {
      transition: "revive",
      patch: { stage: "await_deposit", reserved: true, status_reason: null, next_action_at: uow.now },
      data: { reason },
    });
    if (!revived) throw stale(row);
    return revived;
  });
}

/** Performs one effect on `row`; returns the row as it now is. */
async function perform(
  deps: EngineDeps,
  row: IntentRow,
  plan: IntentPlan,
  effect: IntentEffect,
): Promise<IntentRow> {
  switch (effect.type) {
    case "log":
      deps.log[effect.level]({ intentId: row.id }, effect.message);
      return row;
    case "change":
      return applyChange(deps, row, effect.change);
    case "send":
      return sendTx(deps, { row, plan, tx: effect.tx, gas: effect.gas }, effect.batch);
    case "revive":
      return revive(deps, row, plan, effect.reason);
    case "park":
      await deps.store.commit(deps.clock.now(), (uow) => uow.park("intents", row, effect.reason));
      return row;
    case "fail":
      throw new Error(effect.reason);
  }
}

/**
 * Runs the intent's current step once and returns when to look again (null: only when woken).
 * Every fact is read afresh, so running it twice, or after a crash half way, does the same once.
 */
export async function stepIntent(deps: EngineDeps, row: IntentRow): Promise<Date | null> {
  const plan = planOf(row);
  const rows = await intentTxs(deps.store.db, row.id);
  const txs = new Map(rows.map((tx) => [tx.id, tx]));
  const facts: Facts = {
    now: deps.clock.now(),
    intent: intentStateOf(row, plan),
    txs: rows.map(txRecordOf),
    tracked: {},
    balances: {},
    simulations: {},
    commitLifetimeSeconds: deps.settings.commitLifetimeSeconds,
  };
  const decision = await settleDecision(
    `intent ${row.id}`,
    () => decideIntent(facts),
    (need: IntentNeed) => gather(deps, row, plan, txs, facts, need),
  ).catch((err: unknown) => {
    if (!(err instanceof NodeBehind)) throw err;
    deps.log.debug({ intentId: row.id, why: err.message }, "a node is behind; looking again shortly");
    return null;
  });
  if (!decision) return new Date(facts.now.getTime() + NODE_BEHIND_RETRY_MS);
  let current = row;
  try {
    for (const effect of decision.effects) current = await perform(deps, current, plan, effect);
  } catch (err) {
    if (err instanceof StaleDecision) return deps.clock.now();
    throw err;
  }
  return decision.next;
}
