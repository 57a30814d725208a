import type { ColumnType, Generated } from "kysely";

/** Table types for Kysely; one interface per table, column names as in SQL. */
export interface MetaTable {
  key: string;
  value: string;
}

/** jsonb: written as JSON text (both drivers cast it), read back parsed. */
type Json<T> = ColumnType<T, string, string>;
/** int8 comes back as text on both drivers (see database.ts). */
type Int8 = ColumnType<string, bigint | number | string, bigint | number | string>;

export interface IntentsTable {
  id: string;
  seq: ColumnType<string, never, never>;
  status: string;
  stage: string;
  status_reason: string | null;
  owner: string;
  trade_type: string;
  origin_chain_id: number;
  origin_token: string;
  deposit_address: string;
  destination_chain_id: number;
  destination_token: string;
  recipient: string;
  from_amount: string;
  from_amount_min: string;
  to_amount: string;
  to_amount_min: string;
  reserved: Generated<boolean>;
  plan: Json<unknown>;
  quote_expires_at: Date;
  commit_expires_at: Date | null;
  deposit_tx_hash: string | null;
  next_action_at: Date | null;
  lease_owner: string | null;
  lease_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface IntentEventsTable {
  id: Generated<string>;
  intent_id: string;
  type: string;
  status: string;
  data: Json<Record<string, unknown>>;
  at: Date;
}

export interface DepositsTable {
  id: Generated<string>;
  intent_id: string;
  chain_id: number;
  block_number: Int8;
  block_hash: string;
  tx_hash: string;
  log_index: number;
  token: string;
  from_address: string;
  amount: string;
  at: Date;
}

export interface ChainTxsTable {
  id: Generated<string>;
  /** The intent, or (for an intermediary's steps) the execution, the transaction is for. */
  intent_id: string | null;
  execution_id: ColumnType<string | null, string | null | undefined, string | null>;
  kind: string;
  chain_id: number;
  sender: string;
  nonce: Int8;
  asset: string | null;
  raw: string;
  hash: string;
  status: string;
  block_number: Int8 | null;
  detail: Json<Record<string, unknown>> | null;
  created_at: Date;
  updated_at: Date;
}

export interface ExecutionsTable {
  id: string;
  seq: ColumnType<string, never, never>;
  wallet: string;
  wallet_type: string;
  identity: string;
  intermediary: string;
  mode: string;
  direction: string;
  chain_id: number;
  intent_id: string | null;
  status: string;
  status_reason: string | null;
  plan: Json<unknown>;
  signature: string | null;
  public_key: string | null;
  signed_at: Date | null;
  deadline: Date;
  deleted_at: Date | null;
  next_action_at: Date | null;
  lease_owner: string | null;
  lease_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ExecutionEventsTable {
  id: Generated<string>;
  execution_id: string;
  type: string;
  status: string;
  data: Json<Record<string, unknown>>;
  at: Date;
}

export interface SenderNoncesTable {
  chain_id: number;
  sender: string;
  next_nonce: Int8;
}

export interface ChainCursorsTable {
  chain_id: number;
  block_number: Int8;
}

export interface Schema {
  meta: MetaTable;
  intents: IntentsTable;
  intent_events: IntentEventsTable;
  deposits: DepositsTable;
  chain_txs: ChainTxsTable;
  executions: ExecutionsTable;
  execution_events: ExecutionEventsTable;
  sender_nonces: SenderNoncesTable;
  chain_cursors: ChainCursorsTable;
}
