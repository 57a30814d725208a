import type { Transaction } from "kysely";
import type { Logger } from "pino";
import {
  type Address,
  BaseError,
  type Hex,
  keccak256,
  type PrivateKeyAccount,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
} from "viem";
import { publicClientFor } from "../chains/clients.ts";
import type { RuntimeChain } from "../chains/registry.ts";
import { toJsonText } from "../core/json.ts";
import {
  type ChainTxRow,
  pendingTxs,
  settleTx,
  type TxKind,
  type TxStatus,
  takeNonce,
} from "../store/chain-txs.ts";
import type { Db } from "../store/database.ts";
import type { Schema } from "../store/schema.ts";

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
  detail?: Record<string, unknown>;
}

export interface Prepared {
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
  chainNonce: number;
}

export interface TxOutcome {
  status: TxStatus;
  row: ChainTxRow;
  receipt: TransactionReceipt | null;
}

/** Errors a node returns when it already has the transaction, or it has already been mined. */
const harmlessBroadcastError = /already known|nonce too low|known transaction|already imported/i;

/**
 * Sends the engine's transactions on one chain with one key. Each transaction is signed and
 * written to the database (nonce, raw bytes, hash) before it is broadcast, so a crash at any point
 * leaves a record that `track` rebroadcasts and follows to its receipt, and never a payment the
 * database does not know about.
 */
export class TxSender {
  readonly client;
  constructor(
    private readonly db: Db,
    readonly chain: RuntimeChain,
    readonly account: PrivateKeyAccount,
    private readonly log: Logger,
  ) {
    this.client = publicClientFor(chain.viem);
  }

  /** Signs, records and broadcasts a transaction. */
  async send(req: TxRequest, now: Date): Promise<ChainTxRow> {
    const prepared = await this.prepare();
    const row = await this.db.transaction().execute((trx) => this.record(trx, req, prepared, now));
    await this.broadcast(row);
    return row;
  }

  /** What signing needs from the chain: fees, and the account's next nonce there. Read before any lock. */
  async prepare(): Promise<Prepared> {
    const [fees, chainNonce] = await Promise.all([
      this.client.estimateFeesPerGas(),
      this.client.getTransactionCount({ address: this.account.address, blockTag: "pending" }),
    ]);
    return { fees, chainNonce };
  }

  /**
   * Takes the next nonce, signs and stores the transaction within `trx`, the caller's database
   * transaction: nothing is broadcast until it commits, and then `broadcast` must follow (or, after
   * a crash, `rebroadcastPending`).
   */
  async record(trx: Transaction<Schema>, req: TxRequest, prepared: Prepared, now: Date): Promise<ChainTxRow> {
    const nonce = await takeNonce(trx, this.chain.chainId, this.account.address, prepared.chainNonce);
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
    return trx
      .insertInto("chain_txs")
      .values({
        intent_id: req.intentId ?? null,
        execution_id: req.executionId ?? null,
        kind: req.kind,
        chain_id: this.chain.chainId,
        sender: this.account.address,
        nonce: nonce.toString(),
        asset: req.asset ?? null,
        raw,
        hash: keccak256(raw),
        status: "pending",
        block_number: null,
        detail: req.detail ? toJsonText(req.detail) : null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async broadcast(row: ChainTxRow): Promise<void> {
    try {
      await this.client.sendRawTransaction({ serializedTransaction: row.raw as Hex });
    } catch (err) {
      const text = err instanceof BaseError ? err.details || err.shortMessage : String(err);
      if (!harmlessBroadcastError.test(text)) {
        this.log.warn({ chainId: row.chain_id, hash: row.hash, err: text }, "broadcast failed; will retry");
      }
    }
  }

  private async receiptOf(hash: Hex): Promise<TransactionReceipt | null> {
    try {
      return await this.client.getTransactionReceipt({ hash });
    } catch (err) {
      if (err instanceof TransactionReceiptNotFoundError) return null;
      throw err;
    }
  }

  /**
   * Where a transaction stands, once confirmed: mined or reverted (recorded), dropped when its
   * nonce was used by something else, pending otherwise (rebroadcast if the node lost it).
   */
  async track(row: ChainTxRow, now: Date): Promise<TxOutcome> {
    if (row.status !== "pending") {
      const receipt = row.status === "dropped" ? null : await this.receiptOf(row.hash as Hex);
      return { status: row.status as TxStatus, row, receipt };
    }
    const receipt = await this.receiptOf(row.hash as Hex);
    if (receipt) {
      const head = await this.client.getBlockNumber();
      if (head - receipt.blockNumber + 1n < BigInt(this.chain.confirmations)) {
        return { status: "pending", row, receipt: null };
      }
      const status = receipt.status === "success" ? "mined" : "reverted";
      const settled = await settleTx(this.db, row.id, status, receipt.blockNumber, null, now);
      return { status, row: settled, receipt };
    }
    const mined = await this.client.getTransactionCount({
      address: this.account.address,
      blockTag: "latest",
    });
    if (BigInt(mined) > BigInt(row.nonce)) {
      // Mined between the two reads: follow it as any mined transaction.
      if (await this.receiptOf(row.hash as Hex)) return this.track(row, now);
      // The nonce is spent, yet not by this transaction (no receipt): it will never be mined.
      const settled = await settleTx(this.db, row.id, "dropped", null, null, now);
      return { status: "dropped", row: settled, receipt: null };
    }
    await this.broadcast(row);
    return { status: "pending", row, receipt: null };
  }

  /** After a restart: puts every persisted, unconfirmed transaction back on the wire. */
  async rebroadcastPending(): Promise<number> {
    const rows = await pendingTxs(this.db, this.chain.chainId, this.account.address);
    for (const row of rows) await this.broadcast(row);
    return rows.length;
  }
}
