import { type Address, type Hex, zeroAddress } from "viem";
import type { RuntimeChain } from "../chains/registry.ts";
import { depositAddressesSince, type NewDeposit, readCursor, writeCursor } from "../store/deposits.ts";
import type { EngineDeps } from "./ports.ts";

/** Blocks per scan, so a long outage catches up in bounded requests. */
const MAX_RANGE = 500n;
/** Where a chain never scanned before starts: a little history, not all of it. */
const INITIAL_LOOKBACK = 100n;
/** Blocks scanned again when the chain changed under the cursor (a reorg, a node that lost state). */
const REORG_RESCAN = 64n;
/** How often the chain's senders' nonces are looked after. */
const NONCE_UPKEEP_MS = 1_000;

/**
 * Finds transfers into deposit addresses on one chain (those of the intents of every chain that
 * shares its DepositFactory's address): ERC-20 `Transfer` logs of the listed tokens and
 * native-coin transactions, block by block from a cursor kept in the database. Each find is
 * recorded once (block hash, transaction, log index) and wakes its intent; amounts are decided
 * later from confirmed balances, so a reorg that drops a block only leaves a stale record.
 */
export class DepositWatcher {
  private readonly addresses = new Map<string, string>();
  private lastSeq = "0";
  /** The last block scanned; null until read from the database. */
  private cursor: bigint | null = null;
  /** The hash of the block at the cursor, once this watcher has scanned it. */
  private cursorHash: Hex | null = null;
  private lastUpkeep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: EngineDeps,
    private readonly chain: RuntimeChain,
  ) {}

  /**
   * The chains whose intents' deposit addresses exist here too: a deposit address is the
   * DepositFactory's CREATE2 address for the intent's salt, so it is the same on every chain whose
   * factory has the same address (Junction deploys it so). Money sent to one on the wrong chain is
   * found, and returned there.
   */
  private get originChains(): number[] {
    const factory = this.chain.contracts.DepositFactory;
    return this.deps.registry.chains
      .filter((c) => c.contracts.DepositFactory === factory)
      .map((c) => c.chainId);
  }

  private async refreshAddresses(): Promise<void> {
    const rows = await depositAddressesSince(this.deps.store.db, this.originChains, this.lastSeq);
    for (const row of rows) this.addresses.set(row.deposit_address.toLowerCase(), row.id);
    const last = rows.at(-1);
    if (last) this.lastSeq = last.seq;
  }

  /** Scans the blocks after the cursor up to the head (bounded); returns how many blocks it covered. */
  async scanOnce(): Promise<bigint> {
    const { chainId } = this.chain;
    // Not only at new blocks: a transaction stuck behind a nonce gap mines none.
    await this.upkeep();
    const head = await this.deps.chains.head(chainId);
    // The database's cursor is read once; from then on this watcher is its only writer, so a poll
    // that finds no new block costs one RPC call and no query.
    this.cursor ??= (await readCursor(this.deps.store.db, chainId)) ?? head - INITIAL_LOOKBACK;
    if (this.cursor > head) return this.rewind(head, `the head ${head} is below the cursor ${this.cursor}`);
    const from = this.cursor + 1n > 0n ? this.cursor + 1n : 0n;
    if (from > head) return 0n;
    const first = await this.deps.chains.blockLink(chainId, from);
    if (this.cursorHash !== null && first.parentHash !== this.cursorHash) {
      return this.rewind(head, `block ${from} does not follow the block ${this.cursor} scanned before`);
    }
    // After reading the head: every deposit in a block up to it was made to an address already quoted.
    await this.refreshAddresses();
    const to = head < from + MAX_RANGE - 1n ? head : from + MAX_RANGE - 1n;
    const deposits = [...(await this.tokenTransfers(from, to)), ...(await this.nativeTransfers(from, to))];
    const woken = await this.deps.store.commit(this.deps.clock.now(), async (uow) => {
      const woken = await uow.recordDeposits(deposits);
      await writeCursor(uow.trx, chainId, to);
      // A new block is what a transaction in flight or a deposit short of confirmations waits for.
      await uow.wakeBlockWaiters({ chainId, head: to, confirmations: this.chain.confirmations });
      return woken;
    });
    this.cursor = to;
    this.cursorHash = to === from ? first.hash : (await this.deps.chains.blockLink(chainId, to)).hash;
    if (woken.length > 0) this.deps.log.debug({ chainId, intents: woken }, "deposits seen");
    return to - from + 1n;
  }

  /**
   * The chain changed under the cursor: scan the last blocks again. Deposits are recorded once per
   * block hash, so those in the new blocks are found, and the ones only in the old blocks wake no
   * one (amounts are read from confirmed balances, and a fill reads the deposit again first).
   */
  private rewind(head: bigint, why: string): bigint {
    const cursor = this.cursor !== null && this.cursor < head ? this.cursor : head;
    this.deps.log.warn(
      { chainId: this.chain.chainId, why },
      "the chain changed under the deposit watcher; scanning again",
    );
    this.cursor = cursor > REORG_RESCAN ? cursor - REORG_RESCAN : -1n;
    this.cursorHash = null;
    return 0n;
  }

  /** The senders' nonce upkeep (`TxSender.keep`), run by the chain's one watcher about every second. */
  private async upkeep(): Promise<void> {
    // Paced by the process's own monotonic time: the engine's clock may be moved (tests do).
    if (performance.now() - this.lastUpkeep < NONCE_UPKEEP_MS) return;
    this.lastUpkeep = performance.now();
    const now = this.deps.clock.now();
    for (const sender of this.deps.senders.all()) {
      if (sender.chain.chainId !== this.chain.chainId) continue;
      await sender
        .keep(now)
        .catch((err: unknown) =>
          this.deps.log.warn(
            { chainId: this.chain.chainId, err: String(err) },
            "nonce upkeep failed; will try again",
          ),
        );
    }
  }

  private intentAt(address: string | undefined): string | undefined {
    return address ? this.addresses.get(address.toLowerCase()) : undefined;
  }

  private async tokenTransfers(fromBlock: bigint, toBlock: bigint): Promise<NewDeposit[]> {
    const tokens = this.chain.tokens.filter((t) => !t.native).map((t) => t.address);
    if (tokens.length === 0 || this.addresses.size === 0) return [];
    const logs = await this.deps.chains.transferLogs(this.chain.chainId, tokens, fromBlock, toBlock);
    return logs.flatMap((log) => {
      const intentId = this.intentAt(log.to);
      if (!intentId) return [];
      return [
        {
          intent_id: intentId,
          chain_id: this.chain.chainId,
          block_number: log.blockNumber,
          block_hash: log.blockHash,
          tx_hash: log.transactionHash,
          log_index: log.logIndex,
          token: log.token,
          from_address: log.from,
          amount: log.value.toString(),
          at: this.deps.clock.now(),
        },
      ];
    });
  }

  /** Native coin has no logs: look at each block's transactions for value sent to a deposit address. */
  private async nativeTransfers(fromBlock: bigint, toBlock: bigint): Promise<NewDeposit[]> {
    if (this.addresses.size === 0) return [];
    const { chainId } = this.chain;
    const found: NewDeposit[] = [];
    for (let n = fromBlock; n <= toBlock; n++) {
      const block = await this.deps.chains.blockWithTransactions(chainId, n);
      for (const tx of block.transactions) {
        const intentId = this.intentAt(tx.to ?? undefined);
        if (!intentId || tx.value === 0n || !block.hash) continue;
        const receipt = await this.deps.chains.receipt(chainId, tx.hash);
        // A node that lists the transaction in a block but has no receipt is behind: scan again later.
        if (!receipt) throw new Error(`chain ${chainId}: no receipt yet for ${tx.hash} in block ${n}`);
        if (receipt.status !== "success") continue;
        found.push({
          intent_id: intentId,
          chain_id: chainId,
          block_number: n,
          block_hash: block.hash,
          tx_hash: tx.hash,
          log_index: -1,
          token: zeroAddress as Address,
          from_address: tx.from,
          amount: tx.value.toString(),
          at: this.deps.clock.now(),
        });
      }
    }
    return found;
  }
}
