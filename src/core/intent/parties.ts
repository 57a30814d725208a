import { type Address, isAddressEqual, zeroAddress } from "viem";
import { JunctionError } from "../errors.ts";

/** Addresses money must never be sent to, because no one could take it out again. */
export interface Sinks {
  /** Junction's own contracts on every chain (Settlement, DepositFactory, Executor, …). */
  contracts: readonly Address[];
  /** The listed token contracts on every chain. */
  tokens: readonly Address[];
}

/** Where the parties of an intent are named, in the caller's own words. */
export interface PartyFields {
  owner: string;
  recipient: string;
}

const among = (address: Address, list: readonly Address[]) => list.some((a) => isAddressEqual(a, address));

/** Why money sent to `address` would be lost, or null. */
function sink(address: Address, sinks: Sinks, asRecipient: boolean): string | null {
  if (isAddressEqual(address, zeroAddress)) return "the zero address: whatever is sent there is burnt";
  if (among(address, sinks.contracts)) {
    return "one of Junction's own contracts: they keep no one's payments, and the money would be stuck";
  }
  if (asRecipient && among(address, sinks.tokens)) {
    return "a token contract: tokens sent to it are locked there for good";
  }
  return null;
}

/**
 * The owner (who deposits, and gets refunds) and the recipient (who is paid) of an intent must be
 * able to hold what reaches them. Refused: the zero address, Junction's own contracts, and for the
 * recipient of a plain payment, a token contract. A destination call's target may be a token (a
 * call that uses the tokens it was approved for; if it reverts they go to the owner), but not the
 * zero address or Junction's contracts, which serve no call.
 */
export function checkParties(
  p: { owner: Address; recipient: Address; call: boolean },
  sinks: Sinks,
  fields: PartyFields,
): void {
  const owner = sink(p.owner, sinks, true);
  if (owner) throw invalid(`${fields.owner}: ${p.owner} is ${owner}; refunds go to the owner`);
  const recipient = sink(p.recipient, sinks, !p.call);
  if (recipient) {
    const what = p.call ? "the contract called" : "who is paid";
    throw invalid(`${fields.recipient}: ${p.recipient} (${what}) is ${recipient}`);
  }
}

const invalid = (message: string) => new JunctionError("invalid_argument", message);
