import { type Selectable, type SelectQueryBuilder, sql, type Transaction } from "kysely";
import { jsonArrayFrom } from "kysely/helpers/postgres";
import type { Address, Hex } from "viem";
import type { IntentPlan } from "../core/intent/plan.ts";
import { type RetainedQuote, retiredPlan } from "../core/intent/retirement.ts";
import { fromJson, toJsonText } from "../core/json.ts";
import type { ListingScope } from "../core/listing.ts";
import type { TradeType } from "../core/quote.ts";
import type { Db } from "./database.ts";
import { newQueueColumns, wakeable } from "./queue.ts";
import type { IntentsTable, Schema } from "./schema.ts";

export type IntentRow = Selectable<IntentsTable>;
type Executor = Db | Transaction<Schema>;

/** The intent's plan: as quoted, or for a retired quote, rebuilt from the columns it kept. */
export const planOf = (row: IntentRow): IntentPlan =>
  isRetired(row) ? retiredPlan(retainedOf(row)) : fromJson<IntentPlan>(row.plan);

/** An unused quote past its retention, whose plan was dropped: no client sees it any more. */
export const isRetired = (row: Pick<IntentRow, "plan">): boolean => row.plan === null;

const retainedOf = (row: IntentRow): RetainedQuote => ({
  intentId: row.id as Hex,
  owner: row.owner as Address,
  tradeType: row.trade_type as TradeType,
  originChainId: row.origin_chain_id,
  originToken: row.origin_token as Address,
  depositAddress: row.deposit_address as Address,
  destinationChainId: row.destination_chain_id,
  destinationToken: row.destination_token as Address,
  recipient: row.recipient as Address,
  fromAmount: BigInt(row.from_amount),
  fromAmountMin: BigInt(row.from_amount_min),
  toAmount: BigInt(row.to_amount),
  toAmountMin: BigInt(row.to_amount_min),
  createdAt: row.created_at,
  quoteExpiresAt: row.quote_expires_at,
});

/** Engine bookkeeping an intent's change may set besides its status. */
export interface IntentPatch {
  stage?: string;
  status_reason?: string | null;
  reserved?: boolean;
  commit_expires_at?: Date | null;
  deposit_tx_hash?: string | null;
  destination_call_succeeded?: boolean | null;
  next_action_at?: Date | null;
}

/** The row of a newly quoted intent, with the execution built on it and the key that quoted it. */
export function quotedIntentRow(
  plan: IntentPlan,
  now: Date,
  by: { executionId?: string; quotedBy?: string } = {},
) {
  const q = plan.quote;
  return {
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
    destination_call_succeeded: null,
    execution_id: by.executionId ?? null,
    quoted_by: by.quotedBy ?? null,
    ...newQueueColumns(null, now),
  };
}

export async function insertQuotedIntent(
  db: Executor,
  plan: IntentPlan,
  now: Date,
  by: { executionId?: string; quotedBy?: string } = {},
): Promise<void> {
  await db
    .insertInto("intents")
    .values(quotedIntentRow(plan, now, by))
    .execute();
}

export function findIntent(db: Executor, id: string): Promise<IntentRow | undefined> {
  return db.selectFrom("intents").selectAll().where("id", "=", id).executeTakeFirst();
}

/** An intent with what its view shows of its transactions and deposits, each oldest first. */
export interface IntentWithRecords {
  row: IntentRow;
  txs: {
    kind: string;
    chain_id: number;
    status: string;
    hash: string;
    asset: string | null;
    /** Int8 as text, as every int8 is read. */
    block_number: string | null;
    detail: Record<string, unknown> | null;
  }[];
  deposits: { chain_id: number; token: string; from_address: string; amount: string; tx_hash: string }[];
}

/**
 * The intent `id` with its transactions and deposits, in one statement: a receipt is rendered
 * from them, and long-polls and streams render one at every change of the intent.
 */
export async function findIntentWithRecords(
  db: Executor,
  id: string,
): Promise<IntentWithRecords | undefined> {
  const found = await db
    .selectFrom("intents")
    .selectAll("intents")
    .select((eb) => [
      jsonArrayFrom(
        eb
          .selectFrom("chain_txs")
          .select(["kind", "chain_id", "status", "hash", "asset", "detail"])
          .select(sql<string | null>`block_number::text`.as("block_number"))
          .whereRef("chain_txs.intent_id", "=", "intents.id")
          .orderBy("chain_txs.id"),
      ).as("txs"),
      jsonArrayFrom(
        eb
          .selectFrom("deposits")
          .select(["chain_id", "token", "from_address", "amount", "tx_hash"])
          .whereRef("deposits.intent_id", "=", "intents.id")
          .orderBy("deposits.id"),
      ).as("deposits"),
    ])
    .where("intents.id", "=", id)
    .executeTakeFirst();
  if (!found) return undefined;
  const { txs, deposits, ...row } = found;
  return { row, txs: txs as IntentWithRecords["txs"], deposits };
}

export function findIntentByDepositAddress(db: Executor, address: string): Promise<IntentRow | undefined> {
  return db
    .selectFrom("intents")
    .selectAll()
    .where(sql`lower(deposit_address)`, "=", address.toLowerCase())
    .executeTakeFirst();
}

export function lockIntent(trx: Transaction<Schema>, id: string): Promise<IntentRow | undefined> {
  return trx.selectFrom("intents").selectAll().where("id", "=", id).forNoKeyUpdate().executeTakeFirst();
}

/** Columns no decision reads: changing only these does not make a decision stale. */
const bookkeeping: ReadonlySet<string> = new Set(["deposit_tx_hash", "next_action_at"]);

/** Whether a patch sets anything a decision could have depended on. */
export const patchCounts = (patch: IntentPatch) => Object.keys(patch).some((key) => !bookkeeping.has(key));

/**
 * Changes an intent (at `row.version`, when given). A change that `counts` (a status, a stage, a
 * transaction recorded: anything a decision could have depended on) counts in the intent's
 * version, and the engine refuses a change decided on an older version.
 */
export function updateIntent(
  trx: Transaction<Schema>,
  row: { id: string; version?: number },
  set: IntentPatch & { status?: string },
  now: Date,
  counts: boolean,
): Promise<IntentRow | undefined> {
  let update = trx
    .updateTable("intents")
    .set((eb) => ({ ...set, updated_at: now, version: counts ? eb("version", "+", 1) : eb.ref("version") }))
    .where("id", "=", row.id);
  // With a version: only if the intent is still at it (a compare-and-set, no lock taken before).
  if (row.version !== undefined) update = update.where("version", "=", row.version);
  return update.returningAll().executeTakeFirst();
}

/**
 * Makes due the intents that wait on the new blocks `from`..`to` of `chainId`: those with a
 * transaction in flight there, and those with a deposit there that was still short of
 * `confirmations` before these blocks (it may count now), whatever their stage: a late deposit to a
 * finished intent is refunded once it is confirmed. A scan that covers several blocks at once
 * wakes every deposit confirmed by any of them, not only by the last. Returns how many.
 */
export async function wakeBlockWaiters(
  db: Executor,
  chain: { chainId: number; from: bigint; to: bigint; confirmations: number },
  now: Date,
): Promise<number> {
  const { chainId } = chain;
  const firstUnsettled = chain.from - BigInt(chain.confirmations) + 1n;
  // Locked in id order, as every statement that locks several intents does (see `wake`).
  const waiting = db
    .selectFrom("intents")
    .select("id")
    .where(wakeable(now))
    .where((eb) =>
      eb.or([
        eb(
          "id",
          "in",
          eb
            .selectFrom("chain_txs")
            .select("intent_id")
            .where("chain_id", "=", chainId)
            .where("status", "=", "pending")
            .where("intent_id", "is not", null)
            .$narrowType<{ intent_id: string }>(),
        ),
        eb(
          "id",
          "in",
          eb
            .selectFrom("deposits")
            .select("intent_id")
            .where("chain_id", "=", chainId)
            .where("block_number", ">=", firstUnsettled.toString()),
        ),
      ]),
    )
    .orderBy("id")
    .forNoKeyUpdate();
  const result = await db
    .updateTable("intents")
    .set({ next_action_at: now })
    .where("id", "in", waiting)
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

/** What SearchIntents filters on; every filter given must match. */
export interface IntentSearch {
  id?: string;
  owner?: string;
  depositAddress?: string;
  destinationChainIds?: readonly number[];
  /** An intent id, deposit, or any of the engine's transactions for it (lowercase). */
  txHash?: string;
  /** An intent id, owner or deposit address (lowercase). */
  text?: string;
  /** Only what a restricted listing may show (checksummed owner). */
  scope?: ListingScope;
}

/**
 * Rows a listing scope lets through: all, or those quoted with its key or of its owner; never a
 * retired quote.
 */
function inScope(
  all: SelectQueryBuilder<Schema, "intents", IntentRow>,
  scope: ListingScope | undefined,
): SelectQueryBuilder<Schema, "intents", IntentRow> {
  const query = all.where("plan", "is not", null);
  if (scope === undefined || scope === "all") return query;
  const { createdBy, owner } = scope;
  return query.where((eb) =>
    eb.or([
      ...(createdBy !== null ? [eb("quoted_by", "=", createdBy)] : []),
      ...(owner !== null ? [eb("owner", "=", owner)] : []),
    ]),
  );
}

/** Intents matching `filter`, newest first. */
export function searchIntents(db: Db, filter: IntentSearch, limit: number): Promise<IntentRow[]> {
  let query = inScope(db.selectFrom("intents").selectAll(), filter.scope);
  if (filter.id) query = query.where("id", "=", filter.id);
  if (filter.owner) query = query.where("owner", "=", filter.owner);
  if (filter.depositAddress) {
    query = query.where(sql`lower(deposit_address)`, "=", filter.depositAddress.toLowerCase());
  }
  if (filter.destinationChainIds) {
    query = query.where("destination_chain_id", "in", [...filter.destinationChainIds, -1]);
  }
  const hash = filter.txHash;
  if (hash) {
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(deposit_tx_hash)`, "=", hash),
        eb("id", "=", hash),
        eb("id", "in", eb.selectFrom("deposits").select("intent_id").where(sql`lower(tx_hash)`, "=", hash)),
        eb(
          "id",
          "in",
          eb
            .selectFrom("chain_txs")
            .select("intent_id")
            .where(sql`lower(hash)`, "=", hash)
            .where("intent_id", "is not", null)
            .$narrowType<{ intent_id: string }>(),
        ),
      ]),
    );
  } else if (filter.text) {
    const text = filter.text;
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(id)`, "=", text),
        eb(sql`lower(owner)`, "=", text),
        eb(sql`lower(deposit_address)`, "=", text),
      ]),
    );
  }
  return query.orderBy("seq", "desc").limit(limit).execute();
}

/** A page of intents, newest first, before the sequence number `before` when given. */
export async function intentPage(
  db: Db,
  filter: { owner?: string; before?: number; scope?: ListingScope },
  size: number,
): Promise<{ rows: IntentRow[]; more: boolean }> {
  let query = inScope(db.selectFrom("intents").selectAll(), filter.scope);
  if (filter.owner) query = query.where("owner", "=", filter.owner);
  if (filter.before) query = query.where("seq", "<", String(filter.before));
  const rows = await query
    .orderBy("seq", "desc")
    .limit(size + 1)
    .execute();
  return { rows: rows.slice(0, size), more: rows.length > size };
}
