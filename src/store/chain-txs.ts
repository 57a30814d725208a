import { type Selectable, sql, type Transaction } from "kysely";
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
  /** One order of a batch: a row per intent, all sharing the nonce and the signed bytes. */
  batched?: boolean;
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

export function insertTxs(trx: Transaction<Schema>, txs: readonly NewTx[], now: Date): Promise<ChainTxRow[]> {
  return trx
    .insertInto("chain_txs")
    .values(
      txs.map((tx) => ({
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
        batched: tx.batched ?? false,
        sent_at: now,
        created_at: now,
        updated_at: now,
      })),
    )
    .returningAll()
    .execute();
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

/**
 * The transactions on `chainId` of the senders in `unused` that are not settled as far as the
 * chain is concerned, by sender and nonce: every pending one, and any at or after the sender's
 * `unused`, the chain's next nonce (which, when the chain forgot blocks, includes some recorded
 * as settled). One query for all of a chain's senders.
 */
export function openTxs(db: Db, chainId: number, unused: ReadonlyMap<string, bigint>): Promise<ChainTxRow[]> {
  return db
    .selectFrom("chain_txs")
    .selectAll()
    .where("chain_id", "=", chainId)
    .where("sender", "in", [...unused.keys()])
    .where((eb) =>
      eb.or([
        eb("status", "=", "pending"),
        ...[...unused].map(([sender, next]) =>
          eb.and([eb("sender", "=", sender), eb("nonce", ">=", next.toString())]),
        ),
      ]),
    )
    .orderBy("sender")
    .orderBy("nonce")
    .execute();
}

/**
 * Records where a transaction ended, provided the row still holds the versions the caller looked
 * at (undefined if it was replaced meanwhile: look again). `hash` is the version that was mined,
 * when it is an earlier one than the row's latest (a replacement lost the race): it becomes the
 * row's hash.
 */
export async function settleTx(
  db: Db,
  row: Pick<ChainTxRow, "id" | "hash" | "prior_hashes">,
  outcome: { status: TxStatus; blockNumber: bigint | null; hash?: string },
  now: Date,
): Promise<ChainTxRow | undefined> {
  const minedHash = outcome.hash ?? row.hash;
  const prior =
    minedHash === row.hash
      ? row.prior_hashes
      : [...row.prior_hashes.filter((h) => h !== minedHash), row.hash];
  return db
    .updateTable("chain_txs")
    .set({
      status: outcome.status,
      block_number: outcome.blockNumber,
      hash: minedHash,
      prior_hashes: prior,
      updated_at: now,
    })
    .where("id", "=", row.id)
    .where("hash", "=", row.hash)
    .returningAll()
    .executeTakeFirst();
}

export function txById(db: Db, id: string): Promise<ChainTxRow> {
  return db.selectFrom("chain_txs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

/**
 * The chain no longer has a transaction it once mined (a reorg deeper than the confirmations, a
 * node that lost its state): it is pending again, to be put back on the wire and followed.
 */
export async function unsettleTx(db: Db, id: string, now: Date): Promise<ChainTxRow | undefined> {
  return db
    .updateTable("chain_txs")
    .set({ status: "pending", block_number: null, updated_at: now })
    .where("id", "=", id)
    .where("status", "in", ["mined", "reverted"])
    .returningAll()
    .executeTakeFirst();
}

/**
 * A new version of a transaction at the same nonce (a higher fee; a filler for a forgotten
 * nonce), provided it is still at `row.hash` and not settled; the old hash is kept, as it may yet
 * be the one mined. A batch's rows share the transaction, so all of them take the new version at
 * once.
 */
export async function replaceTx(
  db: Db,
  row: Pick<ChainTxRow, "chain_id" | "sender" | "nonce" | "hash" | "prior_hashes">,
  signed: { raw: string; hash: string },
  now: Date,
): Promise<ChainTxRow | undefined> {
  const rows = await db
    .updateTable("chain_txs")
    .set({
      raw: signed.raw,
      hash: signed.hash,
      prior_hashes: [...row.prior_hashes, row.hash],
      sent_at: now,
      updated_at: now,
    })
    .where("chain_id", "=", row.chain_id)
    .where("sender", "=", row.sender)
    .where("nonce", "=", row.nonce)
    .where("hash", "=", row.hash)
    // A row settled meanwhile keeps the version that was mined (a batch's rows settle one by one).
    .where("status", "in", ["pending", "dropped"])
    .returningAll()
    .execute();
  return rows[0];
}

/**
 * Hands out the sender's next nonce inside `trx`: the larger of the database's count and the
 * chain's (in case the key was used elsewhere), so two workers never sign the same nonce. One
 * upsert, which holds the sender's row until the transaction ends; it also serializes the very
 * first nonce, when there is no row yet to lock (a read for update would let two take nonce 0).
 */
export async function takeNonce(
  trx: Transaction<Schema>,
  chainId: number,
  sender: string,
  chainNonce: number,
): Promise<bigint> {
  const row = await trx
    .insertInto("sender_nonces")
    .values({ chain_id: chainId, sender, next_nonce: BigInt(chainNonce) + 1n })
    .onConflict((oc) =>
      oc.columns(["chain_id", "sender"]).doUpdateSet({
        next_nonce: sql`greatest(sender_nonces.next_nonce, excluded.next_nonce - 1) + 1`,
      }),
    )
    .returning("next_nonce")
    .executeTakeFirstOrThrow();
  return BigInt(row.next_nonce) - 1n;
}
