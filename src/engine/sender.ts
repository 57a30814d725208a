import type { Logger } from "pino";
import {
  type Address,
  BaseError,
  type Hex,
  keccak256,
  type PrivateKeyAccount,
  parseTransaction,
  type TransactionReceipt,
} from "viem";
import type { Chains } from "../chains/gateway.ts";
import { orderDone } from "../chains/order-events.ts";
import type { RuntimeChain } from "../chains/registry.ts";
import type { TxKind, TxStatus } from "../core/tx.ts";
import { type ChainTxRow, openTxs, replaceTx, settleTx, txById, unsettleTx } from "../store/chain-txs.ts";
import type { UnitOfWork } from "../store/commit.ts";
import type { Db } from "../store/database.ts";

export interface TxRequest {
  /** What the transaction is for: an intent, or an execution (an intermediary's steps). */
  intentId?: string;
  executionId?: string;
  kind: TxKind;
  /** For refunds: the asset returned. */
  asset?: Address;
  to: Address;
  data: Hex;
  value?: bigint;
  /** From eth_estimateGas, which the caller ran to learn whether the call would revert. */
  gas: bigint;
  /** Kept with the transaction (what a relayed deposit was signed with, for its receipt). */
  detail?: object;
}

/** What signing needs from the chain: fees, and the account's next nonce there. Read before any lock. */
export interface Prepared {
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
  chainNonce: number;
}

export interface TxOutcome {
  status: TxStatus;
  receipt: TransactionReceipt | null;
}

/**
 * How many blocks ago a nonce must have been spent for a transaction with no receipt to count as
 * dropped: more than any node the engine reads from may lag, so a receipt missing that far back is
 * missing on the chain, not only on a node that is behind.
 */
const DROPPED_AFTER_BLOCKS = 8n;

/** Errors a node returns when it already has the transaction, or it has already been mined. */
const harmlessBroadcastError = /already known|nonce too low|known transaction|already imported/i;

/**
 * Sends the engine's transactions on one chain with one key. Each transaction is signed and kept
 * in the database (nonce, raw bytes, hash) within the caller's commit, and broadcast only after
 * it, so a crash at any point leaves a record that `track` rebroadcasts and follows to its
 * receipt, and never a payment the database does not know about.
 */
export class TxSender {
  constructor(
    private readonly chains: Chains,
    private readonly db: Db,
    readonly chain: RuntimeChain,
    readonly account: PrivateKeyAccount,
    private readonly log: Logger,
    /** How long a transaction may wait unmined before it is replaced with a higher fee. */
    private readonly replaceAfterMs: number,
  ) {}

  get address(): Address {
    return this.account.address;
  }

  async prepare(): Promise<Prepared> {
    const [fees, chainNonce] = await Promise.all([
      this.chains.feesPerGas(this.chain.chainId),
      this.chains.transactionCount(this.chain.chainId, this.account.address, "pending"),
    ]);
    return { fees, chainNonce };
  }

  /** Takes the next nonce, signs and keeps the transaction in `uow`; `broadcast` it once that commits. */
  async record(uow: UnitOfWork, req: TxRequest, prepared: Prepared): Promise<ChainTxRow> {
    const [row] = await this.recordRows(
      uow,
      req,
      [{ intentId: req.intentId, executionId: req.executionId }],
      prepared,
    );
    return row as ChainTxRow;
  }

  /**
   * `record` for a transaction that fills or sweeps several intents (a batch): one row per intent,
   * sharing the nonce and the signed transaction, each to be settled by its own order's outcome.
   */
  recordBatch(
    uow: UnitOfWork,
    intentIds: readonly string[],
    req: Omit<TxRequest, "intentId" | "executionId">,
    prepared: Prepared,
  ): Promise<ChainTxRow[]> {
    return this.recordRows(
      uow,
      req,
      intentIds.map((intentId) => ({ intentId })),
      prepared,
    );
  }

  private recordRows(
    uow: UnitOfWork,
    req: Omit<TxRequest, "intentId" | "executionId">,
    owners: readonly { intentId?: string | undefined; executionId?: string | undefined }[],
    prepared: Prepared,
  ): Promise<ChainTxRow[]> {
    const common = {
      kind: req.kind,
      chainId: this.chain.chainId,
      sender: this.account.address,
      asset: req.asset ?? null,
      detail: req.detail ?? null,
    };
    return uow.recordTx(
      owners.map((o) => ({ ...common, intentId: o.intentId ?? null, executionId: o.executionId ?? null })),
      prepared.chainNonce,
      async (nonce) => {
        const raw = await this.account.signTransaction({
          chainId: this.chain.chainId,
          type: "eip1559",
          nonce: Number(nonce),
          to: req.to,
          data: req.data,
          value: req.value ?? 0n,
          gas: req.gas,
          maxFeePerGas: prepared.fees.maxFeePerGas,
          maxPriorityFeePerGas: prepared.fees.maxPriorityFeePerGas,
        });
        return { raw, hash: keccak256(raw) };
      },
    );
  }

  async broadcast(row: Pick<ChainTxRow, "raw" | "hash" | "chain_id">): Promise<void> {
    try {
      await this.chains.sendRawTransaction(this.chain.chainId, row.raw as Hex);
    } catch (err) {
      const text = err instanceof BaseError ? err.details || err.shortMessage : String(err);
      if (!harmlessBroadcastError.test(text)) {
        this.log.warn({ chainId: row.chain_id, hash: row.hash, err: text }, "broadcast failed; will retry");
      }
    }
  }

  /**
   * Where a transaction stands, once confirmed: mined or reverted (recorded), dropped when its
   * nonce was used by something else, pending otherwise (rebroadcast if the node lost it). Any of
   * its versions (replaced at the same nonce) may be the one mined. The receipt comes with a
   * confirmed one; for one already settled only when `withReceipt` asks.
   */
  async track(row: ChainTxRow, now: Date, withReceipt = false): Promise<TxOutcome> {
    const chainId = this.chain.chainId;
    if (row.status !== "pending") {
      const receipt =
        withReceipt && row.status === "mined" ? await this.chains.receipt(chainId, row.hash as Hex) : null;
      return { status: row.status as TxStatus, receipt };
    }
    const receipt = await this.receiptOfAnyVersion(row);
    if (receipt) {
      const head = await this.chains.head(chainId);
      if (head - receipt.blockNumber + 1n < BigInt(this.chain.confirmations)) {
        return { status: "pending", receipt: null };
      }
      const status = outcomeOf(row, receipt);
      const outcome = { status, blockNumber: receipt.blockNumber, hash: receipt.transactionHash } as const;
      if (!(await settleTx(this.db, row, outcome, now)))
        return this.track(await txById(this.db, row.id), now, withReceipt);
      return { status, receipt };
    }
    const mined = await this.chains.transactionCount(chainId, this.account.address, "latest");
    if (BigInt(mined) > BigInt(row.nonce)) {
      // Mined between the two reads: follow it as any mined transaction.
      if (await this.receiptOfAnyVersion(row)) return this.track(row, now, withReceipt);
      // The nonce is spent and no version has a receipt. A node a few blocks behind the one that
      // answered the count has no receipt for a recent block either: only a nonce spent
      // DROPPED_AFTER_BLOCKS ago, whose receipt any node that close to the head would have, says
      // that no version of this transaction will ever be mined.
      if (!(await this.spentLongAgo(row))) return { status: "pending", receipt: null };
      // Unless it was replaced meanwhile (then look again, at the new version too): dropped.
      const dropped = await settleTx(this.db, row, { status: "dropped", blockNumber: null }, now);
      if (!dropped) return this.track(await txById(this.db, row.id), now, withReceipt);
      return { status: "dropped", receipt: null };
    }
    await this.broadcast(row);
    return { status: "pending", receipt: null };
  }

  private async spentLongAgo(row: ChainTxRow): Promise<boolean> {
    const chainId = this.chain.chainId;
    const head = await this.chains.head(chainId);
    if (head < DROPPED_AFTER_BLOCKS) return false;
    const then = head - DROPPED_AFTER_BLOCKS;
    const count = await this.chains.transactionCount(chainId, this.account.address, then);
    if (BigInt(count) <= BigInt(row.nonce)) return false;
    // A fill Settlement records by then was mined (only the solver's key fills, and its nonce
    // went to this transaction): its receipt is missing from the node asked, not from the chain.
    // Taken for dropped, a later refund could pay the owner back after the recipient was paid.
    if (row.kind === "fill" && row.intent_id !== null) {
      return !(await this.chains.isFilled(chainId, row.intent_id as Hex, then));
    }
    return true;
  }

  private async receiptOfAnyVersion(row: ChainTxRow): Promise<TransactionReceipt | null> {
    for (const hash of [row.hash, ...row.prior_hashes]) {
      const receipt = await this.chains.receipt(this.chain.chainId, hash as Hex);
      if (receipt) return receipt;
    }
    return null;
  }

  /**
   * Keeps this sender's nonces moving, from the chain's point of view (run at start, then about
   * every second by the chain's watcher, its only caller at a time). A pending transaction whose
   * nonce the chain has used is settled. For each nonce the chain has not used yet:
   * - a transaction recorded as mined that the chain no longer has (a reorg deeper than the
   *   confirmations, a node that lost its state) is pending again, and sent again: the same signed
   *   transaction, so it cannot land twice;
   * - a transaction recorded as dropped (its nonce went to another that the chain then forgot)
   *   gets a filler at its nonce, a zero-value transfer to itself, so later ones are not stuck
   *   behind a gap;
   * - a pending one is put back on the wire, and replaced at the same nonce with a higher fee once
   *   it has waited `replaceAfterMs` without being mined.
   */
  keep(now: Date): Promise<void> {
    return TxSender.keepAll([this], now);
  }

  /**
   * `keep` for several senders of one chain (sharing its database): their next nonces are read
   * from the node at once, and their open transactions in one query. Every sender whose nonce
   * could be read is seen to even when another's failed; the first failure is thrown after.
   */
  static async keepAll(senders: readonly TxSender[], now: Date): Promise<void> {
    const [first] = senders;
    if (!first) return;
    const chainId = first.chain.chainId;
    const counts = await Promise.allSettled(
      senders.map((s) => s.chains.transactionCount(chainId, s.account.address, "latest")),
    );
    const failures: unknown[] = counts.flatMap((c) => (c.status === "rejected" ? [c.reason] : []));
    const unused = new Map(
      senders.flatMap((s, i) => {
        const count = counts[i];
        return count?.status === "fulfilled" ? [[s.account.address, BigInt(count.value)] as const] : [];
      }),
    );
    const open = unused.size > 0 ? await openTxs(first.db, chainId, unused) : [];
    for (const [address, next] of unused) {
      const sender = senders.find((s) => s.account.address === address) as TxSender;
      const rows = open.filter((r) => r.sender === address);
      await sender.keepRows(rows, next, now).catch((err: unknown) => failures.push(err));
    }
    if (failures.length > 0) throw failures[0];
  }

  /** `keep`'s work on this sender's open transactions, `unused` being its next nonce on the chain. */
  private async keepRows(open: readonly ChainTxRow[], unused: bigint, now: Date): Promise<void> {
    const chainId = this.chain.chainId;
    for (const rows of byNonce(open)) {
      if (BigInt(rows[0].nonce) < unused) {
        // Its nonce is spent: mined (perhaps a version replaced) or dropped; no decision may be
        // following it any more (its intent went on), so it is settled here.
        for (const row of rows) await this.track(row, now);
        continue;
      }
      // A batch's rows share one transaction: it is replaced, and sent, once for all of them.
      let row: ChainTxRow = rows[0];
      const settled = rows.filter((r) => r.status === "mined" || r.status === "reverted");
      if (settled.length > 0) {
        if (await this.receiptOfAnyVersion(row)) continue; // a node behind the one that mined it
        this.log.warn(
          { chainId, hash: row.hash, nonce: row.nonce },
          "the chain forgot a mined transaction; sending it again",
        );
        for (const r of settled) row = (await unsettleTx(this.db, r.id, now)) ?? row;
      } else if (row.status === "dropped") {
        if (!this.isFiller(row)) row = (await this.replace(row, now, "filler")) ?? row;
      } else if (row.sent_at && now.getTime() - row.sent_at.getTime() >= this.replaceAfterMs) {
        row = (await this.replace(row, now, "fee")) ?? row;
      }
      await this.broadcast(row);
    }
  }

  /**
   * Signs a new version of `row` at its nonce: the same call with fees at least 25% higher
   * (nodes refuse a replacement under a 10-12.5% bump), or a filler that moves nothing.
   */
  private async replace(row: ChainTxRow, now: Date, kind: "fee" | "filler"): Promise<ChainTxRow | undefined> {
    const old = parseTransaction(row.raw as Hex);
    const current = await this.chains.feesPerGas(this.chain.chainId);
    const bumped = (fee: bigint | undefined) => ((fee ?? 0n) * 125n) / 100n + 1n;
    const maxPriorityFeePerGas = max(current.maxPriorityFeePerGas, bumped(old.maxPriorityFeePerGas));
    const maxFeePerGas = max(current.maxFeePerGas, bumped(old.maxFeePerGas), maxPriorityFeePerGas);
    const call =
      kind === "fee"
        ? { to: old.to ?? null, data: old.data ?? "0x", value: old.value ?? 0n, gas: old.gas ?? 0n }
        : { to: this.account.address, data: "0x" as Hex, value: 0n, gas: 21_000n };
    const raw = await this.account.signTransaction({
      chainId: this.chain.chainId,
      type: "eip1559",
      nonce: Number(row.nonce),
      ...call,
      maxFeePerGas,
      maxPriorityFeePerGas,
    });
    this.log.warn(
      { chainId: this.chain.chainId, nonce: row.nonce, old: row.hash, kind },
      kind === "fee"
        ? "a transaction waited too long; replacing it with a higher fee"
        : "filling a nonce the chain forgot",
    );
    return replaceTx(this.db, row, { raw, hash: keccak256(raw) }, now);
  }

  /** A filler: a zero-value, data-less transfer to the sender itself. */
  private isFiller(row: ChainTxRow): boolean {
    const tx = parseTransaction(row.raw as Hex);
    return tx.to?.toLowerCase() === this.address.toLowerCase() && (tx.data ?? "0x") === "0x";
  }
}

/** Rows grouped by nonce, in the order given (by nonce): a batch's orders share theirs. */
function byNonce(rows: readonly ChainTxRow[]): [ChainTxRow, ...ChainTxRow[]][] {
  const groups: [ChainTxRow, ...ChainTxRow[]][] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    if (last && last[0].nonce === row.nonce) last.push(row);
    else groups.push([row]);
  }
  return groups;
}

/**
 * A confirmed transaction's outcome for one row. A batch's row has its own order's: the batch may
 * be mined with the order skipped (already filled, a payment that failed, a short deposit).
 */
function outcomeOf(row: ChainTxRow, receipt: TransactionReceipt): "mined" | "reverted" {
  if (row.batched && row.intent_id && (row.kind === "fill" || row.kind === "sweep")) {
    return orderDone(receipt, row.kind, row.intent_id) ? "mined" : "reverted";
  }
  return receipt.status === "success" ? "mined" : "reverted";
}

// biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints
const max = (...values: bigint[]) => values.reduce((a, b) => (b > a ? b : a));
