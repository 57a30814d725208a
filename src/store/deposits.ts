import { type Selectable, sql, type Transaction } from "kysely";
import type { Db } from "./database.ts";
import type { DepositsTable, Schema } from "./schema.ts";

type Executor = Db | Transaction<Schema>;

export type DepositRow = Selectable<DepositsTable>;
export type NewDeposit = Omit<DepositRow, "id" | "block_number"> & { block_number: bigint };

/** A transfer recorded for the first time, with its intent's status and execution. */
export interface RecordedDeposit {
  intent_id: string;
  status: string;
  execution_id: string | null;
  chain_id: number;
  tx_hash: string;
  token: string;
  amount: string;
  block_number: string;
}

/**
 * Records transfers into deposit addresses; one seen twice (same block hash, transaction and log
 * index) is kept once. Returns those recorded now.
 */
export async function recordDeposits(
  db: Executor,
  deposits: readonly NewDeposit[],
): Promise<RecordedDeposit[]> {
  if (deposits.length === 0) return [];
  return db
    .with("inserted", (q) =>
      q
        .insertInto("deposits")
        .values(deposits.map((d) => ({ ...d, block_number: d.block_number.toString() })))
        .onConflict((oc) => oc.constraint("deposits_seen_once").doNothing())
        .returning(["intent_id", "chain_id", "tx_hash", "token", "amount", "block_number"]),
    )
    .selectFrom("inserted")
    .innerJoin("intents", "intents.id", "inserted.intent_id")
    .select([
      "inserted.intent_id",
      "intents.status",
      "intents.execution_id",
      "inserted.chain_id",
      "inserted.tx_hash",
      "inserted.token",
      "inserted.amount",
      "inserted.block_number",
    ])
    .execute();
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
 * The intents whose deposit addresses are among `addresses` (any case), of the intents of
 * `originChainIds`, by lowercase address: a watcher's lookup of the transfers it found in a range,
 * one indexed query however many intents there are.
 */
export async function intentsAt(
  db: Db,
  originChainIds: readonly number[],
  addresses: readonly string[],
): Promise<Map<string, string>> {
  if (addresses.length === 0 || originChainIds.length === 0) return new Map();
  const lower = [...new Set(addresses.map((a) => a.toLowerCase()))];
  const rows = await db
    .selectFrom("intents")
    .select(["id", sql<string>`lower(deposit_address)`.as("address")])
    .where(sql<boolean>`lower(deposit_address) = any(${lower}::text[])`)
    .where("origin_chain_id", "in", originChainIds)
    .execute();
  return new Map(rows.map((r) => [r.address, r.id]));
}
