import type { Logger } from "pino";
import { createTransport, type EIP1193RequestFn, RpcRequestError, type Transport } from "viem";
import WebSocket from "ws";

export interface SocketTiming {
  /** How long a request waits for its answer over the socket before it is asked over HTTP. */
  timeoutMs: number;
  /** After the socket closed, or failed to open, how long until it is opened again. */
  reopenMs: number;
  /** How often the open socket is pinged; one ping unanswered until the next closes it. */
  pingMs: number;
}

const TIMING: SocketTiming = { timeoutMs: 10_000, reopenMs: 5_000, pingMs: 10_000 };

/**
 * JSON-RPC error codes a node answers when it could not serve the request (not a verdict on the
 * request itself): viem's HTTP transport asks again on these, so the socket hands them to HTTP.
 */
const NODE_TROUBLE = new Set([-1, -32005, -32603]);

/** The socket did not answer the request (not open, dropped it, too slow, or the node was in trouble). */
export class SocketUnavailable extends Error {}

interface Pending {
  body: { id: number; method: string; params: unknown };
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * JSON-RPC over one WebSocket to a node, kept open: each request is a frame each way, with no HTTP
 * request, response and connection bookkeeping per call. The socket is used only once it has said
 * it serves `chainId` (a WebSocket URL set for another chain must not answer for this one). A
 * request fails with `SocketUnavailable` (for its caller to ask over HTTP) while the socket is not
 * open, when it closes before the answer, when the answer is late (the socket is then closed: a
 * node that stopped answering must not make every later request wait) and when the node answers
 * that it is in trouble. A closed socket is opened again every `reopenMs`; `close` ends it for good.
 */
export class SocketRpc {
  private socket: WebSocket | null = null;
  private open = false;
  private closed = false;
  /** Why the attempt to open the socket under way failed, once it did. */
  private failure: string | null = null;
  /** Attempts failed since the socket was last open, and that was said (once for them all). */
  private failing = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private reopen: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private readonly timing: SocketTiming;

  constructor(
    private readonly url: string,
    private readonly chainId: number,
    private readonly log: Logger,
    timing: Partial<SocketTiming> = {},
  ) {
    this.timing = { ...TIMING, ...timing };
    this.connect();
  }

  /** Whether requests go over the socket now. */
  get isOpen(): boolean {
    return this.open;
  }

  request(method: string, params: unknown): Promise<unknown> {
    const socket = this.socket;
    // A socket closing drops what is sent on it: that request would wait out its timeout.
    if (!this.open || socket?.readyState !== WebSocket.OPEN)
      return Promise.reject(new SocketUnavailable(`${this.url} is not open`));
    return this.exchange(socket, method, params);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reopen);
    this.socket?.terminate();
  }

  private exchange(socket: WebSocket, method: string, params: unknown): Promise<unknown> {
    const body = { jsonrpc: "2.0", id: this.nextId++, method, params };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(body.id);
        reject(new SocketUnavailable(`${this.url} did not answer ${method} in ${this.timing.timeoutMs} ms`));
        this.hangUp(socket, `no answer to ${method} in ${this.timing.timeoutMs} ms`);
      }, this.timing.timeoutMs).unref();
      this.pending.set(body.id, { body, resolve, reject, timer });
      socket.send(JSON.stringify(body), (err) => {
        if (err)
          this.settle(body.id, new SocketUnavailable(`${this.url} did not take ${method}: ${err.message}`));
      });
    });
  }

  /** Ends the request `id` with `answer` (a result, or an error to reject it with), if it still waits. */
  private settle(id: number, answer: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (answer instanceof Error) pending.reject(answer);
    else pending.resolve(answer);
  }

  private connect(): void {
    if (this.closed) return;
    // A node that takes the connection but never answers the handshake is tried again later.
    const socket = new WebSocket(this.url, { handshakeTimeout: this.timing.timeoutMs });
    this.socket = socket;
    this.failure = null;
    socket.on("open", () => {
      this.keepAlive(socket);
      void this.checkChain(socket);
    });
    socket.on("message", (data) => this.answer(String(data)));
    // "close" follows every error, and is where the socket is let go.
    socket.on("error", (err) => {
      this.failure ??= err.message;
      socket.terminate();
    });
    socket.on("close", () => this.lost(socket));
  }

  /** Pings the socket; one ping unanswered by the next closes it. */
  private keepAlive(socket: WebSocket): void {
    let alive = true;
    socket.on("pong", () => {
      alive = true;
    });
    this.pinger = setInterval(() => {
      if (!alive) return this.hangUp(socket, `no answer to a ping in ${this.timing.pingMs} ms`);
      alive = false;
      socket.ping();
    }, this.timing.pingMs).unref();
  }

  /** Opens the socket to requests if its node serves this chain; hangs up otherwise. */
  private async checkChain(socket: WebSocket): Promise<void> {
    const served = await this.exchange(socket, "eth_chainId", []).catch((err: Error) => err);
    if (served instanceof Error) this.hangUp(socket, `eth_chainId not answered: ${served.message}`);
    else if (Number(served) === this.chainId) {
      if (this.socket !== socket) return;
      this.open = true;
      if (this.failing) this.log.info({ url: this.url }, "JSON-RPC over WebSocket again");
      else this.log.debug({ url: this.url }, "JSON-RPC over WebSocket");
      this.failing = false;
    } else {
      // A configuration error: said (once) until it is mended, HTTP meanwhile.
      this.hangUp(
        socket,
        `the endpoint serves chain ${String(served)}, not ${this.chainId}; check chains[].wsUrl`,
      );
    }
  }

  /**
   * Closes `socket` (if it is still the one in use and not closed already), saying why: now if it
   * was open, as the failed attempt's reason otherwise.
   */
  private hangUp(socket: WebSocket, why: string): void {
    if (this.socket !== socket || socket.readyState === WebSocket.CLOSED) return;
    if (this.open)
      this.log.warn({ url: this.url, why }, "JSON-RPC socket closed; over HTTP until it reopens");
    else this.failure = why;
    this.open = false;
    socket.terminate();
  }

  private answer(text: string): void {
    let message: { id?: unknown; result?: unknown; error?: { code: number; message: string } };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const pending = typeof message.id === "number" ? this.pending.get(message.id) : undefined;
    if (!pending) return;
    const { error } = message;
    const { body } = pending;
    if (!error) this.settle(body.id, message.result);
    else if (NODE_TROUBLE.has(error.code))
      this.settle(
        body.id,
        new SocketUnavailable(`${this.url} could not serve ${body.method}: ${error.message}`),
      );
    else this.settle(body.id, new RpcRequestError({ body, error, url: this.url }));
  }

  /** The socket closed: what waited on it is not answered, and it is opened again later. */
  private lost(socket: WebSocket): void {
    if (this.socket !== socket) return;
    clearInterval(this.pinger);
    this.socket = null;
    // Not hung up here, not closed for good: the node closed it.
    if (this.open && !this.closed)
      this.log.warn({ url: this.url }, "JSON-RPC socket lost; over HTTP until it reopens");
    else if (!this.open && !this.closed && !this.failing) {
      // Said once for a run of failed attempts (a node down, a wrong URL), not every reopenMs.
      this.failing = true;
      this.log.warn(
        { url: this.url, why: this.failure ?? "the socket closed" },
        `JSON-RPC socket could not be opened; over HTTP, trying again every ${this.timing.reopenMs} ms`,
      );
    }
    this.open = false;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new SocketUnavailable(`${this.url} closed before answering`));
    }
    this.pending.clear();
    if (!this.closed) this.reopen = setTimeout(() => this.connect(), this.timing.reopenMs).unref();
  }
}

/**
 * Each request over `rpc` while its socket answers, and over `overHttp` (with its retries and
 * fallback endpoints) when it does not. A JSON-RPC error is an answer either way: a call that
 * reverts is not asked again over HTTP.
 */
export function socketFirst(rpc: SocketRpc, overHttp: Transport): Transport {
  return (config) => {
    const http = overHttp(config);
    return createTransport({
      key: "socketFirst",
      name: "WebSocket, else HTTP",
      type: "socketFirst",
      retryCount: 0,
      request: (async ({ method, params }: { method: string; params?: unknown }) => {
        try {
          return await rpc.request(method, params);
        } catch (err) {
          if (err instanceof SocketUnavailable) return http.request({ method, params } as never);
          throw err;
        }
      }) as EIP1193RequestFn,
    });
  };
}
