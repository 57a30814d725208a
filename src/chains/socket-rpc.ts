import { createTransport, type EIP1193RequestFn, RpcRequestError, TimeoutError, type Transport } from "viem";
import WebSocket from "ws";

/** How long a request waits for its answer over the socket. */
const TIMEOUT_MS = 10_000;
/** After the socket closed, or failed to open, how long until it is opened again. */
const REOPEN_MS = 5_000;

/** The socket is not open, or closed before the answer came: the request was not answered. */
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
 * it serves `chainId` (a WebSocket URL set for another chain must not answer for this one). While
 * it is not open (opening, closed, refused, another chain) a request fails at once with
 * `SocketUnavailable`, and the socket is opened again every `reopenMs`; `close` ends it for good.
 */
export class SocketRpc {
  private socket: WebSocket | null = null;
  private open = false;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private reopen: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly chainId: number,
    private readonly reopenMs = REOPEN_MS,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {
    this.connect();
  }

  /** Whether requests go over the socket now. */
  get isOpen(): boolean {
    return this.open;
  }

  request(method: string, params: unknown): Promise<unknown> {
    const socket = this.socket;
    if (!this.open || !socket) return Promise.reject(new SocketUnavailable(`${this.url} is not open`));
    return this.exchange(socket, method, params);
  }

  private exchange(socket: WebSocket, method: string, params: unknown): Promise<unknown> {
    const body = { jsonrpc: "2.0", id: this.nextId++, method, params };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(body.id);
        reject(new TimeoutError({ body, url: this.url }));
      }, this.timeoutMs);
      this.pending.set(body.id, { body, resolve, reject, timer });
      socket.send(JSON.stringify(body));
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reopen);
    this.socket?.terminate();
  }

  private connect(): void {
    if (this.closed) return;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.on("open", () => void this.checkChain(socket));
    socket.on("message", (data) => this.answer(String(data)));
    // "close" follows every error, and is where the socket is let go.
    socket.on("error", () => socket.terminate());
    socket.on("close", () => this.lost(socket));
  }

  /** Opens the socket to requests if its node serves this chain; hangs up otherwise. */
  private async checkChain(socket: WebSocket): Promise<void> {
    const served = await this.exchange(socket, "eth_chainId", []).catch(() => null);
    if (this.socket !== socket) return;
    if (served !== null && Number(served) === this.chainId) this.open = true;
    else socket.terminate();
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
    this.pending.delete(pending.body.id);
    clearTimeout(pending.timer);
    if (message.error)
      pending.reject(new RpcRequestError({ body: pending.body, error: message.error, url: this.url }));
    else pending.resolve(message.result);
  }

  /** The socket closed: what waited on it is not answered, and it is opened again later. */
  private lost(socket: WebSocket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.open = false;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new SocketUnavailable(`${this.url} closed before answering`));
    }
    this.pending.clear();
    if (!this.closed) this.reopen = setTimeout(() => this.connect(), this.reopenMs).unref();
  }
}

/**
 * Each request over `rpc` while its socket is open, and over `overHttp` when it is not (or closed
 * before answering). A JSON-RPC error is an answer either way: a call that reverts is not asked
 * again over HTTP.
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
