/**
 * What the work queues do with a step that throws: try again after an exponential backoff with a
 * cap, and park the row (for an operator) once it has failed `maxAttempts` times in a row, or at
 * once when the failure is terminal (waiting cannot mend it).
 */
export interface RetryPolicy {
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
}

export type FailureKind = "retriable" | "terminal";

/**
 * When to try again after the `attempts`-th failure in a row, or null to park. `jitter` in [0, 1)
 * spreads the retries of rows that failed together (an RPC outage) over the upper half of the
 * delay, so they do not all come back at once.
 */
export function retryAt(
  policy: RetryPolicy,
  attempts: number,
  kind: FailureKind,
  now: Date,
  jitter: number,
): Date | null {
  if (kind === "terminal" || attempts >= policy.maxAttempts) return null;
  const delay = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  return new Date(now.getTime() + Math.round(delay * (0.5 + jitter / 2)));
}
