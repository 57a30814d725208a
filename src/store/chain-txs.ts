import type { Selectable, Transaction } from "kysely";
import type { Db } from "./database.ts";
import type { ChainTxsTable, Schema } from "./schema.ts";

export type ChainTxRow = Selectable<ChainTxsTable>;
/** The solver's fill, sweep and refund, the relayer's gasless deposit, and the executor's run of an intermediary's steps. */
export type TxKind = "fill" | "sweep" | "refund" | "deposit" | "steps";
/** pending: signed and persisted, maybe broadcast; mined/reverted: confirmed; dropped: its nonce went to another transaction. */
export type TxStatus = "pending" | "mined" | "reverted" | "dropped";

type Executor = Db | Transaction<Schema>;

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
  detail: Record<string, unknown> | null,
  now: Date,
): Promise<ChainTxRow> {
  return db
    .updateTable("chain_txs")
    .set({
      status,
      block_number: blockNumber,
      detail: detail ? JSON.stringify(detail) : null,
      updated_at: now,
    })
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
