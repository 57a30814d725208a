import type { Selectable, Transaction } from "kysely";
import {
  applyExecutionTransition,
  type ExecutionStatus,
  type ExecutionTransition,
} from "../core/connect/execution-status.ts";
import { toJsonText } from "../core/json.ts";
import type { Db } from "./database.ts";
import type { ExecutionsTable, Schema } from "./schema.ts";

export type ExecutionRow = Selectable<ExecutionsTable>;
type Executor = Db | Transaction<Schema>;

export interface NewExecution {
  id: string;
  wallet: string;
  walletType: string;
  identity: string;
  intermediary: string;
  mode: string;
  direction: string;
  chainId: number;
  intentId: string | null;
  plan: unknown;
  deadline: Date;
}

/** PostgreSQL's unique_violation: here, a second live execution for one intermediary and chain. */
export const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === "23505";

export async function insertExecution(db: Executor, x: NewExecution, now: Date): Promise<void> {
  await db
    .insertInto("executions")
    .values({
      id: x.id,
      wallet: x.wallet,
      wallet_type: x.walletType,
      identity: x.identity,
      intermediary: x.intermediary,
      mode: x.mode,
      direction: x.direction,
      chain_id: x.chainId,
      intent_id: x.intentId,
      status: "CREATED",
      status_reason: null,
      plan: toJsonText(x.plan),
      signature: null,
      public_key: null,
      signed_at: null,
      deadline: x.deadline,
      deleted_at: null,
      // The first look is at the deadline: an unsigned execution expires then.
      next_action_at: x.deadline,
      lease_owner: null,
      lease_until: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/** An execution of `wallet` that has not been deleted. */
export function findExecution(db: Executor, wallet: string, id: string): Promise<ExecutionRow | undefined> {
  return db
    .selectFrom("executions")
    .selectAll()
    .where("id", "=", id)
    .where("wallet", "=", wallet)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
}

/** An execution by id alone (the runner's view: deleted ones included). */
export function executionById(db: Executor, id: string): Promise<ExecutionRow | undefined> {
  return db.selectFrom("executions").selectAll().where("id", "=", id).executeTakeFirst();
}

export function lockExecution(trx: Transaction<Schema>, id: string): Promise<ExecutionRow | undefined> {
  return trx.selectFrom("executions").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export function executionOfIntent(db: Executor, intentId: string): Promise<ExecutionRow | undefined> {
  return db.selectFrom("executions").selectAll().where("intent_id", "=", intentId).executeTakeFirst();
}

/** The wallet's executions, newest first, optionally only these ids and statuses. */
export function listExecutions(
  db: Executor,
  wallet: string,
  filter: { ids?: readonly string[]; statuses?: readonly string[] },
  limit: number,
): Promise<ExecutionRow[]> {
  let q = db
    .selectFrom("executions")
    .selectAll()
    .where("wallet", "=", wallet)
    .where("deleted_at", "is", null);
  if (filter.ids?.length) q = q.where("id", "in", filter.ids);
  if (filter.statuses?.length) q = q.where("status", "in", filter.statuses);
  return q.orderBy("seq", "desc").limit(limit).execute();
}

export interface ExecutionPatch {
  status_reason?: string | null;
  signature?: string | null;
  public_key?: string | null;
  signed_at?: Date | null;
  deleted_at?: Date | null;
  next_action_at?: Date | null;
}

export async function appendExecutionEvent(
  db: Executor,
  id: string,
  type: string,
  status: string,
  data: Record<string, unknown>,
  at: Date,
): Promise<void> {
  await db
    .insertInto("execution_events")
    .values({ execution_id: id, type, status, data: toJsonText(data), at })
    .execute();
}

/**
 * Moves a locked execution along its transition table (core/connect/execution-status.ts) and
 * records the event in the same database transaction.
 */
export async function transitionExecution(
  trx: Transaction<Schema>,
  row: ExecutionRow,
  name: ExecutionTransition,
  patch: ExecutionPatch,
  data: Record<string, unknown>,
  now: Date,
): Promise<ExecutionRow> {
  const { to, event } = applyExecutionTransition(row.status as ExecutionStatus, name);
  const updated = await trx
    .updateTable("executions")
    .set({ ...patch, status: to, updated_at: now })
    .where("id", "=", row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendExecutionEvent(trx, row.id, event, to, { from: row.status, ...data }, now);
  return updated;
}

export function patchExecution(db: Executor, id: string, patch: ExecutionPatch, now: Date) {
  return db
    .updateTable("executions")
    .set({ ...patch, updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Makes the execution built on `intentId` due now (its intent changed); whether there was one to wake. */
export async function wakeExecutionOfIntent(db: Executor, intentId: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable("executions")
    .set({ next_action_at: now })
    .where("intent_id", "=", intentId)
    .where((eb) => eb.or([eb("next_action_at", "is", null), eb("next_action_at", ">", now)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Makes due the executions with a transaction in flight on `chainId`: a new block may have mined it. */
export async function wakeExecutionBlockWaiters(db: Executor, chainId: number, now: Date): Promise<number> {
  const result = await db
    .updateTable("executions")
    .set({ next_action_at: now })
    .where((eb) => eb.or([eb("next_action_at", "is", null), eb("next_action_at", ">", now)]))
    .where(
      "id",
      "in",
      db
        .selectFrom("chain_txs")
        .select("execution_id")
        .where("chain_id", "=", chainId)
        .where("status", "=", "pending")
        .where("execution_id", "is not", null)
        .$narrowType<{ execution_id: string }>(),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
