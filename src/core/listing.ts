import { JunctionError } from "./errors.ts";

/**
 * Who may list intents and executions. Looking one up by something that names it (its id, a
 * transaction hash, its deposit address) is always public, like a block explorer: the chain data
 * is public anyway. A listing (every intent of an owner, of a text search, of everyone) is public
 * too by default; an operator can restrict it to the caller's own: what its access key created, or
 * what belongs to an owner who signed for it.
 */
export type ListingsMode = "public" | "own";
export const listingsModes = ["public", "own"] as const satisfies readonly ListingsMode[];

/** What a listing may show: everything, or the rows created with one key or of one owner. */
export type ListingScope = "all" | { createdBy: string | null; owner: string | null };

/** Whether `query` is restricted: a listing (not a lookup) under the "own" mode. */
export const isRestricted = (mode: ListingsMode, query: { lookup: boolean }) =>
  mode === "own" && !query.lookup;

/**
 * What a restricted listing shows the caller: the rows created with its access key (given by its
 * fingerprint) and those of the owner whose listing signature it checked. A caller with neither is
 * refused, told what to send instead.
 */
export function ownScope(
  caller: { keyFingerprint: string | null; signedOwner: string | null },
  howToSign: string,
): Exclude<ListingScope, "all"> {
  if (caller.keyFingerprint === null && caller.signedOwner === null) {
    throw new JunctionError(
      "unauthorized",
      `listings are restricted to the caller's own: send the access key the rows were created with, or ${howToSign}`,
    );
  }
  return { createdBy: caller.keyFingerprint, owner: caller.signedOwner };
}

/** A listing signature is good for at most a day, so one that leaks does not expose an owner for ever. */
export const LISTING_SIGNATURE_MAX_SECONDS = 86_400;

/** What a Trails owner signs (EIP-191) to list their intents until `deadline` (unix seconds). */
export const intentListingMessage = (owner: string, deadline: number) =>
  `Junction: list intents of ${owner.toLowerCase()} until ${deadline}`;

/** What an Intents Connect wallet signs (its own standard) to list its executions until `deadline`. */
export const executionListingMessage = (walletId: string, deadline: number) =>
  `list_executions:${walletId}:${deadline}`;

/** Refuses a listing signature's deadline that has passed or is further than a day ahead. */
export function checkListingDeadline(deadline: number, now: Date, field: string): void {
  const seconds = Math.floor(now.getTime() / 1000);
  if (deadline <= seconds) {
    throw new JunctionError(
      "invalid_argument",
      `${field}: ${deadline} has passed (now ${seconds}); sign again with a later deadline`,
    );
  }
  if (deadline > seconds + LISTING_SIGNATURE_MAX_SECONDS) {
    throw new JunctionError(
      "invalid_argument",
      `${field}: ${deadline} is more than ${LISTING_SIGNATURE_MAX_SECONDS} s ahead (now ${seconds}); choose a nearer deadline`,
    );
  }
}
