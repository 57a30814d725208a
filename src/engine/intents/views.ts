import { JunctionError } from "../../core/errors.ts";
import type { IntentPlan } from "../../core/intent/plan.ts";
import { depositCounted, isFinal, isSettled, type Stage } from "../../core/intent/stages.ts";
import type { IntentStatus } from "../../core/intent/status.ts";
import { fromJson } from "../../core/json.ts";
import type { TxKind, TxStatus } from "../../core/tx.ts";
import { intentTxs } from "../../store/chain-txs.ts";
import { depositsOf } from "../../store/deposits.ts";
import {
  findIntentWithRecords,
  type IntentRow,
  type IntentWithRecords,
  isRetired,
  planOf,
} from "../../store/intents.ts";
import type { EngineDeps } from "../ports.ts";

/**
 * Intents as the API dialects see them: read models built from the engine's rows, so that no
 * dialect knows a table, a column or an engine stage.
 */

/** An intent's plan and where it stands. */
export interface IntentRecord {
  id: string;
  /** Its place in creation order, for paging. */
  seq: number;
  plan: IntentPlan;
  status: IntentStatus;
  statusReason: string | null;
  depositTxHash: string | null;
  /** Nothing more will happen unless another deposit arrives. */
  settled: boolean;
  /** The client's answer is final (the sweep may still be on its way: see `isFinal`). */
  final: boolean;
  /** A deposit was counted: seen confirmed and enough, or announced and executing. */
  depositCounted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What a relayed (gasless) deposit was signed with, as the relayer recorded it. */
export interface RelayedDeposit {
  intentSignature: string;
  permitSignature?: string;
  permitAmount?: bigint;
  permitDeadline?: bigint;
  feeAmount: bigint;
  feeToken: string;
  feeCollector: string;
  userNonce: bigint;
  deadline: bigint;
}

/** One of the engine's transactions for an intent. */
export interface TxView {
  kind: TxKind;
  chainId: number;
  status: TxStatus;
  hash: string;
  /** For a refund: the asset it returns (the intent's token or a stray one). */
  asset: string | null;
  /** The block it was mined (or reverted) in, once confirmed; null before. */
  blockNumber: bigint | null;
  /** For a relayed gasless deposit: what it was signed with. */
  detail: RelayedDeposit | null;
}

/** A transfer into the deposit address. */
export interface DepositView {
  chainId: number;
  token: string;
  from: string;
  amount: bigint;
  txHash: string;
}

/** Everything known about one intent: what receipts are rendered from. */
export interface IntentView extends IntentRecord {
  txs: TxView[];
  deposits: DepositView[];
}

export function intentRecordOf(row: IntentRow): IntentRecord {
  const status = row.status as IntentStatus;
  const stage = row.stage as Stage;
  return {
    id: row.id,
    seq: Number(row.seq),
    plan: planOf(row),
    status,
    statusReason: row.status_reason,
    depositTxHash: row.deposit_tx_hash,
    settled: isSettled(status, stage),
    final: isFinal(status),
    depositCounted: depositCounted(status, stage),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const txView = (tx: IntentWithRecords["txs"][number]): TxView => ({
  kind: tx.kind as TxKind,
  chainId: tx.chain_id,
  status: tx.status as TxStatus,
  hash: tx.hash,
  asset: tx.asset,
  blockNumber: tx.block_number === null ? null : BigInt(tx.block_number),
  detail: tx.kind === "deposit" && tx.detail ? fromJson<RelayedDeposit>(tx.detail) : null,
});

const depositView = (row: IntentWithRecords["deposits"][number]): DepositView => ({
  chainId: row.chain_id,
  token: row.token,
  from: row.from_address,
  amount: BigInt(row.amount),
  txHash: row.tx_hash,
});

const viewOf = ({ row, txs, deposits }: IntentWithRecords): IntentView => ({
  ...intentRecordOf(row),
  txs: txs.map(txView),
  deposits: deposits.map(depositView),
});

/** The view of a row already read (a listing's). */
export async function intentViewOf(deps: EngineDeps, row: IntentRow): Promise<IntentView> {
  const [txs, deposits] = await Promise.all([
    intentTxs(deps.store.db, row.id),
    depositsOf(deps.store.db, row.id),
  ]);
  return viewOf({ row, txs, deposits });
}

/**
 * The view of the intent `id` as clients may see it (a retired quote is not found), read in one
 * statement: long-polls and streams read one at every change of the intent.
 */
export async function intentViewById(deps: EngineDeps, id: string): Promise<IntentView> {
  const found = await findIntentWithRecords(deps.store.db, id);
  if (!found || isRetired(found.row)) throw new JunctionError("not_found", `intentId: no intent ${id}`);
  return viewOf(found);
}
