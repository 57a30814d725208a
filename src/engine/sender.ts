import type { Logger } from "pino";
import {
  type Address,
  BaseError,
  type Hex,
  keccak256,
  type PrivateKeyAccount,
  type TransactionReceipt,
} from "viem";
import type { Chains } from "../chains/gateway.ts";
import type { RuntimeChain } from "../chains/registry.ts";
import type { TxKind, TxStatus } from "../core/tx.ts";
import { type ChainTxRow, pendingTxs, settleTx } from "../store/chain-txs.ts";
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
  record(uow: UnitOfWork, req: TxRequest, prepared: Prepared): Promise<ChainTxRow> {
    return uow.recordTx(
      {
        intentId: req.intentId ?? null,
        executionId: req.executionId ?? null,
        kind: req.kind,
        chainId: this.chain.chainId,
        sender: this.account.address,
        asset: req.asset ?? null,
        detail: req.detail ?? null,
      },
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
   * nonce was used by something else, pending otherwise (rebroadcast if the node lost it). The
   * receipt comes with a confirmed one; for one already settled only when `withReceipt` asks.
   */
  async track(row: ChainTxRow, now: Date, withReceipt = false): Promise<TxOutcome> {
    const chainId = this.chain.chainId;
    const hash = row.hash as Hex;
    if (row.status !== "pending") {
      const receipt = withReceipt && row.status === "mined" ? await this.chains.receipt(chainId, hash) : null;
      return { status: row.status as TxStatus, receipt };
    }
    const receipt = await this.chains.receipt(chainId, hash);
    if (receipt) {
      const head = await this.chains.head(chainId);
      if (head - receipt.blockNumber + 1n < BigInt(this.chain.confirmations)) {
        return { status: "pending", receipt: null };
      }
      const status = receipt.status === "success" ? "mined" : "reverted";
      await settleTx(this.db, row.id, status, receipt.blockNumber, now);
      return { status, receipt };
    }
    const mined = await this.chains.transactionCount(chainId, this.account.address, "latest");
    if (BigInt(mined) > BigInt(row.nonce)) {
      // Mined between the two reads: follow it as any mined transaction.
      if (await this.chains.receipt(chainId, hash)) return this.track(row, now, withReceipt);
      // The nonce is spent, yet not by this transaction (no receipt): it will never be mined.
      await settleTx(this.db, row.id, "dropped", null, now);
      return { status: "dropped", receipt: null };
    }
    await this.broadcast(row);
    return { status: "pending", receipt: null };
  }

  /** After a restart: puts every persisted, unconfirmed transaction back on the wire. */
  async rebroadcastPending(): Promise<number> {
    const rows = await pendingTxs(this.db, this.chain.chainId, this.account.address);
    for (const row of rows) await this.broadcast(row);
    return rows.length;
  }
}
