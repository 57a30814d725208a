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

/** The columns every work-queue table (intents, executions) has: when due, who holds it, how it fails. */
export interface QueueColumns {
  id: string;
  status: string;
  status_reason: string | null;
  next_action_at: Date | null;
  lease_owner: string | null;
  lease_until: Date | null;
  /** Failed attempts since the last step that succeeded. */
  attempts: Generated<number>;
  last_error: string | null;
  /** Set when the queue gave up on the row (or a decision asked for an operator): not claimed. */
  parked_at: Date | null;
  /** An operator's last retry. */
  retried_at: Date | null;
  updated_at: Date;
}

export interface IntentsTable extends QueueColumns {
  seq: ColumnType<string, never, never>;
  /** Counts the intent's changes, so a change decided on an older version is refused. */
  version: Generated<number>;
  stage: string;
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
  /** The plan as quoted (jsonb); null once the quote was retired, unused (see core/intent/retirement.ts). */
  plan: ColumnType<unknown, string, string | null>;
  quote_expires_at: Date;
  commit_expires_at: Date | null;
  deposit_tx_hash: string | null;
  /** From the mined fill's `Filled` event: whether the destination call succeeded. */
  destination_call_succeeded: boolean | null;
  /** The Intents Connect execution built on this intent, if any. */
  execution_id: string | null;
  /** A fingerprint of the access key that quoted the intent: that integrator may change it. */
  quoted_by: string | null;
  created_at: Date;
}

/** Every state change of an intent or execution, numbered in commit order. */
export interface EventsTable {
  seq: Generated<string>;
  /** The intent, or for an execution's event the intent under it (if any). */
  intent_id: string | null;
  execution_id: string | null;
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
  /** Earlier versions replaced at the same nonce (a higher fee, a filler): any may be the one mined. */
  prior_hashes: ColumnType<string[], string[] | undefined, string[]>;
  /**
   * One intent's order in a transaction that fills or sweeps several (a batch): every order's row
   * shares the nonce and signed bytes, and each is mined or reverted by its own outcome.
   */
  batched: ColumnType<boolean, boolean | undefined, boolean>;
  /** When it was last put on the wire (signed, replaced). */
  sent_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Date;
  updated_at: Date;
}

export interface ExecutionsTable extends QueueColumns {
  seq: ColumnType<string, never, never>;
  wallet: string;
  wallet_type: string;
  identity: string;
  intermediary: string;
  mode: string;
  direction: string;
  chain_id: number;
  intent_id: string | null;
  plan: Json<unknown>;
  signature: string | null;
  public_key: string | null;
  signed_at: Date | null;
  deadline: Date;
  deleted_at: Date | null;
  created_at: Date;
}

export interface SenderNoncesTable {
  chain_id: number;
  sender: string;
  next_nonce: Int8;
}

export interface DepositAnnouncementsTable {
  chain_id: number;
  tx_hash: string;
  deposit_address: string;
  until: Date;
}

export interface ChainCursorsTable {
  chain_id: number;
  block_number: Int8;
}

/** A webhook endpoint: where events go, which, and how far it has acknowledged them. */
export interface WebhooksTable {
  id: string;
  url: string;
  /** Event types (or `intent.*`, `execution.*`, `*`) it receives. */
  events: ColumnType<string[], string[], string[]>;
  /** Only one owner's events, when set. */
  owner: string | null;
  /** The signing secret, `whsec_…`. */
  secret: string;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  /** The last event acknowledged (or skipped as not matching). */
  cursor: Int8;
  /** Failed attempts in a row. */
  failures: Generated<number>;
  /** Moved by every replay and resumption: a delivery that began before one stops writing. */
  version: Generated<number>;
  next_attempt_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  created_at: Date;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  webhook_id: string;
  seq: Int8;
  event_type: string;
  attempt: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
  at: Date;
}

export interface Schema {
  meta: MetaTable;
  intents: IntentsTable;
  events: EventsTable;
  deposits: DepositsTable;
  chain_txs: ChainTxsTable;
  executions: ExecutionsTable;
  sender_nonces: SenderNoncesTable;
  chain_cursors: ChainCursorsTable;
  deposit_announcements: DepositAnnouncementsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
