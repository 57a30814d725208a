import { liveExecutionStatuses } from "../core/connect/execution-status.ts";
import type { ChainTxRow } from "./chain-txs.ts";
import type { Db } from "./database.ts";
import type { IntentRow } from "./intents.ts";

/** Every intent with its transactions, oldest first: what the ledger check compares with the chains. */
export async function intentsWithTxs(db: Db): Promise<{ row: IntentRow; txs: ChainTxRow[] }[]> {
  const [rows, txs] = await Promise.all([
    db.selectFrom("intents").selectAll().orderBy("seq").execute(),
    db.selectFrom("chain_txs").selectAll().where("intent_id", "is not", null).orderBy("id").execute(),
  ]);
  const byIntent = new Map<string, ChainTxRow[]>();
  for (const tx of txs) {
    const list = byIntent.get(tx.intent_id as string) ?? [];
    list.push(tx);
    byIntent.set(tx.intent_id as string, list);
  }
  return rows.map((row) => ({ row, txs: byIntent.get(row.id) ?? [] }));
}

/** Executions not yet finished (nor deleted). */
export function openExecutions(db: Db): Promise<{ id: string; status: string }[]> {
  return db
    .selectFrom("executions")
    .select(["id", "status"])
    .where("status", "in", [...liveExecutionStatuses])
    .where("deleted_at", "is", null)
    .execute();
}
