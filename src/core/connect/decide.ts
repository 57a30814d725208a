import type { IntentStatus } from "../intent/status.ts";
import { later, type Simulation, type TrackedTx, type TxRecord } from "../tx.ts";
import type { ExecutionStatus, ExecutionTransition } from "./execution-status.ts";
import type { Direction } from "./plan.ts";

/**
 * What the engine does next with an Intents Connect execution, decided from facts alone, as
 * `decideIntent` does for intents: the execution's row, the intent its swap runs on, its steps'
 * transaction and what the chain said of it.
 */

/**
 * While an execution waits on its intent or its steps' transaction: the intent's changes and new
 * blocks wake it first; this is the fallback.
 */
export const EXECUTION_POLL_MS = 5_000;

export interface ExecutionState {
  status: ExecutionStatus;
  deleted: boolean;
  deadline: Date;
  direction: Direction;
  intermediary: string;
}

/** The intent behind a quote-backed execution, as far as the execution follows it. */
export interface FollowedIntent {
  status: IntentStatus;
  statusReason: string | null;
  /** The swap delivered: the intent's fill is mined. */
  delivered: boolean;
}

export interface ExecutionFacts {
  now: Date;
  execution: ExecutionState;
  /** Null for a steps-only execution (no swap). */
  intent: FollowedIntent | null;
  /** The execution's latest steps transaction, as recorded. */
  stepsTx: TxRecord | null;
  /** That transaction checked against the chain. */
  tracked?: TrackedTx;
  /** The signed steps simulated from the executor. */
  simulation?: Simulation;
}

export type ExecutionNeed = { fact: "track"; tx: TxRecord } | { fact: "simulation" };

export type ExecutionEffect =
  /**
   * Transitions applied in order, the patch with the last, in one database transaction; nothing
   * happens if the execution changed status or was deleted meanwhile.
   */
  | { type: "move"; transitions: ExecutionTransition[]; statusReason?: string }
  /**
   * The steps cannot run (they revert in simulation or on chain): OPERATION_FAILED; an intent that
   * will now get no deposit (an out-operation's, still open) is aborted in the same transaction.
   */
  | { type: "fail"; reason: string; abortIntent: boolean }
  /** Record the steps' transaction with OPERATION_PENDING → OPERATION_PROCESSING, then broadcast. */
  | { type: "sendSteps"; gas: bigint };

export type ExecutionDecision = { need: ExecutionNeed[] } | { effects: ExecutionEffect[]; next: Date | null };

type Decision = ExecutionDecision;

const act = (next: Date | null, ...effects: ExecutionEffect[]): Decision => ({ effects, next });
const move = (transitions: ExecutionTransition[], statusReason?: string): ExecutionEffect => ({
  type: "move",
  transitions,
  ...(statusReason !== undefined ? { statusReason } : {}),
});

function fail(f: ExecutionFacts, reason: string): ExecutionEffect {
  const open = f.intent !== null && (f.intent.status === "QUOTED" || f.intent.status === "COMMITTED");
  return { type: "fail", reason, abortIntent: open };
}

/**
 * An execution whose swap is under way follows its intent: deposit seen, delivered, refunded, or
 * past its deadline. A bridge-in then queues its steps; an out-operation is done once delivered.
 */
function followIntent(f: ExecutionFacts): Decision {
  const { intent, execution, now } = f;
  if (!intent) return act(null);
  const waiting = execution.status === "DEPOSIT_PENDING" || execution.status === "EXPIRED";
  if (intent.status === "REFUNDED") {
    return act(null, move(["depositFailed"], intent.statusReason ?? "the deposit was refunded"));
  }
  if (intent.delivered) {
    const seen: ExecutionTransition[] = waiting ? ["depositSeen"] : [];
    if (execution.direction === "in") return act(now, move([...seen, "deliveredToIntermediary"]));
    return act(null, move([...seen, "delivered"]));
  }
  if (intent.status === "EXECUTING" && waiting) {
    return act(later(now, EXECUTION_POLL_MS), move(["depositSeen"]));
  }
  if (intent.status === "FAILED" && execution.status === "DEPOSIT_PENDING") {
    return act(null, move(["expire"], intent.statusReason ?? "no deposit by the deadline"));
  }
  // An EXPIRED execution waits, unpolled, for a late deposit to revive its intent.
  return act(execution.status === "EXPIRED" ? null : later(now, EXECUTION_POLL_MS));
}

/** A batch that reverts when simulated is not sent: the funds stay in the intermediary account. */
function sendSteps(f: ExecutionFacts): Decision {
  if (!f.simulation) return { need: [{ fact: "simulation" }] };
  if (!f.simulation.ok) {
    return act(
      null,
      fail(
        f,
        `a step reverts: ${f.simulation.reason}; the funds stay in the intermediary account ${f.execution.intermediary}`,
      ),
    );
  }
  return act(later(f.now, EXECUTION_POLL_MS), { type: "sendSteps", gas: f.simulation.gas });
}

function trackSteps(f: ExecutionFacts): Decision {
  const tx = f.stepsTx;
  if (!tx) return act(null);
  const outcome = tx.status === "pending" ? f.tracked : { status: tx.status };
  if (!outcome) return { need: [{ fact: "track", tx }] };
  if (outcome.status === "pending") return act(later(f.now, EXECUTION_POLL_MS));
  if (outcome.status === "mined") {
    // An out-operation's steps made the deposit: the swap takes over, and its intent wakes us.
    return f.execution.direction === "out"
      ? act(later(f.now, EXECUTION_POLL_MS), move(["stepsDeposited"]))
      : act(null, move(["stepsDone"]));
  }
  const what = outcome.status === "reverted" ? "reverted" : "was dropped";
  return act(
    null,
    fail(
      f,
      `the steps' transaction ${tx.hash} ${what}; the funds stay in the intermediary account ${f.execution.intermediary}`,
    ),
  );
}

/** The execution's next action; `need` lists the facts still missing. */
export function decideExecution(f: ExecutionFacts): ExecutionDecision {
  const { execution, now } = f;
  if (execution.deleted) return act(null);
  switch (execution.status) {
    case "CREATED":
      // An unsigned execution ends at its deadline; only a bridge-in's could still take a deposit.
      return now < execution.deadline
        ? act(execution.deadline)
        : act(null, move([execution.direction === "in" ? "expire" : "lapse"], "not signed by the deadline"));
    case "DEPOSIT_PENDING":
    case "DEPOSIT_PROCESSING":
    case "EXPIRED":
      return followIntent(f);
    case "OPERATION_PENDING":
      return sendSteps(f);
    case "OPERATION_PROCESSING":
      return trackSteps(f);
    default:
      return act(null);
  }
}
