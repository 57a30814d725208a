import fc from "fast-check";
import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { OWNER, testPlan, USDC } from "../../../test/support/plans.ts";
import type { Simulation, TrackedTx, TxKind, TxRecord, TxStatus } from "../tx.ts";
import {
  type BalanceAt,
  balanceKey,
  DEPOSIT_POLL_MS,
  decideIntent,
  type Holding,
  type IntentAction,
  type IntentChange,
  type IntentEffect,
  type IntentFacts,
  type IntentState,
  MAX_REVERTED,
  type PlannedTx,
  plannedTxKey,
  TX_POLL_MS,
} from "./decide.ts";
import type { IntentPlan } from "./plan.ts";
import { moveStage, type Stage, stageNames } from "./stages.ts";
import { canTransition, type IntentStatus, intentStatuses, transitions } from "./status.ts";

/**
 * Every rule of the intent lifecycle, decided from facts alone: no chain, no database. Each case
 * states the facts (the row, the transactions on record, what the chain says) and checks what the
 * engine is told to do.
 */

const WETH = "0x00000000000000000000000000000000000000b2" as Address;
/** The plan's origin chain, and another chain where the same deposit address exists. */
const ORIGIN = 1;
const OTHER = 2;
const on = (chainId: number, asset: Address): Holding => ({ chainId, asset });
/** An asset on the origin chain, or a holding on any chain. */
type Where = Address | Holding;
const holding = (w: Where): Holding => (typeof w === "string" ? on(ORIGIN, w) : w);
const returnOf = (w: Where) => ({ kind: "refund", ...holding(w) }) as const;
const NATIVE = "0x0000000000000000000000000000000000000000" as Address;
const NOW = new Date("2026-11-27T12:00:00Z");
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

const plan = (overrides: Partial<IntentPlan> = {}) =>
  testPlan(
    {
      intentId: `0x${"11".repeat(32)}`,
      depositAddress: "0x00000000000000000000000000000000000000d4",
      ...overrides,
    },
    at(-60),
  );

const intent = (overrides: Partial<IntentState> = {}): IntentState => ({
  status: "COMMITTED",
  stage: "await_deposit",
  statusReason: null,
  quoteExpiresAt: at(240),
  commitExpiresAt: at(600),
  destinationCallSucceeded: null,
  retriedAt: null,
  plan: plan(),
  ...overrides,
});

let txSeq = 0;
const tx = (kind: TxKind, status: TxStatus, extra: Partial<TxRecord> = {}): TxRecord => ({
  id: String(++txSeq),
  kind,
  chainId: ORIGIN,
  asset: kind === "refund" ? USDC : null,
  status,
  hash: `0x${String(txSeq).padStart(64, "0")}`,
  createdAt: at(-30),
  ...extra,
});

const balances = (entries: [Where, BalanceAt, bigint][]) =>
  Object.fromEntries(entries.map(([where, when, amount]) => [balanceKey(holding(where), when), amount]));
const simulations = (entries: [PlannedTx, Simulation][]) =>
  Object.fromEntries(entries.map(([planned, result]) => [plannedTxKey(planned), result]));
const ok = (gas = 50_000n): Simulation => ({ ok: true, gas });

/** Facts with every optional one present and harmless; each case overrides what it is about. */
function facts(overrides: Partial<IntentFacts> & { state?: Partial<IntentState> } = {}): IntentFacts {
  const { state, ...rest } = overrides;
  return {
    now: NOW,
    intent: intent(state),
    txs: [],
    tracked: {},
    balances: balances([
      [USDC, "confirmed", 0n],
      [USDC, "latest", 0n],
    ]),
    simulations: {},
    strays: [],
    filledOnChain: false,
    inventory: 1_000n,
    availableInventory: 1_000n,
    commitLifetimeSeconds: 600,
    ...rest,
  };
}

/** The decision, which must not ask for more facts. */
function decide(f: IntentFacts): IntentAction {
  const decision = decideIntent(f);
  if ("need" in decision) throw new Error(`still needs ${JSON.stringify(decision.need, replacer)}`);
  return decision;
}
const replacer = (_: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v);

const changes = (a: IntentAction): IntentChange[] =>
  a.effects.flatMap((e) => (e.type === "change" ? [e.change] : []));
const sends = (a: IntentAction) => a.effects.flatMap((e) => (e.type === "send" ? [e.tx] : []));
const parks = (a: IntentAction) => a.effects.flatMap((e) => (e.type === "park" ? [e.reason] : []));
const fails = (a: IntentAction) => a.effects.flatMap((e) => (e.type === "fail" ? [e.reason] : []));

describe("a committed intent waiting for its deposit", () => {
  it("asks only for the confirmed balance at the deposit address", () => {
    expect(decideIntent(facts({ balances: {} }))).toEqual({
      need: [{ fact: "balance", chainId: ORIGIN, asset: USDC, at: "confirmed" }],
    });
  });

  it("goes on to fill once a confirmed deposit covers the quote: COMMITTED → EXECUTING", () => {
    const a = decide(facts({ balances: balances([[USDC, "confirmed", 100n]]) }));
    expect(changes(a)).toEqual([{ transition: "execute", stage: "fill", data: { deposited: "100" } }]);
    expect(a.next).toEqual(NOW);
  });

  it("an announced deposit (already EXECUTING) goes on to fill without a second transition", () => {
    const a = decide(
      facts({ state: { status: "EXECUTING" }, balances: balances([[USDC, "confirmed", 95n]]) }),
    );
    expect(changes(a)).toEqual([{ stage: "fill", event: "deposit.confirmed", data: { deposited: "95" } }]);
  });

  const short = (amount: bigint) =>
    balances([
      [USDC, "confirmed", amount],
      [USDC, "latest", amount],
    ]);
  const returned = "a deposit of 40 is below the 95 the quote needs; it is returned to the owner";

  it("a deposit below fromAmountMin goes back to the owner, and the intent keeps waiting for its real one", () => {
    const a = decide(
      facts({ balances: short(40n), simulations: simulations([[returnOf(USDC), ok(60_000n)]]) }),
    );
    // Why first, then the return: a client that sees it mined finds the reason already there.
    expect(a.effects).toEqual([
      {
        type: "change",
        change: { statusReason: returned, event: "deposit.returned", data: { amount: "40" } },
      },
      { type: "send", tx: returnOf(USDC), gas: 60_000n, batch: false },
    ]);
    // No transition, no stage move: still COMMITTED, still waiting.
    expect(changes(a).every((c) => c.transition === undefined && c.stage === undefined)).toBe(true);
    expect(a.next).toEqual(new Date(NOW.getTime() + TX_POLL_MS));
  });

  it("the same for a stranger's dust on an intent someone announced: it cannot push the intent to a refund", () => {
    const a = decide(
      facts({
        state: { status: "EXECUTING" },
        balances: short(1n),
        simulations: simulations([[returnOf(USDC), ok()]]),
      }),
    );
    expect(sends(a)).toEqual([returnOf(USDC)]);
    expect(changes(a).some((c) => c.stage !== undefined || c.transition !== undefined)).toBe(false);
  });

  it("while a return is on its way, it waits for it", () => {
    const pending = tx("refund", "pending");
    const f = facts({
      balances: short(40n),
      txs: [pending],
      tracked: { [pending.id]: { status: "pending" } },
    });
    expect(decide(f)).toEqual({ effects: [], next: new Date(NOW.getTime() + TX_POLL_MS) });
  });

  it("a return on its way takes everything there: a deposit completed meanwhile is not filled until it is mined", () => {
    const pending = tx("refund", "pending");
    for (const stage of ["await_deposit", "fill"] as const) {
      const f = facts({
        state: { stage, status: stage === "fill" ? "EXECUTING" : "COMMITTED" },
        balances: balances([
          [USDC, "confirmed", 100n],
          [USDC, "latest", 100n],
        ]),
        txs: [pending],
        tracked: { [pending.id]: { status: "pending" } },
        simulations: simulations([[{ kind: "fill" }, ok()]]),
      });
      expect(decide(f), stage).toEqual({ effects: [], next: new Date(NOW.getTime() + TX_POLL_MS) });
    }
  });

  it("enough is arriving but not yet confirmed: it waits for the confirmations, returning nothing", () => {
    const a = decide(
      facts({
        balances: balances([
          [USDC, "confirmed", 40n],
          [USDC, "latest", 140n],
        ]),
      }),
    );
    expect(a).toEqual({ effects: [], next: new Date(NOW.getTime() + DEPOSIT_POLL_MS) });
  });

  it("a deposit below fromAmountMin still there at the deadline is refunded", () => {
    const a = decide(facts({ now: at(601), balances: short(40n) }));
    expect(changes(a)[0]).toMatchObject({ stage: "refund", release: true });
  });

  it.each([
    ["recorded as mined", "mined", {}],
    ["still recorded as pending, its receipt just read", "pending", { mined: true }],
  ] as const)(
    "at the deadline, after what fell short was returned (%s): REFUNDED, the reservation released",
    (_, status, receipt) => {
      const back = tx("refund", status);
      const tracked = "mined" in receipt ? { [back.id]: { status: "mined" } as TrackedTx } : {};
      const a = decide(facts({ now: at(601), txs: [back], tracked }));
      expect(changes(a)).toEqual([
        {
          transition: "refund",
          stage: "watch",
          statusReason:
            "no deposit of the 95 the quote needs by the deadline; what fell short was returned to the owner",
          data: { hash: back.hash },
          release: true,
        },
      ]);
    },
  );

  it("an announced deposit that is not there at the deadline (it never confirmed): FAILED, nothing to return", () => {
    const a = decide(facts({ now: at(601), state: { status: "EXECUTING" } }));
    expect(changes(a)).toEqual([
      {
        transition: "failDeposit",
        stage: "watch",
        statusReason:
          "the announced deposit is not at the deposit address (it never confirmed); nothing to return",
        release: true,
      },
    ]);
  });

  it("no deposit by the commit deadline: FAILED, reservation released, watched for a late deposit", () => {
    const a = decide(facts({ now: at(600) }));
    expect(changes(a)).toEqual([
      {
        transition: "expire",
        stage: "watch",
        statusReason: "no deposit within 600 s of commit",
        release: true,
      },
    ]);
    expect(a.next).toBeNull();
  });

  it("an announced deposit still gathering confirmations past the deadline is polled, not spun on", () => {
    const arriving = balances([
      [USDC, "confirmed", 0n],
      [USDC, "latest", 100n],
    ]);
    const a = decide(facts({ now: at(601), state: { status: "EXECUTING" }, balances: arriving }));
    expect(a).toEqual({ effects: [], next: new Date(at(601).getTime() + DEPOSIT_POLL_MS) });
  });

  it("looks again at the commit deadline when that comes before the next poll", () => {
    const a = decide(facts({ state: { commitExpiresAt: at(1) } }));
    expect(a.next).toEqual(at(1));
  });

  it("follows a relayed gasless deposit while it is pending", () => {
    const relayed = tx("deposit", "pending");
    const state = { status: "EXECUTING" } as const;
    expect(decideIntent(facts({ state, txs: [relayed] }))).toEqual({
      need: [{ fact: "track", tx: relayed }],
    });
    const a = decide(facts({ state, txs: [relayed], tracked: { [relayed.id]: { status: "pending" } } }));
    expect(a.effects).toEqual([]);
    expect(a.next).toEqual(new Date(NOW.getTime() + TX_POLL_MS));
  });

  it.each([
    ["reverted", "reverted"],
    ["dropped", "was dropped"],
  ] as const)(
    "a relayed gasless deposit that %s fails the intent: nothing left the owner",
    (status, what) => {
      const relayed = tx("deposit", status);
      const a = decide(facts({ state: { status: "EXECUTING" }, txs: [relayed] }));
      expect(changes(a)).toEqual([
        {
          transition: "failDeposit",
          stage: "watch",
          statusReason: `the gasless deposit transaction ${relayed.hash} ${what}; nothing was taken from the owner`,
          release: true,
        },
      ]);
    },
  );

  it("a relayed deposit that was mined leaves the decision to the balance", () => {
    const relayed = tx("deposit", "mined");
    const a = decide(facts({ state: { status: "EXECUTING" }, txs: [relayed] }));
    expect(a.effects).toEqual([]);
  });
});

describe("stray assets at the deposit address", () => {
  const stray = returnOf(WETH);

  it("a deposit in the wrong token is refunded, and the intent keeps waiting for the right one", () => {
    const a = decide(
      facts({
        strays: [on(ORIGIN, WETH)],
        balances: balances([
          [USDC, "confirmed", 0n],
          [USDC, "latest", 0n],
          [WETH, "latest", 10n],
        ]),
        simulations: simulations([[stray, ok(70_000n)]]),
      }),
    );
    expect(a.effects).toEqual([{ type: "send", tx: stray, gas: 70_000n, batch: false }]);
    expect(a.next).toEqual(new Date(NOW.getTime() + TX_POLL_MS));
  });

  it("native coin sent to an ERC-20 intent is returned the same way", () => {
    const native = returnOf(NATIVE);
    const a = decide(
      facts({
        strays: [on(ORIGIN, NATIVE)],
        balances: balances([
          [USDC, "confirmed", 0n],
          [USDC, "latest", 0n],
          [NATIVE, "latest", 5n],
        ]),
        simulations: simulations([[native, ok()]]),
      }),
    );
    expect(sends(a)).toEqual([native]);
  });

  it("a stray refund in flight is followed, not repeated", () => {
    const pending = tx("refund", "pending", { asset: WETH });
    const a = decide(
      facts({ strays: [on(ORIGIN, WETH)], txs: [pending], tracked: { [pending.id]: { status: "pending" } } }),
    );
    expect(sends(a)).toEqual([]);
    expect(a.next).toEqual(new Date(NOW.getTime() + TX_POLL_MS));
  });

  it("a stray refund is sent alongside the stage's own step", () => {
    const a = decide(
      facts({
        strays: [on(ORIGIN, WETH)],
        balances: balances([
          [USDC, "confirmed", 100n],
          [WETH, "latest", 10n],
        ]),
        simulations: simulations([[stray, ok()]]),
      }),
    );
    expect(sends(a)).toEqual([stray]);
    expect(changes(a)[0]).toMatchObject({ transition: "execute", stage: "fill" });
    expect(a.next).toEqual(NOW);
  });

  it("nothing left of a stray asset: nothing to send", () => {
    const a = decide(
      facts({
        strays: [on(ORIGIN, WETH)],
        balances: balances([
          [USDC, "confirmed", 0n],
          [USDC, "latest", 0n],
          [WETH, "latest", 0n],
        ]),
      }),
    );
    expect(sends(a)).toEqual([]);
  });

  it("a deposit to the same address on another chain (the address exists on every chain) is returned there", () => {
    const elsewhere = on(OTHER, USDC);
    const a = decide(
      facts({
        strays: [elsewhere],
        balances: balances([
          [USDC, "confirmed", 0n],
          [USDC, "latest", 0n],
          [elsewhere, "latest", 100n],
        ]),
        simulations: simulations([[returnOf(elsewhere), ok()]]),
      }),
    );
    expect(sends(a)).toEqual([{ kind: "refund", chainId: OTHER, asset: USDC }]);
    // The intent itself keeps waiting on its origin chain.
    expect(changes(a)).toEqual([]);
  });

  it("a stray return that would revert is left for the next look", () => {
    const a = decide(
      facts({
        strays: [on(ORIGIN, WETH)],
        balances: balances([
          [USDC, "confirmed", 0n],
          [USDC, "latest", 0n],
          [WETH, "latest", 10n],
        ]),
        simulations: simulations([[stray, { ok: false, reason: "x" }]]),
      }),
    );
    expect(sends(a)).toEqual([]);
    expect(a.effects).toEqual([]);
  });

  /** A finished intent, only watching, with `deposited` of its own token and a stray whose return would revert. */
  const watchingBesideBlockedStray = (deposited: bigint) =>
    decide(
      facts({
        state: { status: "SUCCEEDED", stage: "watch" },
        strays: [on(ORIGIN, WETH)],
        balances: balances([
          [USDC, "confirmed", deposited],
          [WETH, "latest", 10n],
        ]),
        simulations: simulations([[stray, { ok: false, reason: "blocked" }]]),
      }),
    );

  it("a stray return that would revert, once the intent only watches, fails the step (retried, then parked)", () => {
    const a = watchingBesideBlockedStray(0n);
    expect(a.effects).toEqual([{ type: "fail", reason: "the refund would revert: blocked" }]);
  });

  it("that failure comes after the intent's own effects: a late deposit beside the stray still goes back", () => {
    const a = watchingBesideBlockedStray(5n);
    expect(a.effects.map((e) => e.type)).toEqual(["change", "fail"]);
    expect(changes(a)[0]).toMatchObject({ stage: "refund", event: "refund.decided" });
  });

  describe("for a native-coin intent, whose deposit a return would take with it", () => {
    const nativePlan = plan({ from: { ...plan().from, address: NATIVE, native: true } });
    const usdcStray = returnOf(USDC);

    it("a stray token is not returned while the native deposit is there; the deposit is filled", () => {
      const a = decide(
        facts({
          state: { plan: nativePlan },
          strays: [on(ORIGIN, USDC)],
          balances: balances([
            [NATIVE, "confirmed", 100n],
            [NATIVE, "latest", 100n],
            [USDC, "latest", 10n],
          ]),
          simulations: simulations([[usdcStray, ok()]]),
        }),
      );
      expect(sends(a)).toEqual([]);
      expect(changes(a)[0]).toMatchObject({ transition: "execute", stage: "fill" });
    });

    it("with no native coin at the address the stray token goes back at once", () => {
      const a = decide(
        facts({
          state: { plan: nativePlan },
          strays: [on(ORIGIN, USDC)],
          balances: balances([
            [NATIVE, "confirmed", 0n],
            [NATIVE, "latest", 0n],
            [USDC, "latest", 10n],
          ]),
          simulations: simulations([[usdcStray, ok()]]),
        }),
      );
      expect(sends(a)).toEqual([usdcStray]);
    });

    it("a stray's return already on its way holds the deposit back: no fill until it is mined", () => {
      const pending = tx("refund", "pending", { asset: USDC });
      for (const stage of ["await_deposit", "fill"] as const) {
        const a = decide(
          facts({
            state: { plan: nativePlan, stage, status: stage === "fill" ? "EXECUTING" : "COMMITTED" },
            strays: [on(ORIGIN, USDC)],
            txs: [pending],
            tracked: { [pending.id]: { status: "pending" } },
            balances: balances([
              [NATIVE, "confirmed", 100n],
              [NATIVE, "latest", 100n],
              [USDC, "latest", 10n],
            ]),
            simulations: simulations([[{ kind: "fill" }, ok()]]),
          }),
        );
        expect(a.effects, stage).toEqual([]);
        expect(a.next).toEqual(new Date(NOW.getTime() + TX_POLL_MS));
      }
    });

    it("in the refund stage too the stray waits: the deposit goes back by its own refund, then a last look", () => {
      const refunding = { plan: nativePlan, stage: "refund", status: "EXECUTING" } as const;
      const a = decide(
        facts({
          state: refunding,
          strays: [on(ORIGIN, USDC)],
          balances: balances([
            [NATIVE, "confirmed", 100n],
            [NATIVE, "latest", 100n],
            [USDC, "latest", 10n],
          ]),
          filledOnChain: false,
          simulations: simulations([
            [usdcStray, ok()],
            [returnOf(NATIVE), ok()],
          ]),
        }),
      );
      expect(sends(a)).toEqual([returnOf(NATIVE)]);
      const refund = tx("refund", "mined", { asset: NATIVE });
      const b = decide(
        facts({
          state: refunding,
          strays: [on(ORIGIN, USDC)],
          txs: [refund],
          balances: balances([
            [NATIVE, "confirmed", 0n],
            [NATIVE, "latest", 0n],
            [USDC, "latest", 10n],
          ]),
          filledOnChain: false,
          simulations: simulations([[usdcStray, ok()]]),
        }),
      );
      expect(changes(b)[0]).toMatchObject({ transition: "refund", stage: "watch" });
      expect(b.next).toEqual(NOW);
    });
  });

  it("is not looked at while filling or sweeping, which must not wait", () => {
    for (const stage of ["fill", "sweep"] as const) {
      const need = decideIntent(facts({ state: { status: "EXECUTING", stage }, strays: undefined }));
      expect(JSON.stringify(need, replacer)).not.toContain("strays");
    }
  });
});

describe("the fill", () => {
  const filling = { status: "EXECUTING", stage: "fill" } as const;
  const fill = { kind: "fill" } as const;
  const deposited = balances([[USDC, "confirmed", 100n]]);

  it("checks Settlement's record and the inventory, simulates, and sends the fill", () => {
    expect(
      decideIntent(
        facts({ state: filling, balances: deposited, filledOnChain: undefined, inventory: undefined }),
      ),
    ).toEqual({
      need: [{ fact: "filledOnChain" }, { fact: "inventory" }],
    });
    expect(decideIntent(facts({ state: filling, balances: {} }))).toEqual({
      need: [{ fact: "balance", chainId: ORIGIN, asset: USDC, at: "confirmed" }],
    });
    expect(decideIntent(facts({ state: filling, balances: deposited }))).toEqual({
      need: [{ fact: "simulation", tx: fill }],
    });
    const a = decide(
      facts({ state: filling, balances: deposited, simulations: simulations([[fill, ok(123n)]]) }),
    );
    expect(a.effects).toEqual([{ type: "send", tx: fill, gas: 123n, batch: true }]);
  });

  it("a fill on record is followed, and inventory is not read while it is pending", () => {
    const pending = tx("fill", "pending");
    const f = facts({
      state: filling,
      balances: deposited,
      txs: [pending],
      filledOnChain: undefined,
      inventory: undefined,
    });
    expect(decideIntent(f)).toEqual({ need: [{ fact: "track", tx: pending }] });
    const a = decide({ ...f, tracked: { [pending.id]: { status: "pending" } } });
    expect(a).toEqual({ effects: [], next: new Date(NOW.getTime() + TX_POLL_MS) });
  });

  it("a mined fill: SUCCEEDED at once (the user is paid), the reservation released, the sweep next", () => {
    const mined = tx("fill", "mined");
    const a = decide(facts({ state: filling, txs: [mined], tracked: { [mined.id]: { status: "mined" } } }));
    expect(changes(a)).toEqual([
      {
        transition: "succeed",
        stage: "sweep",
        event: "fill.mined",
        data: { hash: mined.hash, callSucceeded: true },
        destinationCallSucceeded: true,
        release: true,
      },
    ]);
    expect(a.next).toEqual(NOW);
  });

  it("a mined fill whose destination call reverted: FAILED at once, the tokens went to the owner on the destination chain", () => {
    const mined = tx("fill", "mined");
    const a = decide(
      facts({
        state: filling,
        txs: [mined],
        tracked: { [mined.id]: { status: "mined", callSucceeded: false } },
      }),
    );
    expect(changes(a)).toEqual([
      {
        transition: "failDestinationCall",
        statusReason: `the destination call reverted; 90 USDC went to the owner ${OWNER} on chain 2`,
        stage: "sweep",
        event: "fill.mined",
        data: { hash: mined.hash, callSucceeded: false },
        destinationCallSucceeded: false,
        release: true,
      },
    ]);
  });

  it("Settlement's record of a fill the database lost outranks ours: no second fill, delivered", () => {
    const a = decide(facts({ state: filling, balances: deposited, filledOnChain: true }));
    expect(sends(a)).toEqual([]);
    expect(changes(a)).toEqual([
      { transition: "succeed", stage: "sweep", event: "fill.found_on_chain", release: true },
    ]);
  });

  it("the fill cannot be made when the solver's inventory is gone: refund", () => {
    const a = decide(facts({ state: filling, balances: deposited, inventory: 89n }));
    expect(changes(a)[0]).toMatchObject({
      stage: "refund",
      statusReason: "the solver's inventory cannot cover the fill",
    });
  });

  it("the fill cannot be made when it would revert: refund with the reason", () => {
    const a = decide(
      facts({
        state: filling,
        balances: deposited,
        simulations: simulations([[fill, { ok: false, reason: "Paused()" }]]),
      }),
    );
    expect(changes(a)[0]).toMatchObject({
      stage: "refund",
      statusReason: "the fill cannot be made: Paused()",
    });
  });

  it(`a fill that reverted ${MAX_REVERTED} times is given up: refund`, () => {
    const reverted = Array.from({ length: MAX_REVERTED }, () => tx("fill", "reverted"));
    const a = decide(facts({ state: filling, balances: deposited, txs: reverted }));
    expect(changes(a)[0]).toMatchObject({
      stage: "refund",
      statusReason: `the fill reverted ${MAX_REVERTED} times`,
    });
  });

  it("reverted fills before an operator's retry do not count against it", () => {
    const reverted = Array.from({ length: MAX_REVERTED }, () =>
      tx("fill", "reverted", { createdAt: at(-100) }),
    );
    const a = decide(
      facts({
        state: { ...filling, retriedAt: at(-50) },
        balances: deposited,
        txs: reverted,
        simulations: simulations([[fill, ok()]]),
      }),
    );
    expect(sends(a)).toEqual([fill]);
  });

  it("a fill goes in a batch with others' unless one of its fills reverted (perhaps the batch's doing): then alone", () => {
    const sent = (txs: ReturnType<typeof tx>[]) =>
      decide(facts({ state: filling, balances: deposited, txs, simulations: simulations([[fill, ok(9n)]]) }))
        .effects;
    expect(sent([])).toEqual([{ type: "send", tx: fill, gas: 9n, batch: true }]);
    expect(sent([tx("fill", "dropped")])).toEqual([{ type: "send", tx: fill, gas: 9n, batch: true }]);
    expect(sent([tx("fill", "reverted")])).toEqual([{ type: "send", tx: fill, gas: 9n, batch: false }]);
  });

  it("a plain native-coin fill goes alone (its payment gives the recipient all the gas left); with a call, batched", () => {
    const native = plan();
    native.to = { ...native.to, address: NATIVE, native: true };
    const sent = (p: IntentPlan) =>
      decide(
        facts({
          state: { ...filling, plan: p },
          balances: deposited,
          simulations: simulations([[fill, ok(9n)]]),
        }),
      ).effects;
    expect(sent(native)).toEqual([{ type: "send", tx: fill, gas: 9n, batch: false }]);
    const call = { target: NATIVE, data: "0x12" as const, amountOffset: 0n };
    expect(sent({ ...native, call } as IntentPlan)).toEqual([
      { type: "send", tx: fill, gas: 9n, batch: true },
    ]);
  });

  it("a dropped fill is sent again", () => {
    const dropped = tx("fill", "dropped");
    const a = decide(
      facts({
        state: filling,
        balances: deposited,
        txs: [dropped],
        simulations: simulations([[fill, ok()]]),
      }),
    );
    expect(sends(a)).toEqual([fill]);
  });

  it.each([
    ["after a restart, with no fill sent yet", []],
    ["when a dropped fill is to be sent again", [tx("fill", "dropped")]],
  ])("a deposit a reorg took away is never filled (%s): back to waiting for it, nothing sent", (_, txs) => {
    const a = decide(
      facts({
        state: filling,
        txs,
        balances: balances([[USDC, "confirmed", 40n]]),
        simulations: simulations([[fill, ok()]]),
      }),
    );
    expect(sends(a)).toEqual([]);
    expect(changes(a)).toEqual([
      {
        stage: "await_deposit",
        event: "deposit.vanished",
        statusReason:
          "the deposit is no longer at the deposit address (40 of the 95 the quote needs); waiting for it again",
        data: { balance: "40" },
      },
    ]);
  });

  it("an EXECUTING intent whose deposit vanished fills once it is back, and fails at the deadline if it is not", () => {
    const waiting = { status: "EXECUTING", stage: "await_deposit" } as const;
    const back = decide(facts({ state: waiting, balances: deposited }));
    expect(changes(back)).toEqual([
      { stage: "fill", event: "deposit.confirmed", data: { deposited: "100" } },
    ]);
    const gone = decide(facts({ now: at(601), state: waiting }));
    expect(changes(gone)[0]).toMatchObject({ transition: "failDeposit", stage: "watch", release: true });
  });
});

describe("the sweep", () => {
  const sweeping = { status: "EXECUTING", stage: "sweep" } as const;

  it("sweeps the confirmed deposit, at most the quoted amount: the excess goes back to the owner in the same transaction", () => {
    const keep = { kind: "sweep", amount: 100n } as const;
    const a = decide(
      facts({
        state: sweeping,
        balances: balances([[USDC, "confirmed", 130n]]),
        simulations: simulations([[keep, ok()]]),
      }),
    );
    expect(sends(a)).toEqual([keep]);
  });

  it("a sweep goes in a batch with others' unless one of its sweeps reverted: then alone", () => {
    const keep = { kind: "sweep", amount: 100n } as const;
    const sent = (txs: ReturnType<typeof tx>[]) =>
      decide(
        facts({
          state: sweeping,
          txs,
          balances: balances([[USDC, "confirmed", 100n]]),
          simulations: simulations([[keep, ok(7n)]]),
        }),
      ).effects;
    expect(sent([])).toEqual([{ type: "send", tx: keep, gas: 7n, batch: true }]);
    expect(sent([tx("sweep", "reverted")])).toEqual([{ type: "send", tx: keep, gas: 7n, batch: false }]);
  });

  it("a deposit between fromAmountMin and fromAmount is swept whole", () => {
    const keep = { kind: "sweep", amount: 97n } as const;
    const a = decide(
      facts({
        state: sweeping,
        balances: balances([[USDC, "confirmed", 97n]]),
        simulations: simulations([[keep, ok()]]),
      }),
    );
    expect(sends(a)).toEqual([keep]);
  });

  it.each([
    ["SUCCEEDED", true],
    ["FAILED", false],
  ] as const)(
    "a mined sweep of a delivered intent (%s): its status stays, the sweep is recorded, and the address gets a last look now",
    (status, call) => {
      const mined = tx("sweep", "mined");
      const a = decide(
        facts({ state: { ...sweeping, status, destinationCallSucceeded: call }, txs: [mined] }),
      );
      expect(changes(a)).toEqual([{ stage: "watch", event: "sweep.mined", data: { hash: mined.hash } }]);
      expect(a.next).toEqual(NOW);
    },
  );

  it("a mined sweep of a row filled before statuses moved at the fill: SUCCEEDED now", () => {
    const mined = tx("sweep", "mined");
    const a = decide(facts({ state: { ...sweeping, destinationCallSucceeded: true }, txs: [mined] }));
    expect(changes(a)).toEqual([
      { stage: "watch", event: "sweep.mined", data: { hash: mined.hash }, transition: "succeed" },
    ]);
  });

  it("the same after a reverted destination call: FAILED now", () => {
    const mined = tx("sweep", "mined");
    const a = decide(facts({ state: { ...sweeping, destinationCallSucceeded: false }, txs: [mined] }));
    expect(changes(a)).toEqual([
      {
        stage: "watch",
        event: "sweep.mined",
        data: { hash: mined.hash },
        transition: "failDestinationCall",
        statusReason: `the destination call reverted; 90 USDC went to the owner ${OWNER} on chain 2`,
      },
    ]);
  });

  it("filled, but the deposit is gone: nothing is sent; a failed attempt, retried and parked if it lasts", () => {
    const a = decide(facts({ state: sweeping, balances: balances([[USDC, "confirmed", 10n]]) }));
    expect(sends(a)).toEqual([]);
    expect(fails(a)).toEqual(["filled, but the deposit is gone (balance 10)"]);
  });

  it("a sweep that would revert is a failed attempt, tried again after a backoff", () => {
    const keep = { kind: "sweep", amount: 100n } as const;
    const a = decide(
      facts({
        state: sweeping,
        balances: balances([[USDC, "confirmed", 100n]]),
        simulations: simulations([[keep, { ok: false, reason: "x" }]]),
      }),
    );
    expect(sends(a)).toEqual([]);
    expect(fails(a)).toEqual(["the sweep would revert: x"]);
  });

  it(`a sweep that reverted ${MAX_REVERTED} times is parked for an operator; the user was paid, the deposit stays put`, () => {
    const reverted = Array.from({ length: MAX_REVERTED }, () => tx("sweep", "reverted"));
    const a = decide(facts({ state: sweeping, txs: reverted }));
    expect(sends(a)).toEqual([]);
    expect(parks(a)).toEqual([`sweep reverted ${MAX_REVERTED} times; operator attention needed`]);
    expect(changes(a)).toEqual([
      { statusReason: `sweep reverted ${MAX_REVERTED} times; operator attention needed` },
    ]);
  });

  // Since the status moves at the fill, a delivered intent is what normally reaches this stage:
  // its deposit must still be swept (or parked), never left at its address by a final status.
  describe.each([
    ["SUCCEEDED", true],
    ["FAILED", false],
  ] as const)("of an intent already %s by its fill", (status, call) => {
    const delivered = { status, stage: "sweep", destinationCallSucceeded: call } as const;

    it("sends the sweep, the excess going back to the owner", () => {
      const keep = { kind: "sweep", amount: 100n } as const;
      const a = decide(
        facts({
          state: delivered,
          balances: balances([[USDC, "confirmed", 130n]]),
          simulations: simulations([[keep, ok()]]),
        }),
      );
      expect(sends(a)).toEqual([keep]);
      expect(changes(a).every((c) => c.transition === undefined)).toBe(true);
    });

    it("waits for a sweep in flight", () => {
      const pending = tx("sweep", "pending");
      const a = decide(
        facts({ state: delivered, txs: [pending], tracked: { [pending.id]: { status: "pending" } } }),
      );
      expect(sends(a)).toEqual([]);
      expect(a.next).toEqual(new Date(NOW.getTime() + TX_POLL_MS));
    });

    it(`parks a sweep that reverted ${MAX_REVERTED} times, its status unchanged`, () => {
      const reverted = Array.from({ length: MAX_REVERTED }, () => tx("sweep", "reverted"));
      const a = decide(facts({ state: delivered, txs: reverted }));
      expect(parks(a)).toHaveLength(1);
      expect(changes(a).every((c) => c.transition === undefined)).toBe(true);
    });
  });
});

describe("the refund", () => {
  const refunding = (status: IntentStatus, extra: Partial<IntentState> = {}) =>
    ({ status, stage: "refund", statusReason: "too small", ...extra }) as const;
  const refund = returnOf(USDC);

  it("returns the whole balance to the owner", () => {
    const a = decide(
      facts({
        state: refunding("EXECUTING"),
        balances: balances([[USDC, "latest", 40n]]),
        simulations: simulations([[refund, ok()]]),
      }),
    );
    expect(sends(a)).toEqual([refund]);
  });

  it("a mined refund: REFUNDED, with the reason", () => {
    const mined = tx("refund", "mined");
    const a = decide(facts({ state: refunding("EXECUTING"), txs: [mined] }));
    expect(changes(a)).toEqual([
      {
        transition: "refund",
        stage: "watch",
        data: { hash: mined.hash, reason: "too small" },
        release: true,
      },
    ]);
  });

  it("a second deposit after a refund goes back by a refund of its own, never taken for the first", () => {
    const first = tx("refund", "mined");
    const f = facts({
      state: refunding("REFUNDED"),
      txs: [first],
      balances: balances([[USDC, "latest", 100n]]),
      simulations: simulations([[refund, ok()]]),
    });
    expect(sends(decide(f))).toEqual([refund]);
    expect(changes(decide(f))).toEqual([]);
    // Once that one is mined and the address is empty: done, without a second status change.
    const second = tx("refund", "mined");
    const done = decide({ ...f, txs: [first, second], balances: balances([[USDC, "latest", 0n]]) });
    expect(changes(done)).toEqual([
      { stage: "watch", event: "refund.late_deposit", data: { hash: second.hash }, release: true },
    ]);
  });

  it("a deposit after the intent SUCCEEDED is refunded and the intent stays SUCCEEDED", () => {
    const sweep = tx("sweep", "mined");
    const mined = tx("refund", "mined");
    const a = decide(facts({ state: refunding("SUCCEEDED"), txs: [sweep, mined] }));
    expect(changes(a)).toEqual([
      { stage: "watch", event: "refund.late_deposit", data: { hash: mined.hash }, release: true },
    ]);
  });

  it("is refused while Settlement shows the intent filled and nothing was swept: it sweeps instead", () => {
    const a = decide(facts({ state: refunding("EXECUTING"), filledOnChain: true }));
    expect(sends(a)).toEqual([]);
    expect(changes(a)).toEqual([{ stage: "sweep", event: "refund.refused_filled" }]);
  });

  it("waits while a fill of the intent is on its way: never a refund next to a fill", () => {
    const pending = tx("fill", "pending");
    const f = facts({
      state: refunding("EXECUTING"),
      txs: [pending],
      balances: balances([[USDC, "latest", 40n]]),
      simulations: simulations([[refund, ok()]]),
    });
    expect(decideIntent(f)).toEqual({ need: [{ fact: "track", tx: pending }] });
    expect(decide({ ...f, tracked: { [pending.id]: { status: "pending" } } })).toEqual({
      effects: [],
      next: new Date(NOW.getTime() + TX_POLL_MS),
    });
    // Mined: Settlement shows the intent filled, and the deposit pays for it.
    const mined = decide({ ...f, tracked: { [pending.id]: { status: "mined" } }, filledOnChain: true });
    expect(changes(mined)).toEqual([{ stage: "sweep", event: "refund.refused_filled" }]);
  });

  it("once swept, Settlement's record is not asked for", () => {
    const sweep = tx("sweep", "mined");
    const need = decideIntent(
      facts({ state: refunding("SUCCEEDED"), txs: [sweep], filledOnChain: undefined }),
    );
    expect(JSON.stringify(need, replacer)).not.toContain("filledOnChain");
  });

  it("nothing left at the address: back to watching, the reservation released", () => {
    const a = decide(facts({ state: refunding("ABORTED") }));
    expect(changes(a)).toEqual([{ stage: "watch", release: true }]);
  });

  it("a refund that would revert is a failed attempt, tried again after a backoff", () => {
    const a = decide(
      facts({
        state: refunding("FAILED"),
        balances: balances([[USDC, "latest", 5n]]),
        simulations: simulations([[refund, { ok: false, reason: "x" }]]),
      }),
    );
    expect(fails(a)).toEqual(["the refund would revert: x"]);
  });

  it(`a refund that reverted ${MAX_REVERTED} times is parked for an operator`, () => {
    const reverted = Array.from({ length: MAX_REVERTED }, () => tx("refund", "reverted"));
    const a = decide(facts({ state: refunding("FAILED"), txs: reverted }));
    expect(parks(a)).toHaveLength(1);
    expect(sends(a)).toEqual([]);
  });
});

describe("a deposit to an intent that is not waiting for one", () => {
  it("before a commit, the deposit is kept for the quote's lifetime: nothing is read until then", () => {
    const a = decideIntent(facts({ state: { status: "QUOTED", stage: "quoted" }, balances: {} }));
    expect(a).toEqual({ effects: [], next: at(240) });
  });

  it("into a quote that expired uncommitted: refunded", () => {
    const a = decide(
      facts({
        now: at(241),
        state: { status: "QUOTED", stage: "quoted" },
        balances: balances([[USDC, "confirmed", 100n]]),
      }),
    );
    expect(changes(a)).toEqual([
      {
        stage: "refund",
        statusReason: "a deposit of 100 arrived for an intent that is QUOTED",
        event: "refund.decided",
        data: { balance: "100" },
      },
    ]);
  });

  it.each([
    ["ABORTED", "arrived for an intent that is ABORTED"],
    ["SUCCEEDED", "arrived after the intent finished"],
    ["FAILED", "arrived after the intent finished"],
    ["REFUNDED", "arrived for an intent that is REFUNDED"],
  ] as const)("into an intent that is %s: refunded", (status, why) => {
    const a = decide(
      facts({ state: { status, stage: "watch" }, balances: balances([[USDC, "confirmed", 7n]]) }),
    );
    expect(changes(a)[0]).toMatchObject({ stage: "refund", statusReason: `a deposit of 7 ${why}` });
  });

  it("a finished intent with nothing at its address waits to be woken", () => {
    expect(decide(facts({ state: { status: "SUCCEEDED", stage: "watch" } }))).toEqual({
      effects: [],
      next: null,
    });
  });

  describe("an intent whose plan revives it (Intents Connect)", () => {
    const revivable = { status: "FAILED", stage: "watch", plan: plan({ revivable: true }) } as const;
    const deposited = balances([[USDC, "confirmed", 100n]]);

    it("failed unfilled and then paid: revived, if the solver can still deliver", () => {
      expect(decide(facts({ state: revivable, balances: deposited })).effects).toEqual([
        { type: "revive", reason: "a deposit arrived after the deadline" },
      ]);
    });

    it("the solver can no longer deliver: refunded", () => {
      const a = decide(facts({ state: revivable, balances: deposited, availableInventory: 89n }));
      expect(changes(a)[0]).toMatchObject({ stage: "refund" });
    });

    it("already filled once: refunded, never filled again", () => {
      const a = decide(facts({ state: revivable, balances: deposited, txs: [tx("fill", "mined")] }));
      expect(changes(a)[0]).toMatchObject({ stage: "refund" });
    });
  });

  describe("an intent whose gasless deposit failed, then is relayed again (its signatures are public)", () => {
    const failed = { status: "FAILED", stage: "watch" } as const;
    const deposited = balances([[USDC, "confirmed", 100n]]);

    it.each(["reverted", "dropped"] as const)(
      "relay %s, then the deposit arrives: revived, paid as signed",
      (status) => {
        const a = decide(facts({ state: failed, balances: deposited, txs: [tx("deposit", status)] }));
        expect(a.effects).toEqual([
          { type: "revive", reason: "the owner's gasless deposit was made after its first relay failed" },
        ]);
      },
    );

    it("the solver can no longer deliver: refunded", () => {
      const a = decide(
        facts({
          state: failed,
          balances: deposited,
          txs: [tx("deposit", "reverted")],
          availableInventory: 89n,
        }),
      );
      expect(changes(a)[0]).toMatchObject({ stage: "refund" });
    });

    it("dust at its address (less than the least it fills): returned, not revived", () => {
      const dust = balances([[USDC, "confirmed", 1n]]);
      const a = decide(facts({ state: failed, balances: dust, txs: [tx("deposit", "reverted")] }));
      expect(a.effects.some((e) => e.type === "revive")).toBe(false);
      expect(changes(a)[0]).toMatchObject({ stage: "refund" });
    });

    it("a plain Trails intent that failed otherwise: a late deposit is refunded", () => {
      const a = decide(facts({ state: failed, balances: deposited, txs: [tx("deposit", "mined")] }));
      expect(changes(a)[0]).toMatchObject({ stage: "refund" });
    });
  });
});

describe("every decision stays within the tables", () => {
  const statusArb = fc.constantFrom(...intentStatuses);
  const stageArb = fc.constantFrom(...stageNames);
  const kindArb = fc.constantFrom<TxKind>("fill", "sweep", "refund", "deposit");
  const txStatusArb = fc.constantFrom<TxStatus>("pending", "mined", "reverted", "dropped");
  const amountArb = fc.bigInt({ min: 0n, max: 200n });
  const simArb: fc.Arbitrary<Simulation> = fc.oneof(
    fc.constant({ ok: true, gas: 1n } as Simulation),
    fc.constant({ ok: false, reason: "no" } as Simulation),
  );

  /** Facts in which every fact a rule can ask for is known, so every decision is made. */
  const factsArb = fc
    .record({
      status: statusArb,
      stage: stageArb,
      txs: fc.array(
        fc.record({
          kind: kindArb,
          status: txStatusArb,
          asset: fc.constantFrom(USDC, WETH),
          chainId: fc.constantFrom(ORIGIN, OTHER),
        }),
        { maxLength: 6 },
      ),
      tracked: txStatusArb,
      callSucceeded: fc.option(fc.boolean(), { nil: undefined }),
      confirmed: amountArb,
      latest: amountArb,
      stray: amountArb,
      elsewhere: amountArb,
      sim: simArb,
      filledOnChain: fc.boolean(),
      inventory: amountArb,
      minutes: fc.integer({ min: -20, max: 20 }),
      revivable: fc.boolean(),
    })
    .map((g): IntentFacts => {
      const txs = g.txs.map((t, i) => ({
        id: String(i),
        kind: t.kind,
        chainId: t.kind === "refund" ? t.chainId : ORIGIN,
        status: t.status,
        asset: t.kind === "refund" ? t.asset : null,
        hash: `0x${i}`,
        createdAt: at(-10),
      }));
      const tracked: Record<string, TrackedTx> = Object.fromEntries(
        txs.map((t) => [
          t.id,
          { status: t.status === "pending" ? g.tracked : t.status, callSucceeded: g.callSucceeded },
        ]),
      );
      const amounts = [g.confirmed, g.latest, g.stray];
      const sims: Record<string, Simulation> = new Proxy({}, { get: () => g.sim });
      return facts({
        now: at(g.minutes * 60),
        state: { status: g.status, stage: g.stage, plan: plan({ revivable: g.revivable }) },
        txs,
        tracked,
        balances: balances([
          [USDC, "confirmed", amounts[0] ?? 0n],
          [USDC, "latest", amounts[1] ?? 0n],
          [WETH, "latest", amounts[2] ?? 0n],
          [on(OTHER, USDC), "latest", g.elsewhere],
        ]),
        simulations: sims,
        strays: [on(ORIGIN, WETH), on(OTHER, USDC)],
        filledOnChain: g.filledOnChain,
        inventory: g.inventory,
        availableInventory: g.inventory,
      });
    });

  const changeOk = (f: IntentFacts, c: IntentChange) => {
    if (c.transition) expect(canTransition(f.intent.status, c.transition), c.transition).toBe(true);
    if (c.stage) expect(() => moveStage(f.intent.stage, c.stage as Stage)).not.toThrow();
  };

  it("transitions only where the status table allows, stage moves only where the stage table does", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const a = decide(f);
        for (const effect of a.effects) if (effect.type === "change") changeOk(f, effect.change);
      }),
      { numRuns: 2_000 },
    );
  });

  it("never asks to look again at a time already past: that would spin the runner", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const { next } = decide(f);
        if (next !== null) expect(next.getTime()).toBeGreaterThanOrEqual(f.now.getTime());
      }),
      { numRuns: 2_000 },
    );
  });

  it("never sends a fill next to a refund, a fill where Settlement shows one, or a refund while a fill is in flight", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const sent = sends(decide(f));
        const kinds = sent.map((t) => t.kind);
        if (kinds.includes("fill")) {
          expect(kinds).not.toContain("refund");
          expect(f.filledOnChain).toBe(false);
        }
        // A refund of the deposit itself never goes out while a fill is on its way.
        const fillInFlight = f.txs.some((t) => t.kind === "fill" && f.tracked[t.id]?.status === "pending");
        if (fillInFlight) expect(sent).not.toContainEqual({ kind: "refund", asset: USDC });
      }),
      { numRuns: 2_000 },
    );
  });

  it("never stops watching while the deposit's money is still at the address (the loop that left a second deposit stuck)", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        if (f.intent.stage !== "refund") return;
        const left = f.balances[balanceKey(on(ORIGIN, USDC), "latest")] ?? 0n;
        if (left === 0n) return;
        const toWatch = changes(decide(f)).some((c) => c.stage === "watch");
        expect(toWatch).toBe(false);
      }),
      { numRuns: 3_000 },
    );
  });

  it("revives only a FAILED intent never filled, revivable or whose gasless deposit failed", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const revive = decide(f).effects.some((e: IntentEffect) => e.type === "revive");
        if (!revive) return;
        const relayFailed = f.txs.some(
          (t) => t.kind === "deposit" && (t.status === "reverted" || t.status === "dropped"),
        );
        expect(f.intent.plan.revivable === true || relayFailed).toBe(true);
        expect(f.intent.status).toBe("FAILED");
        expect(f.txs.some((t) => t.kind === "fill" && t.status !== "dropped")).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  });

  it("the transition table's names are the ones decisions use", () => {
    for (const name of [
      "execute",
      "expire",
      "failDeposit",
      "succeed",
      "failDestinationCall",
      "refund",
      "revive",
    ]) {
      expect(Object.keys(transitions)).toContain(name);
    }
  });
});
