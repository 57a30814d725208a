import type { Chain, IntentReceipt } from "./api.ts";
import { chainName, formatAmount, formatTime, shortHex } from "./format.ts";

/** One line that answers "where are my funds now?" for an intent's receipt. */
export function whereAreTheFunds(r: IntentReceipt, chains: Chain[] | undefined, fillBlock?: string): string {
  const origin = chainName(chains, r.originChainId);
  const destination = chainName(chains, r.destinationChainId);
  const deposit = r.summary.originTokenMetadata;
  const delivered = r.summary.destinationTokenMetadata;
  const out = formatAmount(r.destinationTransaction.tokenAmount, delivered?.decimals, delivered?.symbol);
  const inBlock = fillBlock !== undefined ? ` in block ${fillBlock}` : "";
  switch (r.status) {
    case "QUOTED":
    case "COMMITTED":
      return `Waiting for your deposit of ${formatAmount(r.summary.originTokenAmount, deposit?.decimals, deposit?.symbol)} at ${shortHex(r.summary.originIntentAddress)} on ${origin}${r.summary.expiresAt ? ` until ${formatTime(r.summary.expiresAt)}` : ""}.`;
    case "EXECUTING":
      return `Your deposit is at ${shortHex(r.summary.originIntentAddress)} on ${origin}; ${out} is on its way to ${shortHex(r.summary.destinationToAddress)} on ${destination}.`;
    case "SUCCEEDED":
      return `Delivered: ${out} to ${shortHex(r.summary.destinationToAddress)} on ${destination}${inBlock}.`;
    case "REFUNDED":
      return `Refunded to ${shortHex(r.ownerAddress)} on ${origin}${r.originTransaction.txnHash ? ` in transaction ${shortHex(r.originTransaction.txnHash)}` : ""}.`;
    case "ABORTED":
      return "Cancelled before any deposit: nothing was taken. A deposit sent anyway is returned to its sender.";
    default:
      return r.destinationTransaction.txnHash
        ? `Delivered to the owner ${shortHex(r.ownerAddress)} on ${destination}${inBlock}: the destination call failed, so the tokens went to the owner instead.`
        : `Nothing was delivered: ${r.summary.memo ?? "the intent failed"}. Any deposit goes back to ${shortHex(r.ownerAddress)}.`;
  }
}

/** An intent's status in plain words. */
export const statusWords: Record<string, string> = {
  QUOTED: "Quoted: nothing has moved yet",
  COMMITTED: "Committed: waiting for the deposit",
  EXECUTING: "Executing: the deposit is in, delivery is under way",
  SUCCEEDED: "Succeeded: delivered",
  FAILED: "Failed",
  REFUNDED: "Refunded: the deposit went back",
  ABORTED: "Aborted: cancelled before any deposit",
};
