import { type Hex, parseEventLogs, type TransactionReceipt } from "viem";
import { depositFactoryAbi, settlementAbi } from "./abi.gen.ts";

/**
 * The events an intent's fill or sweep left in its receipt. Only logs of the contract the
 * transaction called count: a fill's destination call may run any contract, which could emit a
 * look-alike `Filled` for any intent.
 */
function ownEvents(receipt: TransactionReceipt, kind: "fill" | "sweep", intentId: string) {
  const id = intentId.toLowerCase();
  const logs = receipt.logs.filter((log) => log.address.toLowerCase() === receipt.to?.toLowerCase());
  const events =
    kind === "fill"
      ? parseEventLogs({ abi: settlementAbi, eventName: "Filled", logs })
      : parseEventLogs({ abi: depositFactoryAbi, eventName: "Swept", logs });
  return events.filter((event) => (event.args.intentId as Hex | undefined)?.toLowerCase() === id);
}

/**
 * Whether a transaction shows the intent's order done: its `Filled` (a fill) or `Swept` (a sweep)
 * event. An order a batch skipped (`FillSkipped`, `SweepSkipped`: already filled, a payment that
 * failed, a deposit short of the amount) has none, and neither has any order of a transaction that
 * reverted.
 */
export const orderDone = (receipt: TransactionReceipt, kind: "fill" | "sweep", intentId: string): boolean =>
  receipt.status === "success" && ownEvents(receipt, kind, intentId).length > 0;

/** Whether the intent's fill in `receipt` says its destination call succeeded (undefined: no fill of it there). */
export function callSucceeded(receipt: TransactionReceipt, intentId: string): boolean | undefined {
  const [filled] = ownEvents(receipt, "fill", intentId);
  return filled ? (filled.args as { callSucceeded: boolean }).callSucceeded : undefined;
}
