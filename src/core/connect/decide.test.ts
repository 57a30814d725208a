import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type IntentStatus, intentStatuses } from "../intent/status.ts";
import type { TxRecord, TxStatus } from "../tx.ts";
import {
  decideExecution,
  EXECUTION_POLL_MS,
  type ExecutionEffect,
  type ExecutionFacts,
  type ExecutionState,
  type FollowedIntent,
} from "./decide.ts";
import {
  canApplyExecution,
  type ExecutionStatus,
  executionStatuses,
  executionTransitions,
} from "./execution-status.ts";
import type { Direction } from "./plan.ts";

/**
 * Every rule an Intents Connect execution follows, decided from facts alone: the execution, the
 * intent its swap runs on, its steps' transaction.
 */

const NOW = new Date("2026-11-27T12:00:00Z");
const poll = new Date(NOW.getTime() + EXECUTION_POLL_MS);
const INTERMEDIARY = "0x00000000000000000000000000000000000000e5";

const execution = (overrides: Partial<ExecutionState> = {}): ExecutionState => ({
  status: "DEPOSIT_PENDING",
  deleted: false,
  deadline: new Date(NOW.getTime() + 600_000),
  direction: "in",
  intermediary: INTERMEDIARY,
  ...overrides,
});

const intent = (status: IntentStatus, overrides: Partial<FollowedIntent> = {}): FollowedIntent => ({
  status,
  statusReason: null,
  delivered: false,
  ...overrides,
});

const stepsTx = (status: TxStatus): TxRecord => ({
  id: "7",
  kind: "steps",
  chainId: 2,
  asset: null,
  status,
  hash: `0x${"ab".repeat(32)}`,
  createdAt: NOW,
});

function facts(
  state: Partial<ExecutionState>,
  rest: Partial<Omit<ExecutionFacts, "execution">> = {},
): ExecutionFacts {
  return { now: NOW, execution: execution(state), intent: null, stepsTx: null, ...rest };
}

function decide(f: ExecutionFacts) {
  const decision = decideExecution(f);
  if ("need" in decision) throw new Error(`still needs ${JSON.stringify(decision.need)}`);
  return decision;
}

const move = (transitions: string[], statusReason?: string): ExecutionEffect =>
  ({ type: "move", transitions, ...(statusReason !== undefined ? { statusReason } : {}) }) as ExecutionEffect;

describe("an unsigned execution", () => {
  it("waits for its signature until the deadline", () => {
    const f = facts({ status: "CREATED" });
    expect(decide(f)).toEqual({ effects: [], next: f.execution.deadline });
  });

  it("a bridge-in expires at the deadline (a late deposit could still revive it)", () => {
    expect(decide(facts({ status: "CREATED", deadline: NOW, direction: "in" }))).toEqual({
      effects: [move(["expire"], "not signed by the deadline")],
      next: null,
    });
  });

  it.each(["out", "steps"] as const)(
    "a %s execution fails at the deadline: never EXPIRED, which would invite a deposit it does not take",
    (direction) => {
      expect(decide(facts({ status: "CREATED", deadline: NOW, direction }))).toEqual({
        effects: [move(["lapse"], "not signed by the deadline")],
        next: null,
      });
    },
  );
});

describe("a bridge-in follows its intent", () => {
  it("the deposit was seen and the swap runs: DEPOSIT_PROCESSING", () => {
    expect(decide(facts({}, { intent: intent("EXECUTING") }))).toEqual({
      effects: [move(["depositSeen"])],
      next: poll,
    });
  });

  it("delivered to the intermediary: the steps are queued at once", () => {
    const f = facts({ status: "DEPOSIT_PROCESSING" }, { intent: intent("EXECUTING", { delivered: true }) });
    expect(decide(f)).toEqual({ effects: [move(["deliveredToIntermediary"])], next: NOW });
  });

  it("delivered before the deposit was noticed: both steps in one change", () => {
    const f = facts({}, { intent: intent("SUCCEEDED", { delivered: true }) });
    expect(decide(f).effects).toEqual([move(["depositSeen", "deliveredToIntermediary"])]);
  });

  it("the deposit was refunded: DEPOSIT_FAILED with the intent's reason", () => {
    const f = facts({}, { intent: intent("REFUNDED", { statusReason: "deposit of 1 is below the 95" }) });
    expect(decide(f).effects).toEqual([move(["depositFailed"], "deposit of 1 is below the 95")]);
  });

  it("no deposit by the deadline: EXPIRED, waiting unpolled for a late deposit", () => {
    const f = facts({}, { intent: intent("FAILED", { statusReason: "no deposit within 600 s of commit" }) });
    expect(decide(f)).toEqual({
      effects: [move(["expire"], "no deposit within 600 s of commit")],
      next: null,
    });
    expect(decide(facts({ status: "EXPIRED" }, { intent: intent("FAILED") }))).toEqual({
      effects: [],
      next: null,
    });
  });

  it("an EXPIRED execution whose intent a late deposit revived goes on", () => {
    expect(decide(facts({ status: "EXPIRED" }, { intent: intent("EXECUTING") })).effects).toEqual([
      move(["depositSeen"]),
    ]);
  });

  it("waits, polling as a fallback, while the intent is committed", () => {
    expect(decide(facts({}, { intent: intent("COMMITTED") }))).toEqual({ effects: [], next: poll });
  });
});

describe("running the steps", () => {
  it("simulates the signed steps first, and sends them when they would succeed", () => {
    expect(decideExecution(facts({ status: "OPERATION_PENDING" }))).toEqual({
      need: [{ fact: "simulation" }],
    });
    const f = facts({ status: "OPERATION_PENDING" }, { simulation: { ok: true, gas: 90_000n } });
    expect(decide(f)).toEqual({ effects: [{ type: "sendSteps", gas: 90_000n }], next: poll });
  });

  it("steps that would revert are not sent: OPERATION_FAILED, the funds stay in the intermediary", () => {
    const f = facts({ status: "OPERATION_PENDING" }, { simulation: { ok: false, reason: "Insufficient()" } });
    expect(decide(f).effects).toEqual([
      {
        type: "fail",
        reason: `a step reverts: Insufficient(); the funds stay in the intermediary account ${INTERMEDIARY}`,
        abortIntent: false,
      },
    ]);
  });

  it("an out-operation whose steps fail aborts its intent, which will now get no deposit", () => {
    const f = facts(
      { status: "OPERATION_PENDING", direction: "out" },
      { intent: intent("COMMITTED"), simulation: { ok: false, reason: "x" } },
    );
    expect(decide(f).effects).toEqual([expect.objectContaining({ type: "fail", abortIntent: true })]);
  });

  it("follows the steps' transaction to its receipt", () => {
    const pending = stepsTx("pending");
    const f = facts({ status: "OPERATION_PROCESSING" }, { stepsTx: pending });
    expect(decideExecution(f)).toEqual({ need: [{ fact: "track", tx: pending }] });
    expect(decide({ ...f, tracked: { status: "pending" } })).toEqual({ effects: [], next: poll });
  });

  it.each([
    ["in", ["stepsDone"], null],
    ["steps", ["stepsDone"], null],
    ["out", ["stepsDeposited"], poll],
  ] as const)("a %s execution's mined steps: %s", (direction: Direction, transitions, next) => {
    const f = facts({ status: "OPERATION_PROCESSING", direction }, { stepsTx: stepsTx("mined") });
    expect(decide(f)).toEqual({ effects: [move([...transitions])], next });
  });

  it.each([
    ["reverted", "reverted"],
    ["dropped", "was dropped"],
  ] as const)("steps that %s: OPERATION_FAILED", (status, what) => {
    const tx = stepsTx(status);
    const f = facts({ status: "OPERATION_PROCESSING" }, { stepsTx: tx });
    expect(decide(f).effects).toEqual([
      {
        type: "fail",
        reason: `the steps' transaction ${tx.hash} ${what}; the funds stay in the intermediary account ${INTERMEDIARY}`,
        abortIntent: false,
      },
    ]);
  });
});

describe("every execution decision stays within the status table", () => {
  it("moves only along allowed transitions, and nothing happens to a deleted or finished one", () => {
    const factsArb = fc
      .record({
        status: fc.constantFrom(...executionStatuses),
        deleted: fc.boolean(),
        direction: fc.constantFrom<Direction>("in", "out", "steps"),
        intentStatus: fc.option(fc.constantFrom(...intentStatuses), { nil: null }),
        delivered: fc.boolean(),
        txStatus: fc.option(fc.constantFrom<TxStatus>("pending", "mined", "reverted", "dropped"), {
          nil: null,
        }),
        tracked: fc.constantFrom<TxStatus>("pending", "mined", "reverted", "dropped"),
        simulationOk: fc.boolean(),
        minutes: fc.integer({ min: -20, max: 20 }),
      })
      .map(
        (g): ExecutionFacts => ({
          now: new Date(NOW.getTime() + g.minutes * 60_000),
          execution: execution({ status: g.status, deleted: g.deleted, direction: g.direction }),
          intent: g.intentStatus ? intent(g.intentStatus, { delivered: g.delivered }) : null,
          stepsTx: g.txStatus ? stepsTx(g.txStatus) : null,
          tracked: { status: g.tracked },
          simulation: g.simulationOk ? { ok: true, gas: 1n } : { ok: false, reason: "no" },
        }),
      );
    const finished: readonly ExecutionStatus[] = ["SUCCESS", "DEPOSIT_FAILED", "OPERATION_FAILED"];
    fc.assert(
      fc.property(factsArb, (f) => {
        const { effects, next } = decide(f);
        // A time already past would spin the runner; a deadline reached is acted on, not waited for.
        if (next !== null) expect(next.getTime()).toBeGreaterThanOrEqual(f.now.getTime());
        if (f.execution.deleted || finished.includes(f.execution.status)) expect(effects).toEqual([]);
        for (const effect of effects) {
          if (effect.type !== "move") continue;
          let status = f.execution.status;
          for (const name of effect.transitions) {
            expect(canApplyExecution(status, name), `${status} --${name}-->`).toBe(true);
            status = executionTransitions[name].to;
          }
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
