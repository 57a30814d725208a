import { JunctionError } from "../errors.ts";
import { stateMachine } from "../state-machine.ts";

/** An Intents Connect execution's public lifecycle. */
export const executionStatuses = [
  "CREATED",
  "DEPOSIT_PENDING",
  "DEPOSIT_PROCESSING",
  "OPERATION_PENDING",
  "OPERATION_PROCESSING",
  "SUCCESS",
  "DEPOSIT_FAILED",
  "OPERATION_FAILED",
  "EXPIRED",
] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

/**
 * Every status change an execution may make, with the event it records: the one table. A
 * bridge-in goes CREATED → DEPOSIT_PENDING → DEPOSIT_PROCESSING → OPERATION_PENDING →
 * OPERATION_PROCESSING → SUCCESS; an out-operation CREATED → OPERATION_PENDING →
 * OPERATION_PROCESSING → DEPOSIT_PROCESSING → SUCCESS; a steps-only execution CREATED →
 * OPERATION_PENDING → OPERATION_PROCESSING → SUCCESS.
 */
export const executionTransitions = {
  /** Bridge-in: the wallet signed; the deposit address is now usable. */
  signForDeposit: { from: ["CREATED"], to: "DEPOSIT_PENDING", event: "execution.signed" },
  /** Out-operation and steps-only: the wallet signed; the steps are queued. */
  signForOperation: { from: ["CREATED"], to: "OPERATION_PENDING", event: "execution.signed" },
  /** The deposit was seen and the cross-chain swap runs (also: a late deposit revives an EXPIRED one). */
  depositSeen: {
    from: ["DEPOSIT_PENDING", "EXPIRED"],
    to: "DEPOSIT_PROCESSING",
    event: "execution.deposit_seen",
  },
  /** Bridge-in: the swap delivered to the intermediary account; the steps are queued. */
  deliveredToIntermediary: {
    from: ["DEPOSIT_PROCESSING"],
    to: "OPERATION_PENDING",
    event: "execution.delivered_to_intermediary",
  },
  /** The steps' transaction was sent. */
  stepsSent: { from: ["OPERATION_PENDING"], to: "OPERATION_PROCESSING", event: "execution.steps_sent" },
  /** Bridge-in and steps-only: the steps ran. */
  stepsDone: { from: ["OPERATION_PROCESSING"], to: "SUCCESS", event: "execution.succeeded" },
  /** Out-operation: the steps ran and made the deposit; the cross-chain swap runs. */
  stepsDeposited: {
    from: ["OPERATION_PROCESSING"],
    to: "DEPOSIT_PROCESSING",
    event: "execution.steps_deposited",
  },
  /** Out-operation: the swap delivered to the recipient. */
  delivered: { from: ["DEPOSIT_PROCESSING"], to: "SUCCESS", event: "execution.succeeded" },
  /**
   * A step reverts (in the simulation before sending, or on chain): nothing of the batch happened;
   * the funds stay in the intermediary account.
   */
  stepsFailed: {
    from: ["OPERATION_PENDING", "OPERATION_PROCESSING"],
    to: "OPERATION_FAILED",
    event: "execution.operation_failed",
  },
  /** The deposit could not be used and went back to its owner. */
  depositFailed: {
    from: ["DEPOSIT_PENDING", "DEPOSIT_PROCESSING", "EXPIRED"],
    to: "DEPOSIT_FAILED",
    event: "execution.deposit_failed",
  },
  /** Bridge-in: no (sufficient) deposit, or no signature, by the deadline; a late deposit revives it. */
  expire: { from: ["CREATED", "DEPOSIT_PENDING"], to: "EXPIRED", event: "execution.expired" },
  /**
   * Out-operation and steps-only: no signature by the deadline. Not EXPIRED, which tells a client
   * that a deposit could still revive the execution: these take no deposit from the user.
   */
  lapse: { from: ["CREATED"], to: "OPERATION_FAILED", event: "execution.operation_failed" },
} as const satisfies Record<string, { from: readonly ExecutionStatus[]; to: ExecutionStatus; event: string }>;

export type ExecutionTransition = keyof typeof executionTransitions;

/** Statuses that still hold the wallet's one live execution on a chain. */
export const liveExecutionStatuses: readonly ExecutionStatus[] = [
  "CREATED",
  "DEPOSIT_PENDING",
  "DEPOSIT_PROCESSING",
  "OPERATION_PENDING",
  "OPERATION_PROCESSING",
];

/** Where the wallet may still cancel: nothing is in flight on a chain. Never after SUCCESS. */
export const deletableExecutionStatuses: readonly ExecutionStatus[] = [
  "CREATED",
  "DEPOSIT_PENDING",
  "OPERATION_PENDING",
  "EXPIRED",
  "DEPOSIT_FAILED",
  "OPERATION_FAILED",
];

const executionMachine = stateMachine<ExecutionStatus, typeof executionTransitions>(
  "an execution",
  executionTransitions,
);

export const canApplyExecution = (status: ExecutionStatus, name: ExecutionTransition): boolean =>
  executionMachine.can(status, name);

/** The status `name` leads to from `status`, with its event; refuses a pair the table does not list. */
export const applyExecutionTransition = (
  status: ExecutionStatus,
  name: ExecutionTransition,
): { to: ExecutionStatus; event: string } => executionMachine.apply(status, name);

/** Deletion is allowed only where nothing is in flight, and never once it succeeded. */
export function checkDeletable(status: ExecutionStatus): void {
  if (deletableExecutionStatuses.includes(status)) return;
  throw new JunctionError(
    "wrong_status",
    `an execution that is ${status} cannot be deleted; allowed in ${deletableExecutionStatuses.join(", ")}`,
  );
}
