import { revertReasonOf } from "../chains/gateway.ts";

/**
 * Asks `decide` until it has every fact it needs: each answer either names facts still missing,
 * which `gather` reads (all of a round at once), or is the decision. A rule that keeps asking for
 * what it was given is a bug, stopped after a few rounds rather than looped.
 */
export async function settleDecision<Need, Decision>(
  subject: string,
  decide: () => { need: Need[] } | Decision,
  gather: (need: Need) => Promise<void>,
): Promise<Decision> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const answer = decide();
    if (!(typeof answer === "object" && answer !== null && "need" in answer)) return answer;
    await Promise.all((answer as { need: Need[] }).need.map(gather));
  }
  throw new Error(`${subject}: the decision still lacks facts after ${MAX_ROUNDS} rounds`);
}

/** Rounds of gathering one decision may take; each round reads what the last answer named. */
const MAX_ROUNDS = 8;

/**
 * A simulation that failed: a verdict on the transaction when it would revert; any other failure
 * (the node) is thrown, for the step to be retried, rather than taken as a verdict.
 */
export function simulationFailure(err: unknown): { ok: false; reason: string } {
  const reason = revertReasonOf(err);
  if (reason === null) throw err;
  return { ok: false, reason };
}
