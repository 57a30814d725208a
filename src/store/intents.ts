import { type Selectable, sql, type Transaction } from "kysely";
import { applyTransition, type IntentStatus, type TransitionName } from "../core/intent-status.ts";
import { fromJson, toJsonText } from "../core/json.ts";
import type { IntentPlan } from "../core/plan.ts";
import type { Db } from "./database.ts";
import type { IntentsTable, Schema } from "./schema.ts";

export type IntentRow = Selectable<IntentsTable>;

/** Where the engine is with an intent; the public status says where the user is. */
export type Stage =
  /** Quoted, not committed: nothing to do unless a deposit turns up. */
  | "quoted"
  /** Committed: waiting for a sufficient, confirmed deposit or the commit deadline. */
  | "await_deposit"
  /** Deliver on the destination chain. */
  | "fill"
  /** Take the deposit into Settlement (excess back to the owner in the same transaction). */
  | "sweep"
  /** Return the deposit to the owner on the origin chain. */
  | "refund"
  /** Finished; woken only if something more arrives at the deposit address. */
  | "watch";

export const planOf = (row: IntentRow): IntentPlan => fromJson<IntentPlan>(row.plan);

type Executor = Db | Transaction<Schema>;

export async function insertQuotedIntent(db: Executor, plan: IntentPlan, now: Date): Promise<void> {
  const q = plan.quote;
  await db
    .insertInto("intents")
    .values({
      id: plan.intentId,
      status: "QUOTED",
      stage: "quoted",
      status_reason: null,
      owner: plan.owner,
      trade_type: plan.tradeType,
      origin_chain_id: plan.from.chainId,
      origin_token: plan.from.address,
      deposit_address: plan.depositAddress,
      destination_chain_id: plan.to.chainId,
      destination_token: plan.to.address,
      recipient: plan.recipient,
      from_amount: q.fromAmount.toString(),
      from_amount_min: q.fromAmountMin.toString(),
      to_amount: q.toAmount.toString(),
      to_amount_min: q.toAmountMin.toString(),
      plan: toJsonText(plan),
      quote_expires_at: new Date(plan.expiresAt),
      commit_expires_at: null,
      deposit_tx_hash: null,
      next_action_at: null,
      lease_owner: null,
      lease_until: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

export function findIntent(db: Executor, id: string): Promise<IntentRow | undefined> {
  return db.selectFrom("intents").selectAll().where("id", "=", id).executeTakeFirst();
}

export function findIntentByDepositAddress(db: Executor, address: string): Promise<IntentRow | undefined> {
  return db.selectFrom("intents").selectAll().where("deposit_address", "=", address).executeTakeFirst();
}

export function lockIntent(trx: Transaction<Schema>, id: string): Promise<IntentRow | undefined> {
  return trx.selectFrom("intents").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export interface IntentPatch {
  stage?: Stage;
  status_reason?: string | null;
  reserved?: boolean;
  commit_expires_at?: Date | null;
  deposit_tx_hash?: string | null;
  next_action_at?: Date | null;
}

export async function appendEvent(
  db: Executor,
  intentId: string,
  type: string,
  status: IntentStatus,
  data: Record<string, unknown>,
  at: Date,
): Promise<void> {
  await db
    .insertInto("intent_events")
    .values({ intent_id: intentId, type, status, data: toJsonText(data), at })
    .execute();
}

/**
 * Moves a locked intent along the transition table (core/intent-status.ts) and records the event
 * in the same database transaction; a pair the table does not allow throws `wrong_status`.
 */
export async function transitionIntent(
  trx: Transaction<Schema>,
  row: IntentRow,
  name: TransitionName,
  patch: IntentPatch,
  data: Record<string, unknown>,
  now: Date,
): Promise<IntentRow> {
  const { to, event } = applyTransition(row.status as IntentStatus, name);
  const updated = await trx
    .updateTable("intents")
    .set({ ...patch, status: to, updated_at: now })
    .where("id", "=", row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEvent(trx, row.id, event, to, { from: row.status, ...data }, now);
  return updated;
}

/** Changes engine bookkeeping without a status change. */
export function patchIntent(db: Executor, id: string, patch: IntentPatch, now: Date) {
  return db
    .updateTable("intents")
    .set({ ...patch, updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Makes due the intents that wait on a new block of `chainId`: those with a transaction in flight
 * there, and committed ones whose deposit was seen there but not yet confirmed. Returns how many.
 */
export async function wakeBlockWaiters(db: Executor, chainId: number, now: Date): Promise<number> {
  const result = await db
    .updateTable("intents")
    .set({ next_action_at: now })
    .where((eb) => eb.or([eb("next_action_at", "is", null), eb("next_action_at", ">", now)]))
    .where((eb) =>
      eb.or([
        eb(
          "id",
          "in",
          eb
            .selectFrom("chain_txs")
            .select("intent_id")
            .where("chain_id", "=", chainId)
            .where("status", "=", "pending"),
        ),
        eb.and([
          eb("stage", "=", "await_deposit"),
          eb("origin_chain_id", "=", chainId),
          eb.exists(
            eb.selectFrom("deposits").select("deposits.id").whereRef("deposits.intent_id", "=", "intents.id"),
          ),
        ]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The sum of destination amounts reserved by committed, unfilled intents. */
export async function reservedAmount(db: Executor, chainId: number, token: string): Promise<bigint> {
  const row = await sql<{ total: string | null }>`
    select sum(to_amount::numeric)::text as total from intents
    where reserved and destination_chain_id = ${chainId} and destination_token = ${token}`.execute(db);
  return BigInt(row.rows[0]?.total ?? "0");
}

/** Serializes commits and releases against one (chain, token) inventory, until the transaction ends. */
export async function lockInventory(trx: Transaction<Schema>, chainId: number, token: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`inventory:${chainId}:${token.toLowerCase()}`}))`.execute(
    trx,
  );
}

export function intentEvents(db: Executor, id: string) {
  return db.selectFrom("intent_events").selectAll().where("intent_id", "=", id).orderBy("id").execute();
}
