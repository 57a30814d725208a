import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import { text } from "node:stream/consumers";
import { setTimeout as sleep } from "node:timers/promises";
import { type Hex, hexToBigInt, toHex } from "viem";
import { WebSocket, WebSocketServer } from "ws";
import { z } from "zod";

/**
 * A JSON-RPC proxy that misbehaves on purpose, for tests and chaos runs. Put in front of a node,
 * it makes the failures real RPC providers make: answers lost, late answers, rate limits, gateway
 * errors, reset connections, a node lagging behind, an error for a transaction that went through.
 * Each HTTP request's fault is chosen by a seeded PRNG, so a run can be replayed.
 *
 * A fault applies to a whole HTTP request, a batch included, when any of its calls is targeted
 * (`onlyMethods`, `exemptMethods`); staleHead and lyingSend rewrite only the targeted calls in it.
 *
 * WebSocket connections are relayed to the node's WebSocket endpoint, and each JSON-RPC call sent
 * over one draws its fault as an HTTP request does, in the same sequence: drop (the answer never
 * comes), delay, rate limit and gateway error (answered with JSON-RPC errors -32005 and -32603, as
 * a node's WebSocket says them), reset (both sockets closed), staleHead, lyingSend. The node's
 * subscription notifications pass untouched.
 */

/** In the order they share each request's draw (`pickFault`). */
export const faultKinds = ["drop", "delay", "http429", "http5xx", "reset", "staleHead", "lyingSend"] as const;
export type FaultKind = (typeof faultKinds)[number];

const chance = z.number().min(0).max(1).default(0);
const ms = z.number().int().min(0);

const faultsSchema = z
  .object({
    /** Forwards the request but never answers: the client waits until it gives up. */
    drop: chance,
    /** Answers correctly, `delayMs` later. */
    delay: chance,
    /** Answers 429 with a Retry-After header, without forwarding. */
    http429: chance,
    /** Answers 502 or 503, without forwarding. */
    http5xx: chance,
    /** Resets the connection without forwarding. */
    reset: chance,
    /** Answers as a node `staleBlocks` behind the head would. */
    staleHead: chance,
    /** Forwards `eth_sendRawTransaction` but answers with an error. */
    lyingSend: chance,
    delayMs: z
      .tuple([ms, ms])
      .refine(([min, max]) => min <= max, "delayMs: the minimum is above the maximum")
      .default([50, 500]),
    staleBlocks: z.number().int().min(0).default(3),
    retryAfterSeconds: z.number().int().min(0).default(1),
    /** When set, only requests calling one of these methods get faults. */
    onlyMethods: z.array(z.string()).optional(),
    /** Methods that never get faults (e.g. the anvil_* calls a test sets its chain up with). */
    exemptMethods: z.array(z.string()).default([]),
  })
  .strict()
  // Each request gets at most one fault, so the chances share one unit.
  .refine((f) => faultKinds.reduce((sum, kind) => sum + f[kind], 0) <= 1 + 1e-9, {
    message: "the fault probabilities add up to more than 1",
  });

/** Probabilities per fault kind (0 when left out) and the faults' parameters. */
export type Faults = z.input<typeof faultsSchema>;
type FaultSettings = z.output<typeof faultsSchema>;

export interface FaultStats {
  /** Requests received: HTTP requests, and messages over WebSocket. */
  requests: number;
  /** Requests passed on to the node (all but those answered 429 or 5xx, or reset). */
  forwarded: number;
  /** Requests each fault was chosen for. */
  faults: Record<FaultKind, number>;
}

export interface FaultProxyOptions {
  /** The node's JSON-RPC URL. */
  upstream: string;
  seed: number;
  /** No faults when left out: a plain pass-through. */
  faults?: Faults;
  /** 0 or left out picks a free port. */
  port?: number;
}

export interface FaultProxy {
  url: string;
  stats(): FaultStats;
  /** Replaces the faults for requests from now on; `{}` makes the proxy a plain pass-through. */
  setFaults(faults: Faults): void;
  /** Stops listening and drops every connection, held ones included. */
  close(): Promise<void>;
}

const rpcCall = z.looseObject({
  id: z.unknown(),
  method: z.string(),
  params: z.array(z.unknown()).optional(),
});
const rpcReply = z.looseObject({
  id: z.unknown(),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
});
const requestBody = z.union([rpcCall, z.array(rpcCall)]);
const replyBody = z.union([rpcReply, z.array(rpcReply)]);
const minedReceipt = z.object({ blockNumber: z.string() });

type RpcCall = z.infer<typeof rpcCall>;
type RpcReply = z.infer<typeof rpcReply>;
type RequestBody = z.infer<typeof requestBody>;

interface Answer {
  status: number;
  body: string;
}

/** How a fault changes the calls on their way to the node and the replies on their way back. */
interface Rewrite {
  call?(call: RpcCall): RpcCall;
  reply(call: RpcCall, reply: RpcReply): RpcReply;
}

interface ProxyState {
  upstream: string;
  signal: AbortSignal;
  counts: FaultStats;
}

/** mulberry32: a tiny seeded PRNG, ample for choosing faults, and the same sequence for a seed. */
function mulberry32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The fault for a request whose draw is `u` in [0, 1): the kinds share [0, 1) in order, each a
 * slice as wide as its probability, and the rest means none. Where `u` fell inside its slice is
 * again uniform in [0, 1), so the fault's own choices (how long a delay, 502 or 503) come from the
 * same draw and a request's fate depends only on its place in the sequence.
 */
function pickFault(faults: FaultSettings, u: number): { kind: FaultKind; within: number } | null {
  let start = 0;
  for (const kind of faultKinds) {
    const end = start + faults[kind];
    if (u < end) return { kind, within: (u - start) / (end - start) };
    start = end;
  }
  return null;
}

function targeted(faults: FaultSettings, method: string): boolean {
  return (faults.onlyMethods?.includes(method) ?? true) && !faults.exemptMethods.includes(method);
}

function parseAs<T>(schema: z.ZodType<T>, json: string): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function mapOneOrMany<T>(items: T | T[], map: (item: T) => T): T | T[] {
  return Array.isArray(items) ? items.map(map) : map(items);
}

const callsOf = (body: RequestBody): RpcCall[] => (Array.isArray(body) ? body : [body]);

function post(proxy: ProxyState, body: string): Promise<Response> {
  return fetch(proxy.upstream, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal: proxy.signal,
  });
}

async function forward(proxy: ProxyState, body: string): Promise<Answer> {
  proxy.counts.forwarded++;
  const response = await post(proxy, body);
  return { status: response.status, body: await response.text() };
}

/** Forwards `request` with the targeted calls and their replies rewritten. */
async function forwardRewritten(
  proxy: ProxyState,
  faults: FaultSettings,
  request: RequestBody,
  rewrite: Rewrite,
): Promise<Answer> {
  const rewrites = (call: RpcCall) => targeted(faults, call.method);
  const sent = mapOneOrMany(request, (call) => (rewrites(call) && rewrite.call ? rewrite.call(call) : call));
  const answer = await forward(proxy, JSON.stringify(sent));
  const replies = parseAs(replyBody, answer.body);
  if (!replies) return answer;
  // A batch's replies may come in any order; the id tells which call each answers.
  const callById = new Map(callsOf(request).map((call) => [call.id, call]));
  const rewritten = mapOneOrMany(replies, (reply) => {
    const call = callById.get(reply.id);
    return call && rewrites(call) ? rewrite.reply(call, reply) : reply;
  });
  return { status: answer.status, body: JSON.stringify(rewritten) };
}

/** The head of a node `lag` blocks behind the upstream one. */
async function laggingHead(proxy: ProxyState, lag: number): Promise<bigint> {
  const response = await post(
    proxy,
    JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
  );
  const head = hexToBigInt(((await response.json()) as { result: Hex }).result);
  return head > BigInt(lag) ? head - BigInt(lag) : 0n;
}

function minedAfter(receipt: unknown, head: bigint): boolean {
  const parsed = minedReceipt.safeParse(receipt);
  return parsed.success && hexToBigInt(parsed.data.blockNumber as Hex) > head;
}

/** A node whose head is `head`: the number it reports, the latest block it serves, the receipts it has. */
function laggingNode(head: bigint): Rewrite {
  return {
    call: (call) =>
      call.method === "eth_getBlockByNumber" && call.params?.[0] === "latest"
        ? { ...call, params: [toHex(head), ...call.params.slice(1)] }
        : call,
    reply: (call, reply) => {
      if (reply.error !== undefined) return reply;
      if (call.method === "eth_blockNumber") return { ...reply, result: toHex(head) };
      if (call.method === "eth_getTransactionReceipt" && minedAfter(reply.result, head))
        return { ...reply, result: null };
      return reply;
    },
  };
}

function rpcError(id: unknown, code: number, message: string): RpcReply {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

/** The send reached the node, but the client is told it failed: it must not send it again blindly. */
const lyingSend: Rewrite = {
  reply: (call, reply) =>
    call.method === "eth_sendRawTransaction" ? rpcError(reply.id, -32000, "internal error") : reply,
};

function send(res: ServerResponse, answer: Answer, headers: Record<string, string> = {}): void {
  res.writeHead(answer.status, { "content-type": "application/json", ...headers }).end(answer.body);
}

function rateLimited(res: ServerResponse, faults: FaultSettings, request: RequestBody): void {
  const error = rpcError(Array.isArray(request) ? null : request.id, -32005, "rate limited");
  send(
    res,
    { status: 429, body: JSON.stringify(error) },
    { "retry-after": String(faults.retryAfterSeconds) },
  );
}

function gatewayError(res: ServerResponse, status: 502 | 503): void {
  res.writeHead(status, { "content-type": "text/plain" }).end(STATUS_CODES[status]);
}

async function serve(
  proxy: ProxyState,
  faults: FaultSettings,
  draw: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await text(req);
  const request = parseAs(requestBody, body);
  const fault =
    request && callsOf(request).some((call) => targeted(faults, call.method))
      ? pickFault(faults, draw)
      : null;
  if (fault) proxy.counts.faults[fault.kind]++;
  // A body that is not JSON-RPC goes through as it is, for the node to refuse in its own words.
  if (!request || !fault) return send(res, await forward(proxy, body));
  const [min, max] = faults.delayMs;
  switch (fault.kind) {
    case "drop":
      await forward(proxy, body); // the answer is lost; `close` ends the held request
      return;
    case "delay":
      await sleep(min + Math.floor(fault.within * (max - min + 1)), undefined, { signal: proxy.signal });
      return send(res, await forward(proxy, body));
    case "http429":
      return rateLimited(res, faults, request);
    case "http5xx":
      return gatewayError(res, fault.within < 0.5 ? 502 : 503);
    case "reset":
      req.socket.resetAndDestroy();
      return;
    case "staleHead": {
      const head = await laggingHead(proxy, faults.staleBlocks);
      return send(res, await forwardRewritten(proxy, faults, request, laggingNode(head)));
    }
    case "lyingSend":
      return send(res, await forwardRewritten(proxy, faults, request, lyingSend));
  }
}

/** A call sent on over a relayed socket, and what becomes of its answer. */
interface Relayed {
  call: RpcCall;
  /** The answer is lost. */
  drop?: boolean;
  rewrite?: Rewrite;
}

/**
 * Relays `client` to the node's WebSocket endpoint, each call with the fault drawn for it
 * (`draw`, on arrival, with the faults of that moment). A batch passes untouched: Junction sends
 * none over a socket.
 */
function relaySocket(
  proxy: ProxyState,
  client: WebSocket,
  draw: () => { faults: FaultSettings; u: number },
): WebSocket {
  const upstream = new WebSocket(proxy.upstream.replace(/^http/, "ws"));
  const early: string[] = [];
  const relayed = new Map<unknown, Relayed>();
  const hangUp = () => {
    client.terminate();
    upstream.terminate();
  };
  const sendUp = (text: string) => {
    proxy.counts.forwarded++;
    if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
    else early.push(text);
  };
  upstream.on("open", () => {
    for (const text of early.splice(0)) upstream.send(text);
  });
  upstream.on("message", (data) => {
    const text = String(data);
    const reply = parseAs(rpcReply, text);
    const sent = reply?.id === undefined ? undefined : relayed.get(reply.id);
    if (!reply || !sent) return client.send(text);
    relayed.delete(reply.id);
    if (sent.drop) return;
    client.send(sent.rewrite ? JSON.stringify(sent.rewrite.reply(sent.call, reply)) : text);
  });
  for (const socket of [client, upstream]) {
    socket.on("error", hangUp);
    socket.on("close", hangUp);
  }
  // The node answers the client's pings, not the proxy: a node that stopped answering looks so.
  client.on("ping", (data) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.ping(data);
  });
  upstream.on("pong", (data) => {
    if (client.readyState === WebSocket.OPEN) client.pong(data);
  });
  client.on("message", (data) => {
    proxy.counts.requests++;
    const { faults, u } = draw();
    relayCall(proxy, faults, u, String(data), {
      sendUp,
      answer: (reply) => client.send(JSON.stringify(reply)),
      expect: (id, sent) => relayed.set(id, sent),
      hangUp,
    }).catch(hangUp);
  });
  return upstream;
}

async function relayCall(
  proxy: ProxyState,
  faults: FaultSettings,
  draw: number,
  text: string,
  to: {
    sendUp: (text: string) => void;
    answer: (reply: RpcReply) => void;
    expect: (id: unknown, sent: Relayed) => void;
    hangUp: () => void;
  },
): Promise<void> {
  const call = parseAs(rpcCall, text);
  const fault = call && targeted(faults, call.method) ? pickFault(faults, draw) : null;
  if (!call || !fault) return to.sendUp(text);
  proxy.counts.faults[fault.kind]++;
  const [min, max] = faults.delayMs;
  switch (fault.kind) {
    case "drop":
      to.expect(call.id, { call, drop: true });
      return to.sendUp(text);
    case "delay":
      await sleep(min + Math.floor(fault.within * (max - min + 1)), undefined, { signal: proxy.signal });
      return to.sendUp(text);
    case "http429":
      return to.answer(rpcError(call.id, -32005, "rate limited"));
    case "http5xx":
      return to.answer(rpcError(call.id, -32603, fault.within < 0.5 ? "bad gateway" : "service unavailable"));
    case "reset":
      return to.hangUp();
    case "staleHead": {
      const rewrite = laggingNode(await laggingHead(proxy, faults.staleBlocks));
      to.expect(call.id, { call, rewrite });
      return to.sendUp(JSON.stringify(rewrite.call?.(call) ?? call));
    }
    case "lyingSend":
      to.expect(call.id, { call, rewrite: lyingSend });
      return to.sendUp(text);
  }
}

function noFaults(): Record<FaultKind, number> {
  return Object.fromEntries(faultKinds.map((kind) => [kind, 0])) as Record<FaultKind, number>;
}

/** Starts the proxy on 127.0.0.1, in front of `upstream`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let faults = faultsSchema.parse(options.faults ?? {});
  const random = mulberry32(options.seed);
  const closing = new AbortController();
  const proxy: ProxyState = {
    upstream: options.upstream,
    signal: closing.signal,
    counts: { requests: 0, forwarded: 0, faults: noFaults() },
  };

  const server = createServer((req, res) => {
    proxy.counts.requests++;
    // Drawn on arrival, with the faults of that moment: the n-th request always gets the n-th draw.
    serve(proxy, faults, random(), req, res).catch((err: Error) => {
      if (closing.signal.aborted) return; // its connection went with the rest
      send(res, { status: 502, body: JSON.stringify({ error: `fault proxy: ${err.message}` }) });
    });
  });
  const sockets = new WebSocketServer({ noServer: true, autoPong: false });
  const upstreams = new Set<WebSocket>();
  server.on("upgrade", (req, socket, head) =>
    sockets.handleUpgrade(req, socket, head, (client) => {
      const upstream = relaySocket(proxy, client, () => ({ faults, u: random() }));
      upstreams.add(upstream);
      upstream.on("close", () => upstreams.delete(upstream));
    }),
  );
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");

  const shutdown = async () => {
    closing.abort();
    for (const socket of [...sockets.clients, ...upstreams]) socket.terminate();
    const closed = once(server, "close");
    server.close();
    server.closeAllConnections();
    await closed;
  };
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats: () => structuredClone(proxy.counts),
    setFaults: (next) => {
      faults = faultsSchema.parse(next);
    },
    close: () => {
      closed ??= shutdown();
      return closed;
    },
  };
}
