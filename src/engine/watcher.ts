import { type Address, type Hex, zeroAddress } from "viem";
import type { TransferLog } from "../chains/gateway.ts";
import type { BlockHeader, HeadFollower } from "../chains/heads.ts";
import type { RuntimeChain } from "../chains/registry.ts";
import { intentsAt, type NewDeposit, readCursor, writeCursor } from "../store/deposits.ts";
import { followAnnouncements } from "./announcements.ts";
import type { EngineDeps } from "./ports.ts";
import { TxSender } from "./sender.ts";

/** Blocks per scan, so a long outage catches up in bounded requests. */
const MAX_RANGE = 500n;
/** Where a chain never scanned before starts: a little history, not all of it. */
const INITIAL_LOOKBACK = 100n;
/** Blocks scanned again when the chain changed under the cursor (a reorg, a node that lost state). */
const REORG_RESCAN = 64n;
/**
 * How often the chain's senders' nonces are looked after: the transactions a block did not settle
 * (stuck behind a gap, waiting to be replaced after `replaceAfterSeconds`, forgotten by a node).
 * Each look costs a node call and a query per sender, so an idle chain does not look every second.
 */
const NONCE_UPKEEP_MS = 3_000;
/**
 * How long a watcher may pass over empty blocks without its chores: writing its cursor (which only
 * spares a restart some blocks to scan again) and looking at announced deposits (for those past
 * their time, and a mined one whose receipt the node did not have yet at its block).
 */
const EMPTY_BLOCK_CHORES_MS = 10_000;
/** How many blocks, up to the cursor, the token transfers are read again, and how often. */
const LOOK_BACK_BLOCKS = 128n;
const LOOK_BACK_MS = 10_000;

/** A transaction with value in a scanned block: native coin, perhaps into a deposit address. */
interface NativeTransfer {
  blockNumber: bigint;
  blockHash: Hex;
  hash: Hex;
  from: Address;
  to: Address;
  value: bigint;
}

/**
 * Finds transfers into deposit addresses on one chain (those of the intents of every chain that
 * shares its DepositFactory's address): ERC-20 `Transfer` logs of the listed tokens and
 * native-coin transactions, block by block from a cursor kept in the database. Each find is
 * recorded once (block hash, transaction, log index) and wakes its intent; amounts are decided
 * later from confirmed balances, so a reorg that drops a block only leaves a stale record.
 *
 * It keeps no deposit address in memory: each scanned range's candidate recipients are looked up
 * in the database in one indexed query, so its memory does not grow with the number of quotes.
 */
export class DepositWatcher {
  /** The last block scanned; null until read from the database. */
  private cursor: bigint | null = null;
  /** The hash of the block at the cursor, once this watcher has scanned it. */
  private cursorHash: Hex | null = null;
  private lastUpkeep = Number.NEGATIVE_INFINITY;
  private lastChores = Number.NEGATIVE_INFINITY;
  private lastLookBack = Number.NEGATIVE_INFINITY;
  private readonly heads: HeadFollower;

  constructor(
    private readonly deps: EngineDeps,
    private readonly chain: RuntimeChain,
    /** How often the last blocks' token transfers are read again (LOOK_BACK_MS; tests shorten it). */
    private readonly lookBackMs = LOOK_BACK_MS,
  ) {
    this.heads = deps.chains.followHeads(chain.chainId);
  }

  /**
   * Until the chain's next block (announced by the node, or polled for), or the next upkeep, when
   * a transaction stuck behind a nonce gap may need seeing to whether or not blocks come.
   */
  waitForBlock(signal: AbortSignal): Promise<void> {
    return this.heads.next(NONCE_UPKEEP_MS, signal);
  }

  close(): void {
    this.heads.close();
  }

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

  /**
   * Scans the blocks after the cursor up to the head (bounded); returns how many blocks it covered.
   * The senders' upkeep comes after: a transaction it settles has already woken its intent here
   * (only transactions still pending wake their intents at a new block). It runs whether or not a
   * block came: a transaction stuck behind a nonce gap mines none.
   */
  async scanOnce(): Promise<bigint> {
    try {
      return await this.scan();
    } finally {
      await this.upkeep();
      await this.lookBack().catch((err: unknown) =>
        this.deps.log.warn(
          { chainId: this.chain.chainId, err: String(err) },
          "look-back failed; will try again",
        ),
      );
    }
  }

  /**
   * Reads the token transfers of the last LOOK_BACK_BLOCKS blocks again, every `lookBackMs`. A
   * node behind the head it reported (another replica behind a load balancer, the HTTP fallback of
   * a WebSocket endpoint) may answer for a range it has not seen with no logs rather than an error,
   * and the cursor would pass a deposit for good; the second read finds it. Each transfer is
   * recorded once, so one found again changes nothing. Native coin needs no second read: a block
   * the node lacks is an error, not an empty answer.
   */
  private async lookBack(): Promise<void> {
    if (this.cursor === null || performance.now() - this.lastLookBack < this.lookBackMs) return;
    this.lastLookBack = performance.now();
    const to = this.cursor;
    const from = to >= LOOK_BACK_BLOCKS ? to - LOOK_BACK_BLOCKS + 1n : 0n;
    const deposits = await this.depositsIn(from, to, false);
    if (deposits.length === 0) return;
    const found = await this.deps.store.commit(this.deps.clock.now(), (uow) => uow.recordDeposits(deposits));
    if (found.length > 0) {
      this.deps.log.warn(
        { chainId: this.chain.chainId, intents: found },
        "deposits found on a second look at the last blocks (a node had answered without them)",
      );
    }
  }

  private async scan(): Promise<bigint> {
    const { chainId } = this.chain;
    // The next block, when the node announced it empty: nothing in it to read, nor to ask about.
    // Any other block is read from the RPC node, and only up to the head that node reports (a
    // WebSocket endpoint may be ahead of it, and a range it has not seen would read as empty).
    const announced = this.heads.latest();
    const next = this.cursor === null ? null : this.cursor + 1n;
    const empty = announced?.empty && announced.number === next ? announced : null;
    const head = empty?.number ?? (await this.deps.chains.head(chainId));
    // The database's cursor is read once; from then on this watcher is its only writer, so a poll
    // that finds no new block costs one RPC call and no query.
    this.cursor ??= (await readCursor(this.deps.store.db, chainId)) ?? head - INITIAL_LOOKBACK;
    if (this.cursor > head) return this.rewind(head, `the head ${head} is below the cursor ${this.cursor}`);
    const from = this.cursor + 1n > 0n ? this.cursor + 1n : 0n;
    if (from > head) return 0n;
    const first = empty ?? (await this.deps.chains.blockLink(chainId, from));
    if (this.cursorHash !== null && first.parentHash !== this.cursorHash) {
      return this.rewind(head, `block ${from} does not follow the block ${this.cursor} scanned before`);
    }
    const to = head < from + MAX_RANGE - 1n ? head : from + MAX_RANGE - 1n;
    if (empty && this.passOver(empty)) return 1n;
    this.lastChores = performance.now();
    const deposits = empty ? [] : await this.depositsIn(from, to);
    const woken = await this.deps.store.commit(this.deps.clock.now(), async (uow) => {
      const woken = await uow.recordDeposits(deposits);
      await writeCursor(uow.trx, chainId, to);
      // A new block is what a transaction in flight or a deposit short of confirmations waits for.
      await uow.wakeBlockWaiters({ chainId, from, to, confirmations: this.chain.confirmations });
      return woken;
    });
    this.cursor = to;
    this.cursorHash = to === from ? first.hash : (await this.deps.chains.blockLink(chainId, to)).hash;
    if (woken.length > 0) this.deps.log.debug({ chainId, intents: woken }, "deposits seen");
    // Deposits announced before they were mined are acted on once they are (a new block is when).
    await followAnnouncements(this.deps, chainId);
    return to - from + 1n;
  }

  /**
   * Whether the next block, announced empty, needs nothing from the database: it mines no
   * transaction and holds no deposit, so nobody waits for it, unless a deposit of an earlier block
   * counts one more confirmation with it (a chain that asks for more than one). An idle chain then
   * costs no query per block, only the chores every EMPTY_BLOCK_CHORES_MS.
   */
  private passOver(block: BlockHeader): boolean {
    if (this.chain.confirmations > 1) return false;
    if (performance.now() - this.lastChores >= EMPTY_BLOCK_CHORES_MS) return false;
    this.cursor = block.number;
    this.cursorHash = block.hash;
    return true;
  }

  /**
   * The chain changed under the cursor: scan the last blocks again. Deposits are recorded once per
   * block hash, so those in the new blocks are found, and the ones only in the old blocks wake no
   * one (amounts are read from confirmed balances, and a fill reads the deposit again first). The
   * cursor is written at once: intent steps wait while a node's head is below it.
   */
  private async rewind(head: bigint, why: string): Promise<bigint> {
    const cursor = this.cursor !== null && this.cursor < head ? this.cursor : head;
    this.deps.log.warn(
      { chainId: this.chain.chainId, why },
      "the chain changed under the deposit watcher; scanning again",
    );
    this.cursor = cursor > REORG_RESCAN ? cursor - REORG_RESCAN : -1n;
    this.cursorHash = null;
    await writeCursor(this.deps.store.db, this.chain.chainId, this.cursor);
    return 0n;
  }

  /** The senders' nonce upkeep (`TxSender.keep`), run by the chain's one watcher every NONCE_UPKEEP_MS. */
  private async upkeep(): Promise<void> {
    // Paced by the process's own monotonic time: the engine's clock may be moved (tests do).
    if (performance.now() - this.lastUpkeep < NONCE_UPKEEP_MS) return;
    this.lastUpkeep = performance.now();
    const senders = this.deps.senders.all().filter((s) => s.chain.chainId === this.chain.chainId);
    await TxSender.keepAll(senders, this.deps.clock.now()).catch((err: unknown) =>
      this.deps.log.warn(
        { chainId: this.chain.chainId, err: String(err) },
        "nonce upkeep failed; will try again",
      ),
    );
  }

  /**
   * The transfers into deposit addresses in blocks `from`..`to` (token transfers only, unless
   * `native`): the candidates (token transfers, transactions with value) are read first, then whose deposit addresses they reached, in one
   * query. That query comes after the head was read: every transfer in a block up to it was made
   * to an address already quoted, so it is found.
   */
  private async depositsIn(from: bigint, to: bigint, native = true): Promise<NewDeposit[]> {
    const logs = await this.tokenTransfers(from, to);
    const natives = native ? await this.nativeTransfers(from, to) : [];
    const recipients = [...logs.map((l) => l.to), ...natives.map((n) => n.to)];
    const intents = await intentsAt(this.deps.store.db, this.originChains, recipients);
    const intentAt = (address: string) => intents.get(address.toLowerCase());
    return [
      ...logs.flatMap((log) => this.tokenDeposit(log, intentAt(log.to))),
      ...(await this.nativeDeposits(natives, intentAt)),
    ];
  }

  private tokenTransfers(fromBlock: bigint, toBlock: bigint): Promise<TransferLog[]> {
    const tokens = this.chain.tokens.filter((t) => !t.native).map((t) => t.address);
    if (tokens.length === 0) return Promise.resolve([]);
    return this.deps.chains.transferLogs(this.chain.chainId, tokens, fromBlock, toBlock);
  }

  private tokenDeposit(log: TransferLog, intentId: string | undefined): NewDeposit[] {
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
  }

  /** Native coin has no logs: each block's transactions that send value to some address. */
  private async nativeTransfers(fromBlock: bigint, toBlock: bigint): Promise<NativeTransfer[]> {
    const found: NativeTransfer[] = [];
    for (let n = fromBlock; n <= toBlock; n++) {
      const block = await this.deps.chains.blockWithTransactions(this.chain.chainId, n);
      if (!block.hash) continue;
      for (const tx of block.transactions) {
        if (!tx.to || tx.value === 0n) continue;
        found.push({
          blockNumber: n,
          blockHash: block.hash,
          hash: tx.hash,
          from: tx.from,
          to: tx.to,
          value: tx.value,
        });
      }
    }
    return found;
  }

  /** The native transfers into deposit addresses that succeeded (checked against their receipts). */
  private async nativeDeposits(
    natives: readonly NativeTransfer[],
    intentAt: (address: string) => string | undefined,
  ): Promise<NewDeposit[]> {
    const { chainId } = this.chain;
    const found: NewDeposit[] = [];
    for (const tx of natives) {
      const intentId = intentAt(tx.to);
      if (!intentId) continue;
      const receipt = await this.deps.chains.receipt(chainId, tx.hash);
      // A node that lists the transaction in a block but has no receipt is behind: scan again later.
      if (!receipt)
        throw new Error(`chain ${chainId}: no receipt yet for ${tx.hash} in block ${tx.blockNumber}`);
      if (receipt.status !== "success") continue;
      found.push({
        intent_id: intentId,
        chain_id: chainId,
        block_number: tx.blockNumber,
        block_hash: tx.blockHash,
        tx_hash: tx.hash,
        log_index: -1,
        token: zeroAddress as Address,
        from_address: tx.from,
        amount: tx.value.toString(),
        at: this.deps.clock.now(),
      });
    }
    return found;
  }
}
