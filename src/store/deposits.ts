import type { Selectable, Transaction } from "kysely";
import type { Db } from "./database.ts";
import type { DepositsTable, Schema } from "./schema.ts";

type Executor = Db | Transaction<Schema>;

export type DepositRow = Selectable<DepositsTable>;
export type NewDeposit = Omit<DepositRow, "id" | "block_number"> & { block_number: bigint };

/**
 * Records transfers into deposit addresses; one seen twice (same block hash, transaction and log
 * index) is kept once. Returns the intents that gained a deposit.
 */
export async function recordDeposits(db: Executor, deposits: readonly NewDeposit[]): Promise<string[]> {
  if (deposits.length === 0) return [];
  const inserted = await db
    .insertInto("deposits")
    .values(deposits.map((d) => ({ ...d, block_number: d.block_number.toString() })))
    .onConflict((oc) => oc.constraint("deposits_seen_once").doNothing())
    .returning("intent_id")
    .execute();
  return [...new Set(inserted.map((r) => r.intent_id))];
}

export function depositsOf(db: Db, intentId: string): Promise<DepositRow[]> {
  return db.selectFrom("deposits").selectAll().where("intent_id", "=", intentId).orderBy("id").execute();
}

export async function readCursor(db: Db, chainId: number): Promise<bigint | null> {
  const row = await db
    .selectFrom("chain_cursors")
    .select("block_number")
    .where("chain_id", "=", chainId)
    .executeTakeFirst();
  return row ? BigInt(row.block_number) : null;
}

export async function writeCursor(db: Executor, chainId: number, blockNumber: bigint): Promise<void> {
  await db
    .insertInto("chain_cursors")
    .values({ chain_id: chainId, block_number: blockNumber.toString() })
    .onConflict((oc) => oc.column("chain_id").doUpdateSet({ block_number: blockNumber.toString() }))
    .execute();
}

/**
 * Deposit addresses of the intents of `originChainIds` created after `afterSeq`, for a watcher's
 * lookup: a chain watches the addresses of every intent whose address exists on it too.
 */
export function depositAddressesSince(db: Db, originChainIds: readonly number[], afterSeq: string) {
  return db
    .selectFrom("intents")
    .select(["id", "deposit_address", "seq"])
    .where("origin_chain_id", "in", originChainIds.length > 0 ? originChainIds : [-1])
    .where("seq", ">", afterSeq)
    .orderBy("seq")
    .execute();
}
