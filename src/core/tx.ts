/**
 * The engine's own transactions as the decisions see them: what each is for, and where it stands.
 * The solver fills, sweeps and refunds; the relayer sends gasless deposits; the executor runs an
 * intermediary account's steps.
 */
export type TxKind = "fill" | "sweep" | "refund" | "deposit" | "steps";
/**
 * pending: signed and persisted, maybe broadcast; mined or reverted: confirmed; dropped: its nonce
 * went to another transaction, so it will never be mined.
 */
export type TxStatus = "pending" | "mined" | "reverted" | "dropped";

/** A transaction as recorded, before it is checked against the chain. */
export interface TxRecord {
  id: string;
  kind: TxKind;
  chainId: number;
  /** For refunds: the asset returned (the intent's token or a stray one). */
  asset: string | null;
  status: TxStatus;
  hash: string;
  createdAt: Date;
}

/** A transaction checked against the chain: its status once confirmed, and what its receipt said. */
export interface TrackedTx {
  status: TxStatus;
  /** A mined fill: whether Settlement reported the destination call succeeded. */
  callSucceeded?: boolean;
}

/** What eth_estimateGas said of a transaction before it is sent: its gas, or why it would revert. */
export type Simulation = { ok: true; gas: bigint } | { ok: false; reason: string };

/** Which transactions of a kind: for refunds, of one asset on one chain. */
export interface TxFilter {
  asset?: string;
  chainId?: number;
}

const matches = (t: TxRecord, kind: TxKind, filter: TxFilter) =>
  t.kind === kind &&
  (filter.asset === undefined || t.asset?.toLowerCase() === filter.asset.toLowerCase()) &&
  (filter.chainId === undefined || t.chainId === filter.chainId);

/** The newest transaction of `kind` (matching `filter`) that can still count: not dropped. */
export function latestTx(
  txs: readonly TxRecord[],
  kind: TxKind,
  filter: TxFilter = {},
): TxRecord | undefined {
  return txs.filter((t) => matches(t, kind, filter) && t.status !== "dropped").at(-1);
}

/**
 * How many transactions of `kind` (matching `filter`) reverted since `since` (an operator's retry:
 * the reverts before it were looked at and are not held against the new attempt).
 */
export function revertedCount(
  txs: readonly TxRecord[],
  kind: TxKind,
  since: Date | null,
  filter: TxFilter = {},
): number {
  return txs.filter(
    (t) => matches(t, kind, filter) && t.status === "reverted" && (since === null || t.createdAt > since),
  ).length;
}

/** The earlier of two times to look again; null is "only when woken", later than any time. */
export function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

export const later = (now: Date, ms: number): Date => new Date(now.getTime() + ms);
