import type { ExecutionStatus, ExecutionTransition } from "../../core/connect/execution-status.ts";
import type { ExecutionPlan } from "../../core/connect/plan.ts";
import { encodeStep } from "../../core/connect/steps.ts";
import { executionTxs, intentTxs } from "../../store/chain-txs.ts";
import {
  type ExecutionPatch,
  type ExecutionRow,
  lockExecution,
  transitionExecution,
} from "../../store/executions.ts";
import { findIntent, type IntentRow } from "../../store/intents.ts";
import type { EngineContext } from "../context.ts";
import { withHeadroom } from "../gas.ts";
import { abortIntentIn } from "../intents.ts";
import { executionPlanOf } from "./authorize.ts";
import { executeStepsData } from "./network-fee.ts";

/**
 * While an execution waits on its intent or its steps' transaction: the intent's changes and new
 * blocks wake it first; this is the fallback.
 */
const FALLBACK_POLL_MS = 5_000;

const later = (e: EngineContext, ms: number) => new Date(e.now().getTime() + ms);

/**
 * Applies `names` in order to the locked execution, with `patch` on the last, in one database
 * transaction; `also` runs in it first (an intent to abort with a failed out-operation). Nothing
 * happens if the execution changed or was deleted meanwhile.
 */
async function move(
  e: EngineContext,
  row: ExecutionRow,
  names: ExecutionTransition[],
  patch: ExecutionPatch = {},
  also?: (trx: Parameters<typeof lockExecution>[0]) => Promise<unknown>,
): Promise<void> {
  const now = e.now();
  await e.db.transaction().execute(async (trx) => {
    let locked = await lockExecution(trx, row.id);
    if (!locked || locked.deleted_at || locked.status !== row.status) return;
    if (also) await also(trx);
    for (const [i, name] of names.entries()) {
      locked = await transitionExecution(trx, locked, name, i === names.length - 1 ? patch : {}, {}, now);
    }
  });
}

/** Whether the intent's fill is mined: the swap delivered. */
async function delivered(e: EngineContext, intent: IntentRow): Promise<boolean> {
  return (await intentTxs(e.db, intent.id)).some((t) => t.kind === "fill" && t.status === "mined");
}

/**
 * An execution whose swap is under way follows its intent: deposit seen, delivered, refunded, or
 * past its deadline. A bridge-in then queues its steps; an out-operation is done once delivered.
 */
async function followIntent(e: EngineContext, row: ExecutionRow, plan: ExecutionPlan): Promise<Date | null> {
  const intent = row.intent_id ? await findIntent(e.db, row.intent_id) : undefined;
  if (!intent) return null;
  const status = row.status as ExecutionStatus;
  const waiting = status === "DEPOSIT_PENDING" || status === "EXPIRED";
  if (intent.status === "REFUNDED") {
    await move(e, row, ["depositFailed"], {
      status_reason: intent.status_reason ?? "the deposit was refunded",
    });
    return null;
  }
  if (await delivered(e, intent)) {
    const seen: ExecutionTransition[] = waiting ? ["depositSeen"] : [];
    if (plan.direction === "in") {
      await move(e, row, [...seen, "deliveredToIntermediary"], { next_action_at: e.now() });
      return e.now();
    }
    await move(e, row, [...seen, "delivered"]);
    return null;
  }
  if (intent.status === "EXECUTING" && waiting) {
    await move(e, row, ["depositSeen"]);
    return later(e, FALLBACK_POLL_MS);
  }
  if (intent.status === "FAILED" && status === "DEPOSIT_PENDING") {
    await move(e, row, ["expire"], { status_reason: intent.status_reason ?? "no deposit by the deadline" });
    return null;
  }
  // An EXPIRED execution waits, unpolled, for a late deposit to revive its intent.
  return status === "EXPIRED" ? null : later(e, FALLBACK_POLL_MS);
}

/**
 * Runs the signed steps through the factory from the executor key. A batch that reverts when
 * simulated is not sent: the execution fails with the reason, and the funds stay in the account.
 * Otherwise the transaction is recorded with OPERATION_PENDING → OPERATION_PROCESSING in one
 * database transaction, then broadcast.
 */
async function sendSteps(e: EngineContext, row: ExecutionRow, plan: ExecutionPlan): Promise<Date | null> {
  const executor = e.executors.get(plan.chainId);
  const factory = e.registry.chain(plan.chainId)?.contracts.IntermediaryAccountFactory;
  if (!executor || !factory) throw new Error(`chain ${plan.chainId} has no executor or intermediary factory`);
  const data = executeStepsData(
    plan.identity,
    plan.steps.map((s, i) => encodeStep(s, {}, `steps[${i}]`)),
  );
  let gas: bigint;
  try {
    gas = await executor.client.estimateGas({ account: executor.account, to: factory, data });
  } catch (err) {
    await fail(
      e,
      row,
      `a step reverts: ${(err as Error).message.split("\n")[0]}; the funds stay in the intermediary account ${plan.intermediary}`,
    );
    return null;
  }
  const prepared = await executor.prepare();
  const now = e.now();
  const tx = await e.db.transaction().execute(async (trx) => {
    const locked = await lockExecution(trx, row.id);
    if (!locked || locked.deleted_at || locked.status !== "OPERATION_PENDING") return null;
    const tx = await executor.record(
      trx,
      { executionId: row.id, kind: "steps", to: factory, data, gas: withHeadroom(gas) },
      prepared,
      now,
    );
    await transitionExecution(trx, locked, "stepsSent", {}, { hash: tx.hash }, now);
    return tx;
  });
  if (tx) await executor.broadcast(tx);
  return later(e, FALLBACK_POLL_MS);
}

/** OPERATION_FAILED; an out-operation's intent, which will now get no deposit, is aborted. */
async function fail(e: EngineContext, row: ExecutionRow, reason: string): Promise<void> {
  const intent = row.intent_id ? await findIntent(e.db, row.intent_id) : undefined;
  const open = intent && (intent.status === "QUOTED" || intent.status === "COMMITTED") ? intent : undefined;
  await move(
    e,
    row,
    ["stepsFailed"],
    { status_reason: reason },
    open ? (trx) => abortIntentIn(trx, open, e.now()) : undefined,
  );
  if (open) e.changes.notify(open.id);
}

/** Follows the steps' transaction to its receipt. */
async function trackSteps(e: EngineContext, row: ExecutionRow, plan: ExecutionPlan): Promise<Date | null> {
  const tx = (await executionTxs(e.db, row.id)).filter((t) => t.kind === "steps").at(-1);
  const executor = e.executors.get(plan.chainId);
  if (!tx || !executor) return null;
  const outcome = await executor.track(tx, e.now());
  if (outcome.status === "pending") return later(e, FALLBACK_POLL_MS);
  if (outcome.status === "mined") {
    // An out-operation's steps made the deposit: the swap takes over, and its intent wakes us.
    await move(e, row, [plan.direction === "out" ? "stepsDeposited" : "stepsDone"]);
    return plan.direction === "out" ? later(e, FALLBACK_POLL_MS) : null;
  }
  await fail(
    e,
    row,
    `the steps' transaction ${tx.hash} ${outcome.status === "reverted" ? "reverted" : "was dropped"}; the funds stay in the intermediary account ${plan.intermediary}`,
  );
  return null;
}

/** An unsigned execution past its deadline expires. */
async function expireUnsigned(e: EngineContext, row: ExecutionRow): Promise<Date | null> {
  if (e.now() < row.deadline) return row.deadline;
  await move(e, row, ["expire"], { status_reason: "not signed by the deadline" });
  return null;
}

/**
 * Runs the execution's current step once and returns when to look again (null: only when woken).
 * Each step reads the database and the chain afresh, so running it twice does the same once.
 */
export async function advanceExecution(e: EngineContext, row: ExecutionRow): Promise<Date | null> {
  if (row.deleted_at) return null;
  const plan = executionPlanOf(row);
  switch (row.status as ExecutionStatus) {
    case "CREATED":
      return expireUnsigned(e, row);
    case "DEPOSIT_PENDING":
    case "DEPOSIT_PROCESSING":
    case "EXPIRED":
      return followIntent(e, row, plan);
    case "OPERATION_PENDING":
      return sendSteps(e, row, plan);
    case "OPERATION_PROCESSING":
      return trackSteps(e, row, plan);
    default:
      return null;
  }
}
