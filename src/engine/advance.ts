import { type Address, type Hex, parseEventLogs } from "viem";
import { settlementAbi } from "../chains/abi.gen.ts";
import type { TransitionName } from "../core/intent-status.ts";
import { canTransition, type IntentStatus, lateDepositAction, transitions } from "../core/intent-status.ts";
import type { IntentPlan } from "../core/plan.ts";
import { settleDeposit } from "../core/quote.ts";
import { type ChainTxRow, intentTxs, type TxKind } from "../store/chain-txs.ts";
import { depositsOf } from "../store/deposits.ts";
import {
  appendEvent,
  type IntentPatch,
  type IntentRow,
  lockIntent,
  lockInventory,
  patchIntent,
  planOf,
  type Stage,
  transitionIntent,
} from "../store/intents.ts";
import { fillCalldata, refundCalldata, sweepCalldata } from "./calls.ts";
import type { EngineContext } from "./context.ts";
import { withHeadroom } from "./gas.ts";
import { availableInventory } from "./intents.ts";
import { balanceOf } from "./market.ts";
import type { TxOutcome, TxSender } from "./sender.ts";

/**
 * How soon to look again while a transaction of ours is in flight. The deposit watcher wakes the
 * intent at every new block of the chain, which is when the answer can change; this is the
 * fallback should no watcher run.
 */
const TX_POLL_MS = 2_000;
/** Fallback poll for a deposit while committed (the watcher normally wakes the intent first). */
const DEPOSIT_POLL_MS = 2_000;
/** Wait before retrying a transaction that reverted for a reason that may pass. */
const RETRY_MS = 5_000;
const MAX_REVERTED = 3;

export interface Workers {
  e: EngineContext;
  /** The solver's sender per chain: it fills, sweeps and refunds. */
  senders: Map<number, TxSender>;
}

const later = (e: EngineContext, ms: number) => new Date(e.now().getTime() + ms);

function senderFor(w: Workers, chainId: number): TxSender {
  const sender = w.senders.get(chainId);
  if (!sender) throw new Error(`no sender for chain ${chainId}`);
  return sender;
}

interface Change {
  transition?: TransitionName;
  patch: IntentPatch;
  /** Without a transition: the event to record, if any. */
  event?: string;
  data?: Record<string, unknown>;
  /** Release the reservation under the inventory lock commits take. */
  release?: boolean;
}

/** Applies a change to the locked row in one database transaction and tells long-polls. */
async function update(w: Workers, row: IntentRow, change: Change): Promise<IntentRow> {
  const { e } = w;
  const now = e.now();
  const patch = change.release ? { ...change.patch, reserved: false } : change.patch;
  const updated = await e.db.transaction().execute(async (trx) => {
    if (change.release) await lockInventory(trx, row.destination_chain_id, row.destination_token);
    const locked = await lockIntent(trx, row.id);
    if (!locked) throw new Error(`intent ${row.id} vanished`);
    // A transition another writer already made (ExecuteIntent racing the deposit check) is done:
    // apply the rest of the change on top of it.
    if (change.transition && locked.status !== transitions[change.transition].to) {
      return transitionIntent(trx, locked, change.transition, patch, change.data ?? {}, now);
    }
    const patched = await patchIntent(trx, row.id, patch, now);
    if (change.event)
      await appendEvent(trx, row.id, change.event, patched.status as IntentStatus, change.data ?? {}, now);
    return patched;
  });
  e.changes.notify(row.id);
  return updated;
}

/** Balance of `token` at the deposit address as of the newest block with enough confirmations. */
async function confirmedBalance(w: Workers, row: IntentRow, token: Address): Promise<bigint> {
  const chain = w.e.registry.chain(row.origin_chain_id);
  const client = w.e.market.client(row.origin_chain_id);
  const head = await client.getBlockNumber();
  const at = head - BigInt((chain?.confirmations ?? 1) - 1);
  return balanceOf(client, token, row.deposit_address as Address, at < 0n ? 0n : at);
}

/** The newest transaction of `kind` (and `asset`) that can still count: not dropped. */
async function currentTx(w: Workers, row: IntentRow, kind: TxKind, asset?: string) {
  const txs = (await intentTxs(w.e.db, row.id)).filter(
    (t) => t.kind === kind && t.status !== "dropped" && (asset === undefined || t.asset === asset),
  );
  return { last: txs.at(-1), reverted: txs.filter((t) => t.status === "reverted").length };
}

/** Follows one of the engine's transactions with the sender that signed it (solver or relayer). */
async function track(w: Workers, tx: ChainTxRow): Promise<TxOutcome> {
  const relayer = w.e.relayers.get(tx.chain_id);
  const sender = relayer && relayer.account.address === tx.sender ? relayer : senderFor(w, tx.chain_id);
  return sender.track(tx, w.e.now());
}

/** Sends a solver transaction after eth_estimateGas; a revert in the estimate comes back as a reason. */
async function send(
  w: Workers,
  row: IntentRow,
  chainId: number,
  kind: TxKind,
  call: { to: Address; data: Hex; asset?: Address },
): Promise<{ sent: true } | { sent: false; reason: string }> {
  const sender = senderFor(w, chainId);
  let gas: bigint;
  try {
    gas = await sender.client.estimateGas({ account: sender.account, to: call.to, data: call.data });
  } catch (err) {
    return { sent: false, reason: (err as Error).message.split("\n")[0] ?? "estimate failed" };
  }
  const tx = await sender.send(
    {
      intentId: row.id,
      kind,
      to: call.to,
      data: call.data,
      gas: withHeadroom(gas),
      ...(call.asset ? { asset: call.asset } : {}),
    },
    w.e.now(),
  );
  await appendEvent(
    w.e.db,
    row.id,
    `${kind}.sent`,
    row.status as IntentStatus,
    { hash: tx.hash, chainId, nonce: tx.nonce },
    w.e.now(),
  );
  w.e.changes.notify(row.id);
  return { sent: true };
}

function toRefund(reason: string): Change {
  return {
    patch: { stage: "refund", status_reason: reason, next_action_at: null },
    event: "refund.decided",
    data: { reason },
    release: true,
  };
}

/**
 * Returns any asset other than the intent's token that reached the deposit address (a wrong-token
 * deposit, or native coin sent to an ERC-20 intent). Returns true while such a refund is in flight.
 */
async function refundStrays(w: Workers, row: IntentRow, plan: IntentPlan): Promise<boolean> {
  const strays = new Set(
    (await depositsOf(w.e.db, row.id))
      .map((d) => d.token as Address)
      .filter((t) => t.toLowerCase() !== row.origin_token.toLowerCase()),
  );
  let inFlight = false;
  for (const asset of strays) {
    const { last } = await currentTx(w, row, "refund", asset);
    if (last && (await track(w, last)).status === "pending") {
      inFlight = true;
      continue;
    }
    const client = w.e.market.client(row.origin_chain_id);
    if ((await balanceOf(client, asset, row.deposit_address as Address)) === 0n) continue;
    const result = await send(w, row, row.origin_chain_id, "refund", {
      to: w.e.market.depositFactory(row.origin_chain_id),
      data: refundCalldata(plan, asset),
      asset,
    });
    inFlight ||= result.sent;
  }
  return inFlight;
}

async function awaitDeposit(w: Workers, row: IntentRow, plan: IntentPlan): Promise<Date | null> {
  const { e } = w;
  const now = e.now();
  const balance = await confirmedBalance(w, row, plan.from.address);
  const settlement = settleDeposit(plan.quote, balance);
  if (!settlement.fill && balance === 0n) {
    const relayed = await relayedDeposit(w, row);
    if (relayed === "pending") return later(e, TX_POLL_MS);
    if (relayed) {
      await update(w, row, {
        transition: "failDeposit",
        patch: { stage: "watch", status_reason: relayed },
        release: true,
      });
      return null;
    }
  }
  if (settlement.fill) {
    const patch: IntentPatch = { stage: "fill", next_action_at: now };
    const data = { deposited: balance.toString() };
    await update(
      w,
      row,
      row.status === "COMMITTED"
        ? { transition: "execute", patch, data }
        : { patch, event: "deposit.confirmed", data },
    );
    return now;
  }
  const expired = row.commit_expires_at !== null && now >= row.commit_expires_at;
  if (balance > 0n && (row.status === "EXECUTING" || expired)) {
    await update(
      w,
      row,
      toRefund(`deposit of ${balance} is below the ${plan.quote.fromAmountMin} the quote needs`),
    );
    return now;
  }
  if (expired) {
    await update(w, row, {
      transition: "expire",
      patch: {
        stage: "watch",
        status_reason: `no deposit within ${e.config.commitLifetimeSeconds} s of commit`,
      },
      release: true,
    });
    return null;
  }
  // The watcher wakes the intent at each block while a deposit it saw gathers confirmations.
  const poll = later(e, DEPOSIT_POLL_MS);
  return row.commit_expires_at && row.commit_expires_at < poll ? row.commit_expires_at : poll;
}

/**
 * Where the relayer's gasless deposit for this intent stands, if there is one: "pending" until it
 * is mined (and confirmed), then null once it succeeded (the deposit is on its way to the balance),
 * or the reason it failed.
 */
async function relayedDeposit(w: Workers, row: IntentRow): Promise<"pending" | string | null> {
  // Dropped included: a dropped deposit transaction is a failed one.
  const last = (await intentTxs(w.e.db, row.id)).filter((t) => t.kind === "deposit").at(-1);
  if (!last) return null;
  const outcome = await track(w, last);
  if (outcome.status === "pending") return "pending";
  if (outcome.status === "mined") return null;
  return `the gasless deposit transaction ${last.hash} ${outcome.status === "reverted" ? "reverted" : "was dropped"}; nothing was taken from the owner`;
}

async function fill(w: Workers, row: IntentRow, plan: IntentPlan): Promise<Date | null> {
  const { e } = w;
  const chainId = plan.to.chainId;
  const settlementAddress = e.market.settlement(chainId);
  const { last, reverted } = await currentTx(w, row, "fill");
  if (last) {
    const outcome = await track(w, last);
    if (outcome.status === "pending") return later(e, TX_POLL_MS);
    if (outcome.status === "mined" && outcome.receipt) {
      const [filled] = parseEventLogs({
        abi: settlementAbi,
        eventName: "Filled",
        logs: outcome.receipt.logs,
      });
      const callSucceeded = filled?.args.callSucceeded ?? true;
      await update(w, row, {
        patch: { stage: "sweep", next_action_at: e.now() },
        event: "fill.mined",
        data: { hash: last.hash, callSucceeded },
        release: true,
      });
      return e.now();
    }
  }
  const [alreadyFilled, inventory] = await Promise.all([
    filledOnChain(w, row, plan),
    e.market.settlementBalance(chainId, plan.to.address, true),
  ]);
  if (alreadyFilled) {
    // Settlement's own record outranks ours: never send a second fill.
    e.log.warn({ intentId: row.id }, "Settlement shows the intent filled without a mined fill on record");
    await update(w, row, {
      patch: { stage: "sweep", next_action_at: e.now() },
      event: "fill.found_on_chain",
      release: true,
    });
    return e.now();
  }
  if (reverted >= MAX_REVERTED) {
    await update(w, row, toRefund(`the fill reverted ${reverted} times`));
    return e.now();
  }
  if (inventory < plan.quote.toAmount) {
    await update(w, row, toRefund("the solver's inventory cannot cover the fill"));
    return e.now();
  }
  const data = fillCalldata(plan);
  const result = await send(w, row, chainId, "fill", { to: settlementAddress, data });
  if (!result.sent) {
    await update(w, row, toRefund(`the fill cannot be made: ${result.reason}`));
    return e.now();
  }
  return later(e, TX_POLL_MS);
}

async function sweep(w: Workers, row: IntentRow, plan: IntentPlan): Promise<Date | null> {
  const { e } = w;
  const { last, reverted } = await currentTx(w, row, "sweep");
  if (last) {
    const outcome = await track(w, last);
    if (outcome.status === "pending") return later(e, TX_POLL_MS);
    if (outcome.status === "mined") {
      const callFailed = await destinationCallFailed(w, row);
      await update(
        w,
        row,
        callFailed
          ? {
              transition: "failDestinationCall",
              patch: {
                stage: "watch",
                status_reason: `the destination call reverted; ${plan.quote.toAmount} ${plan.to.symbol} went to the owner ${plan.owner} on chain ${plan.to.chainId}`,
              },
            }
          : { transition: "succeed", patch: { stage: "watch" }, data: { sweep: last.hash } },
      );
      return null;
    }
  }
  if (reverted >= MAX_REVERTED) {
    e.log.error(
      { intentId: row.id },
      "the sweep keeps reverting; the deposit stays at its address for an operator",
    );
    await patchIntent(
      e.db,
      row.id,
      { status_reason: `sweep reverted ${reverted} times; operator attention needed` },
      e.now(),
    );
    return null;
  }
  const balance = await confirmedBalance(w, row, plan.from.address);
  const settlement = settleDeposit(plan.quote, balance);
  if (!settlement.fill) {
    e.log.error({ intentId: row.id, balance: String(balance) }, "filled, but the deposit is gone");
    return later(e, RETRY_MS);
  }
  const result = await send(w, row, plan.from.chainId, "sweep", {
    to: e.market.depositFactory(plan.from.chainId),
    data: sweepCalldata(plan, settlement.keep),
  });
  return result.sent ? later(e, TX_POLL_MS) : later(e, RETRY_MS);
}

/** Whether the mined fill reported its destination call reverted (Settlement's Filled event). */
async function destinationCallFailed(w: Workers, row: IntentRow): Promise<boolean> {
  const events = await w.e.db
    .selectFrom("intent_events")
    .select("data")
    .where("intent_id", "=", row.id)
    .where("type", "=", "fill.mined")
    .execute();
  return events.some((ev) => (ev.data as { callSucceeded?: boolean }).callSucceeded === false);
}

/** Whether Settlement on the destination chain records this intent as filled. */
function filledOnChain(w: Workers, row: IntentRow, plan: IntentPlan): Promise<boolean> {
  return w.e.market.client(plan.to.chainId).readContract({
    address: w.e.market.settlement(plan.to.chainId),
    abi: settlementAbi,
    functionName: "filled",
    args: [row.id as Hex],
  });
}

async function refund(w: Workers, row: IntentRow, plan: IntentPlan): Promise<Date | null> {
  const { e } = w;
  const swept = (await intentTxs(e.db, row.id)).some((t) => t.kind === "sweep" && t.status === "mined");
  if (!swept && (await filledOnChain(w, row, plan))) {
    // Delivered already (a fill this database lost track of, or raced): the deposit pays for it.
    e.log.error({ intentId: row.id }, "refund refused: the intent is filled on chain; sweeping instead");
    await update(w, row, {
      patch: { stage: "sweep", next_action_at: e.now() },
      event: "refund.refused_filled",
    });
    return e.now();
  }
  const token = plan.from.address;
  const { last, reverted } = await currentTx(w, row, "refund", token);
  if (last && last.status !== "reverted") {
    const outcome = await track(w, last);
    if (outcome.status === "pending") return later(e, TX_POLL_MS);
    if (outcome.status === "mined") {
      const status = row.status as IntentStatus;
      const reason = row.status_reason ?? "refunded";
      await update(
        w,
        row,
        canTransition(status, "refund")
          ? {
              transition: "refund",
              patch: { stage: "watch" },
              data: { hash: last.hash, reason },
              release: true,
            }
          : {
              patch: { stage: "watch" },
              event: "refund.late_deposit",
              data: { hash: last.hash },
              release: true,
            },
      );
      return null;
    }
  }
  if (reverted >= MAX_REVERTED) {
    e.log.error({ intentId: row.id }, "the refund keeps reverting");
    return null;
  }
  const balance = await balanceOf(e.market.client(plan.from.chainId), token, row.deposit_address as Address);
  if (balance === 0n) {
    await update(w, row, { patch: { stage: "watch" }, release: true });
    return null;
  }
  const result = await send(w, row, plan.from.chainId, "refund", {
    to: e.market.depositFactory(plan.from.chainId),
    data: refundCalldata(plan, token),
    asset: token,
  });
  return result.sent ? later(e, TX_POLL_MS) : later(e, RETRY_MS);
}

async function watch(w: Workers, row: IntentRow, plan: IntentPlan): Promise<Date | null> {
  const { e } = w;
  const now = e.now();
  if (row.stage === "quoted" && row.status === "QUOTED" && now < row.quote_expires_at) {
    // It may yet be committed; a deposit made before that is kept for it until the quote expires.
    return row.quote_expires_at;
  }
  const balance = await confirmedBalance(w, row, plan.from.address);
  if (balance > 0n && (await revive(w, row, plan))) return now;
  if (balance > 0n) {
    const late =
      row.status === "SUCCEEDED" || row.status === "FAILED"
        ? "arrived after the intent finished"
        : `arrived for an intent that is ${row.status}`;
    await update(w, row, {
      patch: { stage: "refund", status_reason: `a deposit of ${balance} ${late}`, next_action_at: now },
      event: "refund.decided",
      data: { balance: balance.toString() },
    });
    return now;
  }
  return null;
}

/**
 * Revives a revivable intent that failed unfilled and then received a deposit: FAILED → EXECUTING,
 * with the destination amount reserved again. False (and nothing changed) when the rules say
 * refund, or the solver can no longer deliver.
 */
async function revive(w: Workers, row: IntentRow, plan: IntentPlan): Promise<boolean> {
  const { e } = w;
  const filled = (await intentTxs(e.db, row.id)).some((t) => t.kind === "fill" && t.status !== "dropped");
  if (
    lateDepositAction({ revivable: plan.revivable === true, status: row.status as IntentStatus, filled }) !==
    "revive"
  )
    return false;
  const now = e.now();
  const revived = await e.db.transaction().execute(async (trx) => {
    await lockInventory(trx, row.destination_chain_id, row.destination_token);
    const locked = await lockIntent(trx, row.id);
    if (locked?.status !== "FAILED") return false;
    const available = await availableInventory(e, plan.to.chainId, plan.to.address, true, trx);
    if (plan.quote.toAmount > available) return false;
    await transitionIntent(
      trx,
      locked,
      "revive",
      { stage: "await_deposit", reserved: true, status_reason: null, next_action_at: now },
      { reason: "a deposit arrived after the deadline" },
      now,
    );
    return true;
  });
  if (revived) e.changes.notify(row.id);
  return revived;
}

const steps: Record<Stage, (w: Workers, row: IntentRow, plan: IntentPlan) => Promise<Date | null>> = {
  quoted: watch,
  await_deposit: awaitDeposit,
  fill,
  sweep,
  refund,
  watch,
};

/**
 * Runs the intent's current step once and returns when to look again (null: only when woken).
 * Each step reads the chain and the database afresh, so running it twice, or after a crash half
 * way, does the same thing once.
 */
export async function advanceIntent(w: Workers, row: IntentRow): Promise<Date | null> {
  const plan = planOf(row);
  const strayInFlight =
    row.stage !== "fill" && row.stage !== "sweep" ? await refundStrays(w, row, plan) : false;
  const next = await steps[row.stage as Stage](w, row, plan);
  if (!strayInFlight) return next;
  const soon = later(w.e, TX_POLL_MS);
  return next && next < soon ? next : soon;
}
