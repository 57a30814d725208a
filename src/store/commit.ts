import type { Transaction } from "kysely";
import {
  applyExecutionTransition,
  type ExecutionStatus,
  type ExecutionTransition,
} from "../core/connect/execution-status.ts";
import type { ExecutionPlan } from "../core/connect/plan.ts";
import type { IntentPlan } from "../core/intent/plan.ts";
import { moveStage, type Stage } from "../core/intent/stages.ts";
import { applyTransition, type IntentStatus, type TransitionName } from "../core/intent/status.ts";
import { type ChainTxRow, insertTxs, type NewTx, takeNonce } from "./chain-txs.ts";
import type { Db } from "./database.ts";
import { type NewDeposit, recordDeposits } from "./deposits.ts";
import { appendEvents, type CommittedEvent, insertQuotedIntentWithEvent, type NewEvent } from "./events.ts";
import {
  type ExecutionPatch,
  type ExecutionRow,
  insertExecution,
  lockExecution,
  updateExecution,
  wakeExecution,
  wakeExecutionBlockWaiters,
} from "./executions.ts";
import {
  type IntentPatch,
  type IntentRow,
  insertQuotedIntent,
  lockIntent,
  lockInventory,
  patchCounts,
  reservedAmount,
  updateIntent,
  wakeBlockWaiters,
} from "./intents.ts";
import { noticeText, notifyCommit } from "./notifications.ts";
import { park, type QueueTable, recordFailure, unpark, wake } from "./queue.ts";
import type { Schema } from "./schema.ts";

/** A change to an intent: its transition, if any, and the rest. */
export type IntentChangeRequest = RowChange<IntentPatch> & { transition?: TransitionName };

/** What a commit tells the rest of the process, once it is durable. */
export interface Committed {
  /** The events it appended, in sequence order. */
  events: CommittedEvent[];
  /** Intents and executions it changed. */
  intents: ReadonlySet<string>;
  executions: ReadonlySet<string>;
  /** Queues with a row it made due now. */
  due: ReadonlySet<QueueTable>;
  /** Per queue, the earliest later time it set for a row to be looked at (a deadline, a poll). */
  dueLater: ReadonlyMap<QueueTable, Date>;
}

export type CommitListener = (committed: Committed) => void;

/**
 * A change to a locked row besides its status transitions: the columns it sets, and the event of
 * the caller's naming when no transition records one; `data` goes with the event either way.
 */
export interface RowChange<P> {
  event?: string;
  data?: Record<string, unknown>;
  patch?: P;
}

/**
 * The one commit point. Every change to an intent or an execution goes through `commit`: its
 * status transition, its event (numbered in commit order), the work it makes due. Only once the
 * database transaction has committed is the listener told, which wakes the runners and answers
 * long-polls; no caller wakes or notifies anything itself, and nothing is announced that did not
 * happen.
 *
 * Every transaction takes its locks in one order, so none waits on another in a circle: the
 * inventory (advisory, per destination chain and token), the intent (several: in id order), the
 * execution, the sender's nonce, and last the event log. Rows are locked as an update locks them
 * (FOR NO KEY UPDATE), never more: an event's foreign key to its intent takes a KEY SHARE lock on
 * the intent's row, and a stronger lock there would make a commit holding the event log wait.
 */
export class Store {
  /**
   * @param notify On PostgreSQL, where other processes share the database: the channel each commit
   * with events or due work is announced on (NOTIFY is sent at commit, and only if it commits), and
   * this process's id in the payload, so it can tell its own commits from others'.
   */
  constructor(
    readonly db: Db,
    private readonly listener: CommitListener,
    private readonly notify: CommitNotice | null = null,
  ) {}

  /**
   * A new QUOTED intent of its own (no execution built on it), with its `intent.quoted` event and
   * the notification to other processes: one statement, atomic by itself.
   */
  async insertIntent(plan: IntentPlan, now: Date, quotedBy: string | null): Promise<void> {
    const notice = this.notify
      ? { channel: this.notify.channel, text: noticeText({ from: this.notify.from, due: [] }) }
      : null;
    const event = await insertQuotedIntentWithEvent(this.db, plan, now, quotedBy, notice);
    this.listener({
      events: [event],
      intents: new Set([plan.intentId]),
      executions: new Set(),
      due: new Set(),
      dueLater: new Map(),
    });
  }

  async commit<T>(now: Date, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    let uow: UnitOfWork | null = null;
    const result = await this.db.transaction().execute(async (trx) => {
      uow = new UnitOfWork(trx, now);
      const value = await work(uow);
      await uow.finish(this.notify);
      return value;
    });
    // Assigned inside the transaction, which has run to completion here.
    const done = uow as unknown as UnitOfWork;
    this.listener(done.committed());
    return result;
  }
}

/** Where a commit is announced to other processes, and as whom. */
export interface CommitNotice {
  channel: string;
  from: string;
}

/** What a commit's NOTIFY says: who committed, and which queues it made due. */
export interface CommitNotification {
  from: string;
  due: QueueTable[];
}

/**
 * One database transaction's changes. Its methods lock, change and record; what they make due
 * and what events they append are announced after the commit.
 */
export class UnitOfWork {
  private readonly events: NewEvent[] = [];
  private readonly intents = new Set<string>();
  private readonly executions = new Set<string>();
  /** Executions built on a changed intent, woken in this transaction (they follow their intent). */
  private readonly followers = new Set<string>();
  private readonly due = new Set<QueueTable>();
  private readonly dueLater = new Map<QueueTable, Date>();
  private appended: CommittedEvent[] = [];

  constructor(
    readonly trx: Transaction<Schema>,
    readonly now: Date,
  ) {}

  private touched(table: QueueTable, id: string, next: Date | null | undefined): void {
    (table === "intents" ? this.intents : this.executions).add(id);
    if (next) this.dueAt(table, next);
  }

  /** A row of `table` is due at `at`: now, or at the earliest later time announced. */
  private dueAt(table: QueueTable, at: Date): void {
    if (at <= this.now) this.due.add(table);
    else if (at < (this.dueLater.get(table) ?? Number.POSITIVE_INFINITY)) this.dueLater.set(table, at);
  }

  /**
   * An intent changed. The execution built on it follows its status, reason and stage (delivered
   * is the fill mined, which moves the stage), so only such a change wakes it: an event alone (a
   * transaction sent) does not, and takes no lock on the execution.
   */
  private intentTouched(
    row: Pick<IntentRow, "id" | "execution_id">,
    next?: Date | null,
    followed = false,
  ): void {
    this.touched("intents", row.id, next);
    if (followed && row.execution_id) this.followers.add(row.execution_id);
  }

  // Intents

  /**
   * A new QUOTED intent and its `intent.quoted` event, with the key fingerprint that quoted it
   * (none for a steps-only execution's) and the execution built on it, if any.
   */
  async insertIntent(
    plan: IntentPlan,
    links: { executionId?: string; quotedBy: string | null },
  ): Promise<void> {
    await insertQuotedIntent(this.trx, plan, this.now, {
      ...(links.executionId ? { executionId: links.executionId } : {}),
      ...(links.quotedBy ? { quotedBy: links.quotedBy } : {}),
    });
    const row = { id: plan.intentId, status: "QUOTED", execution_id: links.executionId ?? null };
    this.intentEvent(row, "intent.quoted", links.executionId ? { executionId: links.executionId } : {});
  }

  lockIntent(id: string): Promise<IntentRow | undefined> {
    return lockIntent(this.trx, id);
  }

  /** Serializes reservations against one (chain, token) inventory until the transaction ends. */
  lockInventory(chainId: number, token: string): Promise<void> {
    return lockInventory(this.trx, chainId, token);
  }

  reservedAmount(chainId: number, token: string): Promise<bigint> {
    return reservedAmount(this.trx, chainId, token);
  }

  /**
   * Changes a locked intent: the transition (along the status table, recording its event), the
   * stage (along the stage table) and the rest of `patch`; `event`, if given, is recorded first.
   */
  async changeIntent(locked: IntentRow, change: IntentChangeRequest): Promise<IntentRow> {
    const row = await this.applyIntentChange(locked, change, false);
    if (!row) throw new Error(`intent ${locked.id} vanished`);
    return row;
  }

  /**
   * `changeIntent` on the intent as `seen` (not locked before), applied only if it is still at
   * that version: one statement that both checks and changes. Undefined when it has moved on.
   */
  changeIntentIfUnchanged(seen: IntentRow, change: IntentChangeRequest): Promise<IntentRow | undefined> {
    return this.applyIntentChange(seen, change, true);
  }

  private async applyIntentChange(
    base: IntentRow,
    change: IntentChangeRequest,
    atVersion: boolean,
  ): Promise<IntentRow | undefined> {
    const patch = change.patch ?? {};
    if (patch.stage !== undefined) moveStage(base.stage as Stage, patch.stage as Stage);
    const moved = change.transition ? applyTransition(base.status as IntentStatus, change.transition) : null;
    const counts = moved !== null || change.event !== undefined || patchCounts(patch);
    const row = await updateIntent(
      this.trx,
      atVersion ? base : { id: base.id },
      moved ? { ...patch, status: moved.to } : patch,
      this.now,
      counts,
    );
    if (!row) return undefined;
    const data = change.data ?? {};
    if (change.event) this.intentEvent(row, change.event, data);
    if (moved) this.intentEvent(row, moved.event, { from: base.status, ...data });
    const followed = moved !== null || patch.stage !== undefined || patch.status_reason !== undefined;
    this.intentTouched(row, patch.next_action_at, followed);
    return row;
  }

  /**
   * Counts a change of the intent as `seen` (a transaction about to be recorded for it), if it is
   * still at that version; undefined when it has moved on. Taken before the sender's nonce, so the
   * intent's lock comes first.
   */
  async bumpIntentIfUnchanged(seen: IntentRow): Promise<IntentRow | undefined> {
    const row = await updateIntent(this.trx, seen, {}, this.now, true);
    if (row) this.intentTouched(row);
    return row;
  }

  /** Records an event of the intent without changing its row (a transaction it sent). */
  intentEvent(
    row: Pick<IntentRow, "id" | "status" | "execution_id">,
    type: string,
    data: Record<string, unknown>,
  ): void {
    this.events.push({ intentId: row.id, executionId: null, type, status: row.status, data, at: this.now });
    this.intentTouched(row);
  }

  // Executions

  insertExecution(plan: ExecutionPlan): Promise<void> {
    this.touched("executions", plan.id, new Date(plan.deadline));
    return insertExecution(this.trx, plan, this.now);
  }

  lockExecution(id: string): Promise<ExecutionRow | undefined> {
    return lockExecution(this.trx, id);
  }

  /**
   * Changes a locked execution: `transitions` in order along its status table (each recording its
   * event), then `patch`; with no transition, `event` if given.
   */
  async changeExecution(
    locked: ExecutionRow,
    change: RowChange<ExecutionPatch> & { transitions: readonly ExecutionTransition[] },
  ): Promise<ExecutionRow> {
    let status = locked.status as ExecutionStatus;
    const events: NewEvent[] = [];
    for (const name of change.transitions) {
      const { to, event } = applyExecutionTransition(status, name);
      events.push({
        intentId: locked.intent_id,
        executionId: locked.id,
        type: event,
        status: to,
        data: { from: status, ...change.data },
        at: this.now,
      });
      status = to;
    }
    const patch = change.patch ?? {};
    const row = await updateExecution(
      this.trx,
      locked.id,
      events.length > 0 ? { ...patch, status } : patch,
      this.now,
    );
    if (events.length === 0 && change.event) {
      events.push({
        intentId: row.intent_id,
        executionId: row.id,
        type: change.event,
        status: row.status,
        data: change.data ?? {},
        at: this.now,
      });
    }
    this.events.push(...events);
    this.touched("executions", row.id, patch.next_action_at);
    return row;
  }

  // Transactions

  /**
   * Takes the sender's next nonce and keeps the signed transaction, one row for each of `txs` (all
   * one sender's on one chain; several: a batch's orders); broadcast only after the commit.
   */
  async recordTx(
    txs: readonly Omit<NewTx, "nonce" | "raw" | "hash" | "batched">[],
    chainNonce: number,
    sign: (nonce: bigint) => Promise<{ raw: string; hash: string }>,
  ): Promise<ChainTxRow[]> {
    const [first] = txs;
    if (!first) throw new Error("a transaction is for at least one intent or execution");
    const nonce = await takeNonce(this.trx, first.chainId, first.sender, chainNonce);
    const signed = await sign(nonce);
    const batched = txs.length > 1;
    return insertTxs(
      this.trx,
      txs.map((tx) => ({ ...tx, nonce, ...signed, batched })),
      this.now,
    );
  }

  // The queue

  /** Makes rows due now (unless sooner or backing off). */
  async wake(table: QueueTable, ids: readonly string[]): Promise<number> {
    const woken = await wake(this.trx, table, ids, this.now);
    if (woken > 0) this.due.add(table);
    return woken;
  }

  /**
   * Records transfers into deposit addresses (each once), with an `intent.deposit_detected` event
   * for each, and makes their intents due.
   */
  async recordDeposits(deposits: readonly NewDeposit[]): Promise<string[]> {
    const recorded = await recordDeposits(this.trx, deposits);
    for (const d of recorded) {
      this.intentEvent(
        { id: d.intent_id, status: d.status, execution_id: d.execution_id },
        "deposit.detected",
        {
          chainId: d.chain_id,
          hash: d.tx_hash,
          token: d.token,
          amount: d.amount,
          blockNumber: d.block_number,
        },
      );
    }
    const intents = [...new Set(recorded.map((d) => d.intent_id))];
    await this.wake("intents", intents);
    return intents;
  }

  /**
   * New blocks `from`..`to` on a chain: what waits on a new block there is due (a transaction in
   * flight, a deposit gathering confirmations).
   */
  async wakeBlockWaiters(chain: {
    chainId: number;
    from: bigint;
    to: bigint;
    confirmations: number;
  }): Promise<void> {
    if ((await wakeBlockWaiters(this.trx, chain, this.now)) > 0) this.due.add("intents");
    if ((await wakeExecutionBlockWaiters(this.trx, chain.chainId, this.now)) > 0) this.due.add("executions");
  }

  /** A decision asks for an operator: the row is parked with the reason. */
  async park(
    table: QueueTable,
    row: { id: string; status: string; intent_id?: string | null },
    reason: string,
  ) {
    await park(this.trx, table, row.id, reason, this.now);
    this.failureEvent(table, row, "parked", { reason });
  }

  /** A step threw: counts the attempt; `retryAt` null parks the row. Returns the attempts so far. */
  async recordFailure(
    table: QueueTable,
    row: { id: string; status: string; intent_id?: string | null },
    failure: { worker: string; error: string; retryAt: Date | null },
  ): Promise<number> {
    const attempts = await recordFailure(this.trx, table, { id: row.id, now: this.now, ...failure });
    if (attempts > 0 && failure.retryAt) this.dueAt(table, failure.retryAt);
    if (attempts > 0) {
      this.failureEvent(table, row, failure.retryAt ? "step_failed" : "parked", {
        attempts,
        error: failure.error,
        ...(failure.retryAt ? { retryAt: failure.retryAt.toISOString() } : {}),
      });
    }
    return attempts;
  }

  /** An operator's retry of parked rows (`ids`, or every one): returns the ids it resumed. */
  async retry(table: QueueTable, ids: readonly string[] | "all"): Promise<string[]> {
    const rows = await unpark(this.trx, table, ids, this.now);
    const intents = table === "executions" ? await this.intentsOfExecutions(rows.map((r) => r.id)) : null;
    for (const row of rows) {
      const intent_id = intents?.get(row.id) ?? null;
      this.failureEvent(table, { id: row.id, status: row.status, intent_id }, "retried", {});
    }
    if (rows.length > 0) this.due.add(table);
    return rows.map((r) => r.id);
  }

  private async intentsOfExecutions(ids: readonly string[]): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    const rows = await this.trx
      .selectFrom("executions")
      .select(["id", "intent_id"])
      .where("id", "in", ids)
      .execute();
    return new Map(rows.map((r) => [r.id, r.intent_id]));
  }

  private failureEvent(
    table: QueueTable,
    row: { id: string; status: string; intent_id?: string | null },
    what: string,
    data: Record<string, unknown>,
  ): void {
    const intent = table === "intents";
    this.events.push({
      intentId: intent ? row.id : (row.intent_id ?? null),
      executionId: intent ? null : row.id,
      type: `${intent ? "intent" : "execution"}.${what}`,
      status: row.status,
      data,
      at: this.now,
    });
    this.touched(table, row.id, null);
  }

  /**
   * Last statements of the transaction: wake the executions that follow a changed intent, append
   * the events, and tell other processes (`notice`) when there is news.
   */
  async finish(notice: CommitNotice | null): Promise<void> {
    for (const id of this.followers) {
      if (await wakeExecution(this.trx, id, this.now)) this.due.add("executions");
    }
    const payload: CommitNotification | null =
      notice && (this.events.length > 0 || this.due.size > 0)
        ? { from: notice.from, due: [...this.due] }
        : null;
    const notify = notice && payload ? { channel: notice.channel, text: noticeText(payload) } : null;
    this.appended = await appendEvents(this.trx, this.events, notify);
    if (notify && this.events.length === 0) await notifyCommit(this.trx, notify.channel, notify.text);
  }

  committed(): Committed {
    return {
      events: this.appended,
      intents: this.intents,
      executions: this.executions,
      due: this.due,
      dueLater: this.dueLater,
    };
  }
}
