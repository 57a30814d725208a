import { describe, expect, it } from "vitest";
import { runChaos } from "../support/chaos.ts";

/**
 * The short version of `npm run chaos`: payments of every kind through both APIs while the engine
 * process is SIGKILLed twice and its RPC goes through fault-injecting proxies. Every payment must
 * end where it must, exactly once, with its deposit address empty, and the ledger check must be
 * clean with everything finished. The seed is printed on failure, to replay the run.
 */
describe("chaos: engine killed and RPC faulty in the middle of payments", () => {
  // The timeout is beyond the run's own deadline for a stuck payment and its checks: a run that
  // goes wrong ends with its verdicts and the engine's logs kept, not cut short by the test.
  it("loses nothing, pays nothing twice, leaves nothing stuck", async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    // Where the engine's logs are, when it was killed, what finished: in the failure's message.
    const progress: string[] = [];
    const result = await runChaos({
      payments: 16,
      kills: 2,
      database: "pglite",
      faults: true,
      seed,
      progress: (line) => progress.push(line),
    });
    const summary = `seed ${seed}: ${JSON.stringify({ verdicts: result.verdicts, problems: result.problems, reconcile: result.reconcile, progress })}`;
    expect(result.problems, summary).toEqual([]);
    expect(result.verdicts.ok, summary).toBe(16);
    expect(result.reconcile, summary).toEqual({ clean: true, discrepancies: [] });
    // The webhook endpoint subscribed throughout got every event, in order, despite the kills.
    expect(result.push, summary).toMatchObject({ missing: 0, outOfOrder: 0, forged: 0 });
    expect(result.push.events).toBeGreaterThan(16 * 4);
    expect(result.kills).toBe(2);
    expect(result.restartMs).toHaveLength(2);
  }, 600_000);
});
