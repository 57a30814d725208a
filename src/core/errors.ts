/**
 * A client's mistake or a refusal the engine explains, independent of any API dialect; each
 * dialect maps `kind` to its own error format (Trails: webrpc errors, Connect: HTTP statuses).
 */
export type JunctionErrorKind =
  /** A field is malformed or its value is not acceptable. */
  | "invalid_argument"
  /** The chain is not one Junction serves. */
  | "unsupported_network"
  /** No such intent (or execution). */
  | "not_found"
  /** The intent is not in a state that allows the call. */
  | "wrong_status"
  /** The quote's lifetime has passed. */
  | "quote_expired"
  /** The solver cannot deliver that much right now. */
  | "insufficient_inventory"
  /** The request collides with existing state (a second live execution for one account and chain). */
  | "conflict"
  /** A service Junction depends on for the answer (a NEAR RPC node) could not be reached. */
  | "upstream_unavailable"
  /** The caller may not do this (not the intent's integrator, nor signed by its owner). */
  | "unauthorized"
  /** Junction cannot take this on right now, for a reason of its own (a signer short of gas). */
  | "unavailable";

export class JunctionError extends Error {
  constructor(
    readonly kind: JunctionErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "JunctionError";
  }
}
