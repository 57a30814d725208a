/**
 * Both APIs fuzzed briefly with generated requests (test/support/fuzz.ts): no answer may be a
 * 5xx, every 4xx must be in its dialect's error format, and no rejected request may store
 * anything. A failure shows each failing endpoint's shrunk counterexample and the seed that
 * replays the run (FUZZ_SEED=<seed>). `npm run fuzz` runs the same loop for longer.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFuzzer, type Fuzzer, fuzzAll } from "../support/fuzz.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";

/** About 750 requests over the 30 endpoints: 10-20 s, the whole file 15-30 s on a two-core machine. */
const RUNS_PER_ENDPOINT = 25;
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

let t: TestJunction;
let fuzzer: Fuzzer;
beforeAll(async () => {
  t = await startTestJunction();
  fuzzer = await createFuzzer(t);
});
afterAll(async () => {
  if (fuzzer) console.log(`fuzzing results (FUZZ_SEED=${seed})\n${fuzzer.tally.format()}`);
  await t?.stop();
});

it("every endpoint of both APIs keeps its promises under generated input", { timeout: 180_000 }, async () => {
  const failures = await fuzzAll(fuzzer, { numRuns: RUNS_PER_ENDPOINT, seed });
  expect(failures.join("\n\n"), `counterexamples (FUZZ_SEED=${seed})`).toBe("");
});
