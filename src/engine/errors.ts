import type { FailureKind } from "../core/retry.ts";

/**
 * A step failure that waiting cannot mend (a broken invariant, a chain missing from the
 * configuration): the row is parked at once for an operator instead of being retried.
 */
export class TerminalError extends Error {
  override name = "TerminalError";
}

/**
 * A decision made on facts that no longer hold: another writer changed the row since they were
 * read. Nothing of it is applied; the step decides again.
 */
export class StaleDecision extends Error {
  override name = "StaleDecision";
}

/**
 * A node answered behind what the engine already saw of its chain (a head below the block the
 * deposit watcher has scanned): facts read from it may miss what is there. Nothing is decided on
 * them and the step looks again shortly, without counting a failure: a lagging replica catches
 * up, and after a reorg the watcher's next scan brings its cursor back to the chain.
 */
export class NodeBehind extends Error {
  override name = "NodeBehind";
}

/**
 * How the queues treat what a step threw. Everything but a `TerminalError` is retriable: an RPC
 * timeout, a node behind, a lost database connection, a row another writer changed meanwhile;
 * each step re-reads all it needs, so trying again is always safe.
 */
export const failureKind = (err: unknown): FailureKind =>
  err instanceof TerminalError ? "terminal" : "retriable";

/** The first line of an error's message: what a row keeps as its last error. */
export const errorText = (err: unknown): string =>
  (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).split("\n")[0] ?? "unknown error";
