import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Hex } from "viem";
import WebSocket from "ws";

/** A block as the node announced it: enough to link it to the one before and to skip it if empty. */
export interface BlockHeader {
  number: bigint;
  hash: Hex;
  parentHash: Hex;
  /** It holds no transaction (so no transfer and no log). */
  empty: boolean;
}

/**
 * How a chain's deposit watcher waits for the next block: `next` resolves when one arrives (or
 * may have), at `timeoutMs` at the latest, or when `signal` aborts. `latest` is the newest block
 * announced while the subscription is up; null when polling (ask the node).
 */
export interface HeadFollower {
  next(timeoutMs: number, signal: AbortSignal): Promise<void>;
  latest(): BlockHeader | null;
  close(): void;
}

/** Polling: the next block is looked for every `pollMs`. */
export const pollingHeads = (pollMs: number): HeadFollower => ({
  next: (timeoutMs, signal) => sleep(Math.min(timeoutMs, pollMs), undefined, { signal }).catch(() => {}),
  latest: () => null,
  close: () => {},
});

/** The root of an empty transactions trie: the header of a block without transactions has it. */
const EMPTY_TRIE_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";

/** After the subscription fails, how long until it is tried again (polling meanwhile). */
const RESUBSCRIBE_MS = 5_000;
/** A socket that answers no ping for this long is taken for dead. */
const PING_MS = 10_000;

/**
 * The node's own announcement of each new block: a JSON-RPC `eth_subscribe("newHeads")` over
 * WebSocket, so a block is acted on the moment it exists and an idle chain costs nothing. While the
 * subscription is down (not yet confirmed, the socket closed, a ping unanswered) it polls every
 * `pollMs` like `pollingHeads`, and subscribes again after RESUBSCRIBE_MS.
 */
export class SubscribedHeads implements HeadFollower {
  private readonly waiters = new Set<() => void>();
  /** A block announced while nobody waited (the watcher was scanning): the next wait ends at once. */
  private missed = false;
  private socket: WebSocket | null = null;
  private live = false;
  private header: BlockHeader | null = null;
  private closed = false;
  /** Attempts failed since the subscription was last up, and that was said (once for them all). */
  private failing = false;
  private retry: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    /** The chain the endpoint must serve: a WebSocket URL set for another chain is not followed. */
    private readonly chainId: number,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {
    this.subscribe();
  }

  /** Whether blocks are announced now (otherwise `next` polls). */
  get subscribed(): boolean {
    return this.live;
  }

  latest(): BlockHeader | null {
    return this.live ? this.header : null;
  }

  next(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.missed || signal.aborted) {
      this.missed = false;
      return Promise.resolve();
    }
    const wait = this.live ? timeoutMs : Math.min(timeoutMs, this.pollMs);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      this.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.down(null);
  }

  private wake(): void {
    if (this.waiters.size === 0) this.missed = true;
    for (const done of [...this.waiters]) done();
  }

  private subscribe(): void {
    if (this.closed) return;
    // A node that takes the connection but never answers the handshake is tried again later.
    const socket = new WebSocket(this.url, { handshakeTimeout: PING_MS });
    this.socket = socket;
    let alive = true;
    socket.on("open", () => {
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: 0, method: "eth_chainId", params: [] }));
      this.pinger = setInterval(() => {
        if (!alive) return this.down(new Error(`no answer to a ping in ${PING_MS} ms`));
        if (!this.live) return this.down(new Error(`not subscribed ${PING_MS} ms after connecting`));
        alive = false;
        socket.ping();
      }, PING_MS).unref();
    });
    socket.on("pong", () => {
      alive = true;
    });
    socket.on("message", (data) => {
      const message = parse(data.toString());
      if (message?.id === 0) {
        if (message.error !== undefined) return this.down(new Error(JSON.stringify(message.error)));
        if (message.result !== `0x${this.chainId.toString(16)}`) {
          // A configuration error: said (once) until it is mended, polling meanwhile.
          const why = `the endpoint serves chain ${String(message.result)}, not ${this.chainId}; check chains[].wsUrl`;
          return this.down(new Error(why));
        }
        socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
        return;
      }
      if (message?.id === 1) {
        if (typeof message.result !== "string") return this.down(new Error(JSON.stringify(message.error)));
        this.live = true;
        if (this.failing) this.log.info({ url: this.url }, "following new blocks by subscription again");
        else this.log.debug({ url: this.url }, "following new blocks by subscription");
        this.failing = false;
      }
      // The newest announcement, even at a lower height: after a reorg it is the chain's head.
      const header = headerOf(message?.params?.result);
      if (header) this.header = header;
      // A block, or the confirmation: either way, whoever waits looks at the chain now.
      this.wake();
    });
    socket.on("error", (err) => this.down(err));
    socket.on("close", () => this.down(new Error("the socket closed")));
  }

  /** The subscription is gone: poll (waiters wake to do so now), and subscribe again later. */
  private down(err: Error | null): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    clearInterval(this.pinger);
    socket.removeAllListeners();
    socket.on("error", () => {});
    socket.terminate();
    if (this.live && err)
      this.log.warn({ url: this.url, err: err.message }, "new-block subscription lost; polling");
    else if (!this.live && err && !this.closed && !this.failing) {
      // Said once for a run of failed attempts (a node down, a wrong URL), not every RESUBSCRIBE_MS.
      this.failing = true;
      this.log.warn(
        { url: this.url, err: err.message },
        `new-block subscription could not be set up; polling, trying again every ${RESUBSCRIBE_MS} ms`,
      );
    }
    this.live = false;
    this.header = null;
    this.wake();
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.subscribe(), RESUBSCRIBE_MS).unref();
  }
}

/** A `newHeads` notification's block, or null if it is not one. */
function headerOf(raw: unknown): BlockHeader | null {
  const h = raw as {
    number?: unknown;
    hash?: unknown;
    parentHash?: unknown;
    transactionsRoot?: unknown;
  } | null;
  if (typeof h?.number !== "string" || typeof h.hash !== "string" || typeof h.parentHash !== "string")
    return null;
  return {
    number: BigInt(h.number),
    hash: h.hash as Hex,
    parentHash: h.parentHash as Hex,
    empty: h.transactionsRoot === EMPTY_TRIE_ROOT,
  };
}

function parse(
  text: string,
): { id?: unknown; result?: unknown; error?: unknown; params?: { result?: unknown } } | null {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
