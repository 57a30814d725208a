import { JunctionError } from "../errors.ts";
import { type IntentStatus, terminalStatuses } from "./status.ts";

/**
 * Where the engine is with an intent, beside the public status (where the user is). Each stage
 * names the step the engine takes in it and the stages that step (or a client's call) may lead
 * to; `moveStage` refuses any other move, as `applyTransition` does for statuses.
 */
export const stages = {
  /** Quoted, not committed: nothing to do unless a deposit turns up before a commit. */
  quoted: {
    step: "keep an early deposit for the quote's lifetime, then refund it",
    next: ["await_deposit", "refund", "watch"],
  },
  /** Committed: waiting for a sufficient, confirmed deposit or the commit deadline. */
  await_deposit: {
    step: "read the confirmed balance at the deposit address; follow a relayed gasless deposit",
    next: ["fill", "refund", "watch"],
  },
  /** Deliver on the destination chain. */
  fill: {
    step: "follow the fill on record, or read the deposit again, check inventory and send Settlement.fill / fillWithCall",
    next: ["sweep", "refund", "await_deposit"],
  },
  /** Take the deposit into Settlement (any excess back to the owner in the same transaction). */
  sweep: {
    step: "DepositFactory.sweep of the confirmed balance, at most the quoted amount",
    next: ["watch"],
  },
  /** Return the deposit to the owner on the origin chain. */
  refund: {
    step: "DepositFactory.refund of the whole balance; refused (→ sweep) if Settlement shows a fill",
    next: ["watch", "sweep"],
  },
  /** Finished; woken only if something more arrives at the deposit address. */
  watch: {
    step: "refund a late deposit, or revive an intent whose plan allows it",
    next: ["refund", "await_deposit"],
  },
} as const satisfies Record<string, { step: string; next: readonly string[] }>;

export type Stage = keyof typeof stages;
export const stageNames = Object.keys(stages) as Stage[];

/** The stage `to`, if `from` may lead there; refuses a move the table does not list. */
export function moveStage(from: Stage, to: Stage): Stage {
  if (from === to || (stages[from].next as readonly Stage[]).includes(to)) return to;
  throw new JunctionError("wrong_status", `an intent cannot go from stage ${from} to ${to}`);
}

/**
 * Whether the client's answer is final: delivered (or the destination call failed), refunded,
 * failed or aborted. What the engine may still do then (the sweep, the solver's own bookkeeping;
 * returning a late deposit) does not change it.
 */
export function isFinal(status: IntentStatus): boolean {
  return terminalStatuses.includes(status);
}

/** Nothing more will happen unless another deposit arrives: a terminal status with no step pending. */
export function isSettled(status: IntentStatus, stage: Stage): boolean {
  return terminalStatuses.includes(status) && stage === "watch";
}

/**
 * Whether a deposit has been counted: the engine saw it confirmed and enough (the intent left
 * await_deposit), or it was announced and the intent is executing on it.
 */
export function depositCounted(status: IntentStatus, stage: Stage): boolean {
  return status === "EXECUTING" || (stage !== "await_deposit" && stage !== "quoted");
}
