import type { Selectable, Transaction } from "kysely";
import { type ExecutionPlan, executionModeOf } from "../core/connect/plan.ts";
import { fromJson, toJsonText } from "../core/json.ts";
import type { Db } from "./database.ts";
import { newQueueColumns, wakeable } from "./queue.ts";
import type { ExecutionsTable, Schema } from "./schema.ts";

export type ExecutionRow = Selectable<ExecutionsTable>;
type Executor = Db | Transaction<Schema>;

export const executionPlanOf = (row: Pick<ExecutionRow, "plan">): ExecutionPlan =>
  fromJson<ExecutionPlan>(row.plan);

/** What an execution's change may set besides its status. */
export interface ExecutionPatch {
  status_reason?: string | null;
  signature?: string | null;
  public_key?: string | null;
  signed_at?: Date | null;
  deleted_at?: Date | null;
  next_action_at?: Date | null;
}

/** PostgreSQL's unique_violation: here, a second live execution for one intermediary and chain. */
export const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === "23505";

export async function insertExecution(
  trx: Transaction<Schema>,
  plan: ExecutionPlan,
  now: Date,
): Promise<void> {
  const deadline = new Date(plan.deadline);
  await trx
    .insertInto("executions")
    .values({
      id: plan.id,
      wallet: plan.wallet.id,
      wallet_type: plan.wallet.type,
      identity: plan.identity,
      intermediary: plan.intermediary,
      mode: executionModeOf(plan.direction),
      direction: plan.direction,
      chain_id: plan.chainId,
      intent_id: plan.quote?.intentId ?? null,
      status: "CREATED",
      status_reason: null,
      plan: toJsonText(plan),
      signature: null,
      public_key: null,
      signed_at: null,
      deadline,
      deleted_at: null,
      // The first look is at the deadline: an unsigned execution expires then.
      ...newQueueColumns(deadline, now),
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
  return trx.selectFrom("executions").selectAll().where("id", "=", id).forNoKeyUpdate().executeTakeFirst();
}

/** The wallet's executions, newest first, optionally only these ids and statuses. */
export function listExecutions(
  db: Executor,
  wallet: string,
  filter: { ids?: readonly string[]; statuses?: readonly string[]; createdBy?: string },
  limit: number,
): Promise<ExecutionRow[]> {
  let q = db
    .selectFrom("executions")
    .selectAll()
    .where("wallet", "=", wallet)
    .where("deleted_at", "is", null);
  if (filter.ids?.length) q = q.where("id", "in", filter.ids);
  // An execution is created with the key that quoted its intent; a steps-only one has no key.
  const createdBy = filter.createdBy;
  if (createdBy !== undefined) {
    q = q.where("id", "in", (eb) =>
      eb
        .selectFrom("intents")
        .select("execution_id")
        .where("quoted_by", "=", createdBy)
        .where("execution_id", "is not", null)
        .$narrowType<{ execution_id: string }>(),
    );
  }
  if (filter.statuses?.length) q = q.where("status", "in", filter.statuses);
  return q.orderBy("seq", "desc").limit(limit).execute();
}

/** Every wallet's newest executions (the operator's explorer list), deleted ones left out. */
export function latestExecutions(db: Executor, limit: number) {
  return db
    .selectFrom("executions")
    .select(["id", "status", "wallet", "wallet_type", "chain_id", "created_at"])
    .where("deleted_at", "is", null)
    .orderBy("seq", "desc")
    .limit(limit)
    .execute();
}

export function updateExecution(
  trx: Transaction<Schema>,
  id: string,
  set: ExecutionPatch & { status?: string },
  now: Date,
): Promise<ExecutionRow> {
  return trx
    .updateTable("executions")
    .set({ ...set, updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Makes an execution due now (its intent changed); whether it was waiting to be. */
export async function wakeExecution(trx: Transaction<Schema>, id: string, now: Date): Promise<boolean> {
  const result = await trx
    .updateTable("executions")
    .set({ next_action_at: now })
    .where("id", "=", id)
    .where("deleted_at", "is", null)
    .where(wakeable(now))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Makes due the executions with a transaction in flight on `chainId`: a new block may have mined it. */
export async function wakeExecutionBlockWaiters(db: Executor, chainId: number, now: Date): Promise<number> {
  // Locked in id order, as every statement that locks several executions does (see `wake`).
  const waiting = db
    .selectFrom("executions")
    .select("id")
    .where(wakeable(now))
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
    .orderBy("id")
    .forNoKeyUpdate();
  const result = await db
    .updateTable("executions")
    .set({ next_action_at: now })
    .where("id", "in", waiting)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
