import type { Selectable, Transaction } from "kysely";
import { toJsonText } from "../core/json.ts";
import type { TxKind, TxRecord, TxStatus } from "../core/tx.ts";
import type { Db } from "./database.ts";
import type { ChainTxsTable, Schema } from "./schema.ts";

export type ChainTxRow = Selectable<ChainTxsTable>;

type Executor = Db | Transaction<Schema>;

/** A signed transaction to keep before it is broadcast. */
export interface NewTx {
  /** The intent, or (an intermediary's steps) the execution, the transaction is for. */
  intentId: string | null;
  executionId: string | null;
  kind: TxKind;
  chainId: number;
  sender: string;
  nonce: bigint;
  asset: string | null;
  raw: string;
  hash: string;
  detail: object | null;
}

export const txRecordOf = (row: ChainTxRow): TxRecord => ({
  id: row.id,
  kind: row.kind as TxKind,
  chainId: row.chain_id,
  asset: row.asset,
  status: row.status as TxStatus,
  hash: row.hash,
  createdAt: row.created_at,
});

export function insertTx(trx: Transaction<Schema>, tx: NewTx, now: Date): Promise<ChainTxRow> {
  return trx
    .insertInto("chain_txs")
    .values({
      intent_id: tx.intentId,
      execution_id: tx.executionId,
      kind: tx.kind,
      chain_id: tx.chainId,
      sender: tx.sender,
      nonce: tx.nonce.toString(),
      asset: tx.asset,
      raw: tx.raw,
      hash: tx.hash,
      status: "pending",
      block_number: null,
      detail: tx.detail ? toJsonText(tx.detail) : null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** An execution's transactions (its intermediary's steps), oldest first. */
export function executionTxs(db: Executor, executionId: string): Promise<ChainTxRow[]> {
  return db
    .selectFrom("chain_txs")
    .selectAll()
    .where("execution_id", "=", executionId)
    .orderBy("id")
    .execute();
}

/** The engine's transactions for an intent, oldest first. */
export function intentTxs(db: Executor, intentId: string): Promise<ChainTxRow[]> {
  return db.selectFrom("chain_txs").selectAll().where("intent_id", "=", intentId).orderBy("id").execute();
}

/** `sender`'s transactions on `chainId` that are recorded but not yet confirmed, by nonce. */
export function pendingTxs(db: Db, chainId: number, sender: string): Promise<ChainTxRow[]> {
  return db
    .selectFrom("chain_txs")
    .selectAll()
    .where("chain_id", "=", chainId)
    .where("sender", "=", sender)
    .where("status", "=", "pending")
    .orderBy("nonce")
    .execute();
}

export async function settleTx(
  db: Db,
  id: string,
  status: TxStatus,
  blockNumber: bigint | null,
  now: Date,
): Promise<ChainTxRow> {
  return db
    .updateTable("chain_txs")
    .set({ status, block_number: blockNumber, updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Hands out the sender's next nonce inside `trx`: the larger of the database's count and the
 * chain's (in case the key was used elsewhere), so two workers never sign the same nonce.
 */
export async function takeNonce(
  trx: Transaction<Schema>,
  chainId: number,
  sender: string,
  chainNonce: number,
): Promise<bigint> {
  const row = await trx
    .selectFrom("sender_nonces")
    .select("next_nonce")
    .where("chain_id", "=", chainId)
    .where("sender", "=", sender)
    .forUpdate()
    .executeTakeFirst();
  const stored = row ? BigInt(row.next_nonce) : 0n;
  const nonce = stored > BigInt(chainNonce) ? stored : BigInt(chainNonce);
  await trx
    .insertInto("sender_nonces")
    .values({ chain_id: chainId, sender, next_nonce: nonce + 1n })
    .onConflict((oc) => oc.columns(["chain_id", "sender"]).doUpdateSet({ next_nonce: nonce + 1n }))
    .execute();
  return nonce;
}
