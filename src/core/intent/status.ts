import { stateMachine } from "../state-machine.ts";

/** The public lifecycle of an intent (the Trails `IntentStatus` values). */
export const intentStatuses = [
  "QUOTED",
  "COMMITTED",
  "EXECUTING",
  "SUCCEEDED",
  "FAILED",
  "ABORTED",
  "REFUNDED",
] as const;
export type IntentStatus = (typeof intentStatuses)[number];

/**
 * Every status change the engine may make, with the event it records. Nothing else changes an
 * intent's status: `applyTransition` refuses any pair not listed here.
 */
export const transitions = {
  /** The user accepts the quote; inventory is reserved. */
  commit: { from: ["QUOTED"], to: "COMMITTED", event: "intent.committed" },
  /** The user cancels before depositing; the reservation is released. */
  abort: { from: ["QUOTED", "COMMITTED"], to: "ABORTED", event: "intent.aborted" },
  /** A deposit was announced (ExecuteIntent) or found, confirmed, and is enough. */
  execute: { from: ["COMMITTED"], to: "EXECUTING", event: "intent.executing" },
  /** Filled on the destination chain (and the destination call succeeded). */
  succeed: { from: ["EXECUTING"], to: "SUCCEEDED", event: "intent.succeeded" },
  /**
   * Filled, but the destination call reverted: the tokens went to the owner on the destination
   * chain instead of the target.
   */
  failDestinationCall: { from: ["EXECUTING"], to: "FAILED", event: "intent.destination_call_failed" },
  /** The relayer's gasless deposit reverted or was dropped: nothing left the owner's wallet. */
  failDeposit: { from: ["EXECUTING"], to: "FAILED", event: "intent.deposit_failed" },
  /**
   * A deposit after the commit deadline, for an intent whose plan says late deposits revive it
   * (Intents Connect) rather than being refunded: the reservation is taken again and it goes on.
   */
  revive: { from: ["FAILED"], to: "EXECUTING", event: "intent.revived" },
  /** Committed, and no sufficient deposit arrived within the commit lifetime. */
  expire: { from: ["COMMITTED"], to: "FAILED", event: "intent.expired" },
  /**
   * The deposit went back to the owner on the origin chain: too small, unfillable, or it arrived
   * after the intent was aborted, expired, or never committed.
   */
  refund: {
    from: ["QUOTED", "COMMITTED", "EXECUTING", "FAILED", "ABORTED"],
    to: "REFUNDED",
    event: "intent.refunded",
  },
} as const satisfies Record<string, { from: readonly IntentStatus[]; to: IntentStatus; event: string }>;

export type TransitionName = keyof typeof transitions;

/** Statuses after which nothing more is delivered (late deposits are still refunded). */
export const terminalStatuses: readonly IntentStatus[] = ["SUCCEEDED", "FAILED", "ABORTED", "REFUNDED"];

const intentMachine = stateMachine<IntentStatus, typeof transitions>("an intent", transitions);

export const canTransition = (status: IntentStatus, name: TransitionName): boolean =>
  intentMachine.can(status, name);

/** The status `name` leads to from `status`, and the event to record; refuses what the table does not allow. */
export const applyTransition = (
  status: IntentStatus,
  name: TransitionName,
): { to: IntentStatus; event: string } => intentMachine.apply(status, name);

/**
 * What a deposit that arrives after an intent finished leads to: a revival for an intent that
 * failed unfilled and whose plan is revivable (Intents Connect's expired executions) or whose
 * gasless deposit failed (`relayFailed`: the owner's signatures stay valid until their deadline
 * and are public in the failed transaction, so anyone may relay them again; what they sign for,
 * the payment, is then made, rather than the deposit refunded and its relay fee lost); otherwise a
 * refund to the owner.
 */
export function lateDepositAction(input: {
  revivable: boolean;
  relayFailed: boolean;
  status: IntentStatus;
  filled: boolean;
}): "revive" | "refund" {
  const revivable = input.revivable || input.relayFailed;
  return revivable && input.status === "FAILED" && !input.filled ? "revive" : "refund";
}
