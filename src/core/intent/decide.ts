import type { Address } from "viem";
import { settleDeposit } from "../quote.ts";
import {
  earliest,
  later,
  latestTx,
  revertedCount,
  type Simulation,
  type TrackedTx,
  type TxRecord,
} from "../tx.ts";
import type { IntentPlan } from "./plan.ts";
import type { Stage } from "./stages.ts";
import { canTransition, type IntentStatus, lateDepositAction, type TransitionName } from "./status.ts";

/**
 * What the engine does next with an intent, decided from facts alone: the intent's row, its
 * transactions as recorded, and what the chains said (balances at a confirmed block, transaction
 * outcomes, simulations). The engine gathers facts, asks `decideIntent`, gathers what it says is
 * missing, asks again, and then performs the effects it returns. Nothing here reads a chain, the
 * database or the clock.
 */

/**
 * How soon to look again while a transaction of ours is in flight. The deposit watcher wakes the
 * intent at every new block of the chain, which is when the answer can change; this is the
 * fallback should no watcher run.
 */
export const TX_POLL_MS = 2_000;
/** Fallback poll for a deposit while committed (the watcher normally wakes the intent first). */
export const DEPOSIT_POLL_MS = 2_000;
/** A fill that reverted this often is given up (refunded); a sweep or refund is parked. */
export const MAX_REVERTED = 3;

/** The intent as the decisions need it, from its row. */
export interface IntentState {
  status: IntentStatus;
  stage: Stage;
  statusReason: string | null;
  quoteExpiresAt: Date;
  commitExpiresAt: Date | null;
  /** From the mined fill's `Filled` event; null until then (or when the fill was found on chain). */
  destinationCallSucceeded: boolean | null;
  /** An operator's last retry: transactions that reverted before it no longer count. */
  retriedAt: Date | null;
  plan: IntentPlan;
}

export type BalanceAt =
  /** At the newest block with the chain's confirmations: what a deposit counts from. */
  | "confirmed"
  /** At the head: whether anything is arriving, or left to return. */
  | "latest";

/**
 * An asset at the intent's deposit address on one chain. The address is the same on every chain
 * (the factory and its salt are), so money can reach it on any of them.
 */
export interface Holding {
  chainId: number;
  asset: Address;
}

/** A transaction the solver may send for the intent. */
export type PlannedTx =
  | { kind: "fill" }
  /** `amount` into Settlement, anything above it back to the owner. */
  | { kind: "sweep"; amount: bigint }
  /** Everything of `asset` at the deposit address on `chainId` back to the owner. */
  | ({ kind: "refund" } & Holding);

export const balanceKey = (h: Holding, at: BalanceAt) => `${h.chainId}:${h.asset.toLowerCase()}@${at}`;
export const plannedTxKey = (tx: PlannedTx): string =>
  tx.kind === "fill"
    ? "fill"
    : tx.kind === "sweep"
      ? `sweep:${tx.amount}`
      : `refund:${tx.chainId}:${tx.asset.toLowerCase()}`;

/** Everything known when deciding; the optional facts are gathered only when a rule needs them. */
export interface IntentFacts {
  now: Date;
  intent: IntentState;
  /** The intent's transactions, oldest first, as recorded. */
  txs: readonly TxRecord[];
  /** Transactions checked against the chain, by record id. */
  tracked: Readonly<Record<string, TrackedTx>>;
  /** Balances at the deposit address, by `balanceKey`. */
  balances: Readonly<Record<string, bigint>>;
  /** Simulations of planned transactions, by `plannedTxKey`. */
  simulations: Readonly<Record<string, Simulation>>;
  /**
   * What was deposited other than the intent's token on its origin chain: a wrong token, stray
   * native coin, anything on another chain.
   */
  strays?: readonly Holding[];
  /** Whether Settlement on the destination chain records the intent as filled. */
  filledOnChain?: boolean;
  /** Settlement's balance of the destination token, read fresh. */
  inventory?: bigint;
  /** That balance less what committed, unfilled intents reserved. */
  availableInventory?: bigint;
  /** For the reason an intent with no deposit fails. */
  commitLifetimeSeconds: number;
}

export type IntentNeed =
  | ({ fact: "balance"; at: BalanceAt } & Holding)
  | { fact: "track"; tx: TxRecord }
  | { fact: "simulation"; tx: PlannedTx }
  | { fact: "strays" | "filledOnChain" | "inventory" | "availableInventory" };

/** A change to the intent's row, applied with its event in one database transaction. */
export interface IntentChange {
  transition?: TransitionName;
  /** An event recorded with the change (before the transition's own, when there is one). */
  event?: string;
  data?: Record<string, unknown>;
  stage?: Stage;
  statusReason?: string | null;
  destinationCallSucceeded?: boolean;
  /** Release the destination amount reserved at commit. */
  release?: boolean;
}

export type IntentEffect =
  /** `batch`: the transaction may carry other intents' fills (or sweeps) too (see `batchable`). */
  | { type: "send"; tx: PlannedTx; gas: bigint; batch: boolean }
  | { type: "change"; change: IntentChange }
  /**
   * FAILED → EXECUTING with the destination amount reserved again, if the intent is still FAILED
   * and the inventory, read again under the reservation lock, still covers it.
   */
  | { type: "revive"; reason: string }
  /** Stop trying until an operator looks: the funds are safe where they are. */
  | { type: "park"; reason: string }
  /**
   * This attempt failed for a reason that may pass (a transaction that would revert now): it is
   * counted like a step that threw, retried after a backoff, and parked if it keeps failing.
   */
  | { type: "fail"; reason: string }
  | { type: "log"; level: "warn" | "error"; message: string };

export interface IntentAction {
  effects: IntentEffect[];
  /** When to look again; null: only when woken (a deposit, a new block, a client's call). */
  next: Date | null;
}

export type IntentDecision = { need: IntentNeed[] } | IntentAction;

type Step = IntentDecision;

const needs = (...need: IntentNeed[]): Step => ({ need });
const act = (next: Date | null, ...effects: IntentEffect[]): IntentAction => ({ effects, next });
const change = (c: IntentChange): IntentEffect => ({ type: "change", change: c });
const send = (tx: PlannedTx, gas: bigint, f: IntentFacts): IntentEffect => ({
  type: "send",
  tx,
  gas,
  batch: batchable(tx, f),
});

/**
 * Whether a fill or sweep may share a transaction with other intents' (a batch), where it runs
 * bounded: not a refund; not a plain native-coin fill (its payment gives the recipient, which may
 * be a contract, whatever gas is left); and never after one of its kind reverted, which may have
 * been another order's doing, so that the retry's outcome is its own.
 */
function batchable(tx: PlannedTx, f: IntentFacts): boolean {
  const { plan } = f.intent;
  if (tx.kind === "refund" || (tx.kind === "fill" && plan.to.native && !plan.call)) return false;
  return revertedCount(f.txs, tx.kind, null) === 0;
}
const log = (level: "warn" | "error", message: string): IntentEffect => ({ type: "log", level, message });
const fail = (reason: string): IntentEffect => ({ type: "fail", reason });

/**
 * The status a mined fill gives, if the intent can still take it: SUCCEEDED, or FAILED when the
 * destination call reverted (the tokens went to the owner on the destination chain instead).
 */
function delivered(intent: IntentState, callSucceeded: boolean | null): Partial<IntentChange> {
  if (!canTransition(intent.status, "succeed")) return {};
  const { plan } = intent;
  return callSucceeded === false
    ? {
        transition: "failDestinationCall",
        statusReason: `the destination call reverted; ${plan.quote.toAmount} ${plan.to.symbol} went to the owner ${plan.owner} on chain ${plan.to.chainId}`,
      }
    : { transition: "succeed" };
}

/** Whether the intent's status already says it was delivered (by its mined fill). */
const wasDelivered = (intent: IntentState) =>
  intent.status === "SUCCEEDED" || (intent.status === "FAILED" && intent.destinationCallSucceeded === false);

function toRefund(reason: string): IntentEffect {
  return change({
    stage: "refund",
    statusReason: reason,
    event: "refund.decided",
    data: { reason },
    release: true,
  });
}

/**
 * Where a recorded transaction stands: a pending one (or a mined fill, whose receipt says whether
 * the destination call succeeded) must be tracked on chain; a settled one is as recorded.
 */
function outcomeOf(f: IntentFacts, tx: TxRecord): TrackedTx | undefined {
  if (tx.status === "pending" || (tx.kind === "fill" && tx.status === "mined")) return f.tracked[tx.id];
  return { status: tx.status };
}

/** The intent's token on its origin chain: where its one deposit is expected. */
const depositOf = (plan: IntentPlan): Holding => ({ chainId: plan.from.chainId, asset: plan.from.address });
const returnOf = (h: Holding): PlannedTx => ({ kind: "refund", ...h });

/** A balance, or the need to read it. */
function held(f: IntentFacts, h: Holding, at: BalanceAt): bigint | IntentNeed {
  return f.balances[balanceKey(h, at)] ?? { fact: "balance", ...h, at };
}
const isNeed = (v: bigint | IntentNeed): v is IntentNeed => typeof v !== "bigint";

/**
 * A return of `h` to the owner under way: the last refund of that asset on that chain, while
 * pending. Undefined when there is none; a need when it must be tracked first.
 */
function returnInFlight(f: IntentFacts, h: Holding): TrackedTx | IntentNeed | undefined {
  const last = latestTx(f.txs, "refund", h);
  if (last?.status !== "pending") return;
  return outcomeOf(f, last) ?? { fact: "track", tx: last };
}

/**
 * Returns what is at the deposit address (`h`) to the owner: simulated first; a return that would
 * revert is a failed attempt, retried after a backoff.
 */
function sendReturn(f: IntentFacts, h: Holding, next: Date | null, ...also: IntentEffect[]): Step {
  const tx = returnOf(h);
  const simulation = f.simulations[plannedTxKey(tx)];
  if (!simulation) return needs({ fact: "simulation", tx });
  if (!simulation.ok) return act(null, fail(`the refund would revert: ${simulation.reason}`));
  // What the return is for is recorded first: once it is sent, a client may see it mined at once.
  return act(next, ...also, send(tx, simulation.gas, f));
}

function awaitDeposit(f: IntentFacts): Step {
  const { now, intent } = f;
  const { plan } = intent;
  const deposit = depositOf(plan);
  const confirmed = held(f, deposit, "confirmed");
  if (isNeed(confirmed)) return needs(confirmed);
  const settlement = settleDeposit(plan.quote, confirmed);
  // The relayer's deposit is what an EXECUTING intent with nothing at its address waits for.
  // Dropped included: a dropped deposit transaction is a failed one.
  const relayed = f.txs.filter((t) => t.kind === "deposit").at(-1);
  if (!settlement.fill && confirmed === 0n && relayed && intent.status === "EXECUTING") {
    const outcome = outcomeOf(f, relayed);
    if (!outcome) return needs({ fact: "track", tx: relayed });
    if (outcome.status === "pending") return act(later(now, TX_POLL_MS));
    if (outcome.status !== "mined") {
      const what = outcome.status === "reverted" ? "reverted" : "was dropped";
      return act(
        null,
        change({
          transition: "failDeposit",
          stage: "watch",
          statusReason: `the gasless deposit transaction ${relayed.hash} ${what}; nothing was taken from the owner`,
          release: true,
        }),
      );
    }
  }
  if (settlement.fill) {
    const data = { deposited: confirmed.toString() };
    return act(
      now,
      change(
        intent.status === "COMMITTED"
          ? { transition: "execute", stage: "fill", data }
          : { stage: "fill", event: "deposit.confirmed", data },
      ),
    );
  }
  // A return of an earlier deposit that fell short is on its way: wait for it.
  const returning = returnInFlight(f, deposit);
  if (returning && "fact" in returning) return needs(returning);
  if (returning?.status === "pending") return act(later(now, TX_POLL_MS));
  const latest = held(f, deposit, "latest");
  if (isNeed(latest)) return needs(latest);
  const expired = intent.commitExpiresAt !== null && now >= intent.commitExpiresAt;
  // Enough is arriving: wait for its confirmations (an announced one even past the deadline).
  if (latest >= plan.quote.fromAmountMin && (!expired || intent.status === "EXECUTING")) {
    return act(later(now, DEPOSIT_POLL_MS));
  }
  const min = plan.quote.fromAmountMin;
  if (confirmed > 0n && !expired) {
    // A deposit that does not meet the quote (a mistake, or someone's dust) goes back to the
    // owner, and the intent keeps waiting for its real deposit until its deadline.
    const reason = `a deposit of ${confirmed} is below the ${min} the quote needs; it is returned to the owner`;
    return sendReturn(
      f,
      deposit,
      later(now, TX_POLL_MS),
      change({ statusReason: reason, event: "deposit.returned", data: { amount: confirmed.toString() } }),
    );
  }
  if (expired) return endUnpaid(f, confirmed);
  // The watcher wakes the intent at each block while a deposit it saw gathers confirmations.
  return act(earliest(later(now, DEPOSIT_POLL_MS), intent.commitExpiresAt));
}

/**
 * The deadline passed without a deposit that meets the quote: what is still there goes back (then
 * REFUNDED, from the refund stage), and with nothing there the intent ends as it must: REFUNDED if
 * deposits that fell short were returned, FAILED otherwise (an announced deposit that never
 * confirmed is a failed deposit).
 */
function endUnpaid(f: IntentFacts, confirmed: bigint): Step {
  const { intent } = f;
  const min = intent.plan.quote.fromAmountMin;
  if (confirmed > 0n)
    return act(f.now, toRefund(`deposit of ${confirmed} is below the ${min} the quote needs`));
  // The return's record may still say pending while its receipt (tracked) says it was mined.
  const returned = latestTx(f.txs, "refund", depositOf(intent.plan));
  if (returned && outcomeOf(f, returned)?.status === "mined" && canTransition(intent.status, "refund")) {
    return act(
      null,
      change({
        transition: "refund",
        stage: "watch",
        statusReason: `no deposit of the ${min} the quote needs by the deadline; what fell short was returned to the owner`,
        data: { hash: returned.hash },
        release: true,
      }),
    );
  }
  if (canTransition(intent.status, "expire")) {
    const statusReason = `no deposit within ${f.commitLifetimeSeconds} s of commit`;
    return act(null, change({ transition: "expire", stage: "watch", statusReason, release: true }));
  }
  if (canTransition(intent.status, "failDeposit")) {
    const statusReason =
      "the announced deposit is not at the deposit address (it never confirmed); nothing to return";
    return act(null, change({ transition: "failDeposit", stage: "watch", statusReason, release: true }));
  }
  return act(null, change({ stage: "watch", release: true }));
}

function fill(f: IntentFacts): Step {
  const { now, intent } = f;
  const { plan } = intent;
  const last = latestTx(f.txs, "fill");
  if (last) {
    const outcome = outcomeOf(f, last);
    if (!outcome) return needs({ fact: "track", tx: last });
    if (outcome.status === "pending") return act(later(now, TX_POLL_MS));
    if (outcome.status === "mined") {
      // The user is paid now: the status says so at once, and the sweep (the solver's own
      // bookkeeping) follows in the sweep stage.
      const callSucceeded = outcome.callSucceeded ?? true;
      return act(
        now,
        change({
          ...delivered(intent, callSucceeded),
          stage: "sweep",
          event: "fill.mined",
          data: { hash: last.hash, callSucceeded },
          destinationCallSucceeded: callSucceeded,
          release: true,
        }),
      );
    }
  }
  const missing: IntentNeed[] = [];
  if (f.filledOnChain === undefined) missing.push({ fact: "filledOnChain" });
  if (f.inventory === undefined) missing.push({ fact: "inventory" });
  if (f.filledOnChain === undefined || f.inventory === undefined) return { need: missing };
  if (f.filledOnChain) {
    // Settlement's own record outranks ours: never send a second fill.
    return act(
      now,
      log("warn", "Settlement shows the intent filled without a mined fill on record"),
      change({ ...delivered(intent, null), stage: "sweep", event: "fill.found_on_chain", release: true }),
    );
  }
  // The chain is the truth: the deposit is read again, at a confirmed block, before any fill is
  // sent (after a restart too), so one that a reorg or a lost node state took away is never paid.
  const deposited = held(f, depositOf(plan), "confirmed");
  if (isNeed(deposited)) return needs(deposited);
  if (deposited < plan.quote.fromAmountMin) {
    const reason = `the deposit is no longer at the deposit address (${deposited} of the ${plan.quote.fromAmountMin} the quote needs); waiting for it again`;
    return act(
      now,
      log("warn", reason),
      change({
        stage: "await_deposit",
        event: "deposit.vanished",
        statusReason: reason,
        data: { balance: deposited.toString() },
      }),
    );
  }
  const reverted = revertedCount(f.txs, "fill", intent.retriedAt);
  if (reverted >= MAX_REVERTED) return act(now, toRefund(`the fill reverted ${reverted} times`));
  if (f.inventory < plan.quote.toAmount) {
    return act(now, toRefund("the solver's inventory cannot cover the fill"));
  }
  const simulation = f.simulations[plannedTxKey({ kind: "fill" })];
  if (!simulation) return needs({ fact: "simulation", tx: { kind: "fill" } });
  if (!simulation.ok) return act(now, toRefund(`the fill cannot be made: ${simulation.reason}`));
  return act(later(now, TX_POLL_MS), send({ kind: "fill" }, simulation.gas, f));
}

function sweep(f: IntentFacts): Step {
  const { now, intent } = f;
  const { plan } = intent;
  const last = latestTx(f.txs, "sweep");
  if (last) {
    const outcome = outcomeOf(f, last);
    if (!outcome) return needs({ fact: "track", tx: last });
    if (outcome.status === "pending") return act(later(now, TX_POLL_MS));
    if (outcome.status === "mined") {
      const swept = { stage: "watch" as const, event: "sweep.mined", data: { hash: last.hash } };
      // Delivered, as its status says (set when the fill was mined): the sweep was all that was left
      // but a last look at the address (now, in watch), for a stray asset that came while filling
      // or sweeping, or was held back beside a native-coin deposit.
      if (wasDelivered(intent)) return act(now, change(swept));
      // Filled before the status moved at the fill (a row from an earlier version): it moves now.
      if (canTransition(intent.status, "succeed")) {
        return act(now, change({ ...swept, ...delivered(intent, intent.destinationCallSucceeded) }));
      }
      // Only an intent the database lost track of gets here (a fill found on chain after it
      // ended): the user was paid and the solver reimbursed, but its status cannot say so.
      const reason = `swept an intent that is ${intent.status}; operator attention needed`;
      return act(null, log("error", reason), change(swept), { type: "park", reason });
    }
  }
  const reverted = revertedCount(f.txs, "sweep", intent.retriedAt);
  if (reverted >= MAX_REVERTED) {
    const reason = `sweep reverted ${reverted} times; operator attention needed`;
    return act(
      null,
      log("error", "the sweep keeps reverting; the deposit stays at its address for an operator"),
      change({ statusReason: reason }),
      { type: "park", reason },
    );
  }
  const balance = held(f, depositOf(plan), "confirmed");
  if (isNeed(balance)) return needs(balance);
  const settlement = settleDeposit(plan.quote, balance);
  if (!settlement.fill) {
    return act(
      null,
      log("error", "filled, but the deposit is gone"),
      fail(`filled, but the deposit is gone (balance ${balance})`),
    );
  }
  const tx: PlannedTx = { kind: "sweep", amount: settlement.keep };
  const simulation = f.simulations[plannedTxKey(tx)];
  if (!simulation) return needs({ fact: "simulation", tx });
  if (!simulation.ok) return act(null, fail(`the sweep would revert: ${simulation.reason}`));
  return act(later(now, TX_POLL_MS), send(tx, simulation.gas, f));
}

function refund(f: IntentFacts): Step {
  const { now, intent } = f;
  const { plan } = intent;
  // A fill on its way decides whether this is a refund at all: wait for it.
  const fill = f.txs.find((t) => t.kind === "fill" && t.status === "pending");
  if (fill) {
    const outcome = outcomeOf(f, fill);
    if (!outcome) return needs({ fact: "track", tx: fill });
    if (outcome.status === "pending") return act(later(now, TX_POLL_MS));
  }
  const swept = f.txs.some((t) => t.kind === "sweep" && t.status === "mined");
  if (!swept) {
    if (f.filledOnChain === undefined) return needs({ fact: "filledOnChain" });
    if (f.filledOnChain) {
      // Delivered already (a fill this database lost track of, or raced): the deposit pays for it.
      return act(
        now,
        log("error", "refund refused: the intent is filled on chain; sweeping instead"),
        change({ stage: "sweep", event: "refund.refused_filled" }),
      );
    }
  }
  const deposit = depositOf(plan);
  const last = latestTx(f.txs, "refund", deposit);
  const latest = held(f, deposit, "latest");
  if (last && last.status !== "reverted") {
    const outcome = outcomeOf(f, last);
    if (!outcome) return needs({ fact: "track", tx: last });
    if (outcome.status === "pending") return act(later(now, TX_POLL_MS));
    if (outcome.status === "mined") {
      if (isNeed(latest)) return needs(latest);
      // What is there now came after that refund: it goes back too, by a refund of its own. Once
      // it is back, a last look at the address (now, in watch) returns a stray held back beside it.
      if (latest === 0n) return act(now, change(refunded(intent, last.hash)));
    }
  }
  const reverted = revertedCount(f.txs, "refund", intent.retriedAt, deposit);
  if (reverted >= MAX_REVERTED) {
    const reason = `the refund reverted ${reverted} times; operator attention needed`;
    return act(null, log("error", "the refund keeps reverting"), { type: "park", reason });
  }
  if (isNeed(latest)) return needs(latest);
  if (latest === 0n) return act(null, change(nothingToRefund(f, last)));
  return sendReturn(f, deposit, later(now, TX_POLL_MS));
}

/** The deposit is back with the owner: REFUNDED, or for an intent that had already ended, an event. */
function refunded(intent: IntentState, hash: string): IntentChange {
  return canTransition(intent.status, "refund")
    ? {
        transition: "refund",
        stage: "watch",
        data: { hash, reason: intent.statusReason ?? "refunded" },
        release: true,
      }
    : { stage: "watch", event: "refund.late_deposit", data: { hash }, release: true };
}

/**
 * A refund was decided but nothing is at the address (a deposit a reorg removed): back to watching
 * for one; an intent that was executing on it has lost its deposit.
 */
function nothingToRefund(f: IntentFacts, last: TxRecord | undefined): IntentChange {
  if (last?.status === "mined") return refunded(f.intent, last.hash);
  return f.intent.status === "EXECUTING"
    ? {
        transition: "failDeposit",
        stage: "watch",
        statusReason: "the deposit is no longer at the deposit address; nothing to return",
        release: true,
      }
    : { stage: "watch", release: true };
}

/** Quoted (not committed) or finished: only a deposit makes work, a refund or a revival. */
function watch(f: IntentFacts): Step {
  const { now, intent } = f;
  const { plan } = intent;
  if (intent.stage === "quoted" && intent.status === "QUOTED" && now < intent.quoteExpiresAt) {
    // It may yet be committed; a deposit made before that is kept for it until the quote expires.
    return act(intent.quoteExpiresAt);
  }
  const balance = held(f, depositOf(plan), "confirmed");
  if (isNeed(balance)) return needs(balance);
  if (balance === 0n) return act(null);
  const filled = f.txs.some((t) => t.kind === "fill" && t.status !== "dropped");
  const relayFailed = f.txs.some(
    (t) => t.kind === "deposit" && (t.status === "reverted" || t.status === "dropped"),
  );
  const late = lateDepositAction({
    revivable: plan.revivable === true,
    relayFailed,
    status: intent.status,
    filled,
  });
  // A relayed deposit brings the whole signed amount: less is someone's dust, returned, never a
  // reason to revive (and hold inventory for) an intent that failed.
  if (late === "revive" && !(relayFailed && balance < plan.quote.fromAmountMin)) {
    if (f.availableInventory === undefined) return needs({ fact: "availableInventory" });
    const reason = relayFailed
      ? "the owner's gasless deposit was made after its first relay failed"
      : "a deposit arrived after the deadline";
    if (plan.quote.toAmount <= f.availableInventory) return act(now, { type: "revive", reason });
  }
  const when =
    intent.status === "SUCCEEDED" || intent.status === "FAILED"
      ? "arrived after the intent finished"
      : `arrived for an intent that is ${intent.status}`;
  return act(
    now,
    change({
      stage: "refund",
      statusReason: `a deposit of ${balance} ${when}`,
      event: "refund.decided",
      data: { balance: balance.toString() },
    }),
  );
}

/**
 * Anything other than the intent's token on its origin chain that reached the deposit address (a
 * wrong token, native coin, a deposit on another chain) goes back to the owner, without a status
 * change; `inFlight` while such a return is on its way; `failed`, a return that would revert, to
 * fail the step with once its own effects are applied.
 */
function strays(
  f: IntentFacts,
): { need: IntentNeed[] } | { effects: IntentEffect[]; inFlight: boolean; failed: IntentEffect[] } {
  if (f.strays === undefined) return { need: [{ fact: "strays" }] };
  const keep = keepsNativeDeposit(f);
  if (typeof keep !== "boolean") return { need: [keep] };
  const need: IntentNeed[] = [];
  const effects: IntentEffect[] = [];
  const failed: IntentEffect[] = [];
  let inFlight = false;
  const watching = f.intent.stage === "watch" || f.intent.stage === "quoted";
  for (const stray of f.strays) {
    const returning = returnInFlight(f, stray);
    if (returning && "fact" in returning) {
      need.push(returning);
      continue;
    }
    if (returning?.status === "pending") {
      inFlight = true;
      continue;
    }
    const balance = held(f, stray, "latest");
    if (isNeed(balance)) {
      need.push(balance);
      continue;
    }
    if (balance === 0n || (keep && stray.chainId === f.intent.plan.from.chainId)) continue;
    const step = sendReturn(f, stray, null);
    if ("need" in step) need.push(...step.need);
    else if (step.effects.some((e) => e.type === "send")) {
      effects.push(...step.effects);
      inFlight = true;
    } else if (watching) {
      // A return that would revert (a token that refuses the transfer, an owner it blocks): once
      // the intent only watches, nothing else would bring it back, so the step fails (after the
      // intent's own effects), is retried after a backoff and at last parked for an operator.
      // Before that, the intent's own work goes on.
      failed.push(...step.effects);
    }
  }
  return need.length > 0 ? { need } : { effects, inFlight, failed };
}

const steps: Record<Stage, (f: IntentFacts) => Step> = {
  quoted: watch,
  await_deposit: awaitDeposit,
  fill,
  sweep,
  refund,
  watch,
};

/**
 * Returning anything from a deposit address also pays the owner every native coin there (the
 * sweeper's self-destruct). For a native-coin intent that coin is its own deposit: returning a
 * stray token while the deposit may still be filled would pay the user twice, on both chains.
 */
const nativeIntent = (plan: IntentPlan) => plan.from.native;

/**
 * Whether a stray's return on the origin chain must wait: the intent is native-coin and its
 * deposit is there. Even in the refund stage: that refund may yet be refused for a fill in flight
 * or found on chain, and the deposit's own refund returns it anyway.
 */
function keepsNativeDeposit(f: IntentFacts): boolean | IntentNeed {
  const { plan } = f.intent;
  if (!nativeIntent(plan)) return false;
  const own = held(f, depositOf(plan), "latest");
  return isNeed(own) ? own : own > 0n;
}

/**
 * A return under way on the origin chain that will take the deposit with it: a refund of the
 * intent's own token (it returns everything there, a short deposit's return included), or for a
 * native-coin intent a return of anything (see `nativeIntent`). A deposit completed meanwhile
 * must not be counted, nor filled, until that return is mined: the deposit is then read again.
 */
function depositTakenByReturn(f: IntentFacts): boolean | IntentNeed {
  const { plan } = f.intent;
  for (const tx of f.txs) {
    if (tx.kind !== "refund" || tx.status !== "pending" || tx.chainId !== plan.from.chainId) continue;
    const own = tx.asset?.toLowerCase() === plan.from.address.toLowerCase();
    if (!own && !nativeIntent(plan)) continue;
    const outcome = outcomeOf(f, tx);
    if (!outcome) return { fact: "track", tx };
    if (outcome.status === "pending") return true;
  }
  return false;
}

/**
 * The intent's next action: the current stage's step, after returning any stray asset (in every
 * stage but fill and sweep, which must not be delayed). `need` lists the facts still missing.
 */
export function decideIntent(f: IntentFacts): IntentDecision {
  const { stage } = f.intent;
  const stray =
    stage === "fill" || stage === "sweep" ? { effects: [], inFlight: false, failed: [] } : strays(f);
  const beforeFill = stage === "await_deposit" || (stage === "fill" && !latestTx(f.txs, "fill"));
  const taking = beforeFill ? depositTakenByReturn(f) : false;
  if (taking !== false)
    return taking === true ? { effects: [], next: later(f.now, TX_POLL_MS) } : { need: [taking] };
  const step = steps[stage](f);
  const need = [...("need" in stray ? stray.need : []), ...("need" in step ? step.need : [])];
  if (need.length > 0 || "need" in stray || "need" in step) return { need };
  return {
    effects: [...stray.effects, ...step.effects, ...stray.failed],
    next: stray.inFlight ? earliest(step.next, later(f.now, TX_POLL_MS)) : step.next,
  };
}
