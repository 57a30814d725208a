import { type IntentStatus, terminalStatuses } from "../core/intent-status.ts";
import type { IntentPlan } from "../core/plan.ts";
import { type ChainTxRow, intentTxs } from "../store/chain-txs.ts";
import { type DepositRow, depositsOf } from "../store/deposits.ts";
import { type IntentRow, planOf } from "../store/intents.ts";
import type { EngineContext } from "./context.ts";
import { requireIntent } from "./intents.ts";

/** Everything known about one intent: what dialects render receipts and documents from. */
export interface IntentView {
  row: IntentRow;
  plan: IntentPlan;
  txs: ChainTxRow[];
  deposits: DepositRow[];
}

export async function viewOf(e: EngineContext, row: IntentRow): Promise<IntentView> {
  const [txs, deposits] = await Promise.all([intentTxs(e.db, row.id), depositsOf(e.db, row.id)]);
  return { row, plan: planOf(row), txs, deposits };
}

export async function intentView(e: EngineContext, id: string): Promise<IntentView> {
  return viewOf(e, await requireIntent(e, id));
}

/** Nothing more will happen unless another deposit arrives: a terminal status with no step pending. */
export function isSettled(row: IntentRow): boolean {
  return terminalStatuses.includes(row.status as IntentStatus) && row.stage === "watch";
}
