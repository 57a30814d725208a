import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { createPublicClient, http } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { until } from "../../test/support/until.ts";
import { SocketRpc, type SocketTiming, socketFirst } from "./socket-rpc.ts";

/** A JSON-RPC node over HTTP answering chain id 2 to everything asked, counting requests. */
async function httpNode(): Promise<{ url: string; asked: () => number; server: Server }> {
  let asked = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      asked++;
      const { id } = JSON.parse(body) as { id: number };
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ jsonrpc: "2.0", id, result: "0x2" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked: () => asked, server };
}

type Reply = (request: { id: number; method: string }) => object | "hang up" | "silence";

/**
 * A JSON-RPC node over WebSocket on `port` (0: any), answering as `reply` says, and answering
 * pings unless `pongs` is false.
 */
async function socketNode(
  reply: Reply,
  port = 0,
  pongs = true,
): Promise<{ url: string; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ port, host: "127.0.0.1", autoPong: pongs });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  wss.on("connection", (socket) =>
    socket.on("message", (data) => {
      const request = JSON.parse(String(data)) as { id: number; method: string };
      const answer = reply(request);
      if (answer === "hang up") socket.terminate();
      else if (answer !== "silence")
        socket.send(JSON.stringify({ jsonrpc: "2.0", id: request.id, ...answer }));
    }),
  );
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, wss };
}

/** Stops a node made by `socketNode`, hanging up on its clients. */
function stopSocketNode(wss: WebSocketServer): Promise<unknown> {
  for (const client of wss.clients) client.terminate();
  return new Promise((resolve) => wss.close(resolve));
}

const chainIdOne: Reply = (r) =>
  r.method === "eth_chainId" ? { result: "0x1" } : { error: { code: 3, message: "execution reverted" } };

describe("JSON-RPC over a WebSocket, else HTTP", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    logged.length = 0;
  });

  /** What the sockets logged, one JSON line each. */
  const logged: string[] = [];
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    }),
  );

  async function clientOf(wsUrl: string, timing: Partial<SocketTiming> = {}) {
    const node = await httpNode();
    const rpc = new SocketRpc(wsUrl, 1, log, timing);
    cleanups.push(
      () => new Promise((resolve) => node.server.close(resolve)),
      () => rpc.close(),
    );
    const client = createPublicClient({
      cacheTime: 0,
      transport: socketFirst(rpc, http(node.url, { retryCount: 0 })),
    });
    const opened = () => until(async () => rpc.isOpen, Boolean, "the socket open", 10_000);
    return { client, asked: node.asked, opened, rpc };
  }

  it("asks over the socket once it is open; a JSON-RPC error there is the answer, not asked again over HTTP", async () => {
    const node = await socketNode(chainIdOne);
    cleanups.push(() => stopSocketNode(node.wss));
    const { client, asked, opened } = await clientOf(node.url);
    await opened();
    expect(await client.getChainId()).toBe(1);
    await expect(
      client.getBalance({ address: "0x0000000000000000000000000000000000000001" }),
    ).rejects.toThrow(/execution reverted/);
    expect(asked()).toBe(0);
  });

  it("asks over HTTP while the socket is not open, and over the socket again once it reopens", async () => {
    const placeholder = await socketNode(chainIdOne);
    const port = (placeholder.wss.address() as AddressInfo).port;
    await stopSocketNode(placeholder.wss);
    const { client, asked, opened } = await clientOf(`ws://127.0.0.1:${port}`, { reopenMs: 50 });
    expect(await client.getChainId()).toBe(2);
    expect(asked()).toBe(1);
    const node = await socketNode(chainIdOne, port);
    cleanups.push(() => stopSocketNode(node.wss));
    await opened();
    expect(await client.getChainId()).toBe(1);
    expect(asked()).toBe(1);
  });

  it("asks over HTTP what the socket dropped unanswered", async () => {
    const node = await socketNode((r) => (r.method === "eth_chainId" ? { result: "0x1" } : "hang up"));
    cleanups.push(() => stopSocketNode(node.wss));
    const { client, asked, opened } = await clientOf(node.url);
    await opened();
    expect(await client.getBlockNumber()).toBe(2n);
    expect(asked()).toBe(1);
    expect(logged.some((line) => line.includes("JSON-RPC socket lost"))).toBe(true);
  });

  it("never asks a socket whose node serves another chain", async () => {
    let askedThere = 0;
    const node = await socketNode(() => {
      askedThere++;
      return { result: "0x5" };
    });
    cleanups.push(() => stopSocketNode(node.wss));
    const { client, asked } = await clientOf(node.url, { reopenMs: 50 });
    await until(
      async () => askedThere,
      (n) => n >= 2,
      "the socket opened twice",
    );
    expect(await client.getChainId()).toBe(2);
    expect(asked()).toBe(1);
    expect(logged.some((line) => line.includes("the endpoint serves chain 0x5, not 1"))).toBe(true);
  });

  it("asks over HTTP what the socket leaves unanswered too long, and closes it until it reopens", async () => {
    let silent = true;
    const node = await socketNode((r) =>
      r.method === "eth_chainId" ? { result: "0x1" } : silent ? "silence" : { result: "0x7" },
    );
    cleanups.push(() => stopSocketNode(node.wss));
    const { client, asked, opened, rpc } = await clientOf(node.url, { timeoutMs: 200, reopenMs: 300 });
    await opened();
    expect(await client.getBlockNumber()).toBe(2n);
    expect(asked()).toBe(1);
    expect(rpc.isOpen).toBe(false);
    expect(logged.some((line) => line.includes("no answer to eth_blockNumber in 200 ms"))).toBe(true);
    silent = false;
    await opened();
    expect(await client.getBlockNumber()).toBe(7n);
    expect(asked()).toBe(1);
  });

  it("gives up on a handshake left unanswered, and tries again later", async () => {
    let connections = 0;
    const silent = createNetServer((socket) => {
      connections++;
      cleanups.push(() => socket.destroy());
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    const port = (silent.address() as AddressInfo).port;
    const { client, asked } = await clientOf(`ws://127.0.0.1:${port}`, { timeoutMs: 100, reopenMs: 50 });
    await until(
      async () => connections,
      (n) => n >= 2,
      "a second connection",
    );
    expect(await client.getChainId()).toBe(2);
    expect(asked()).toBe(1);
  });

  it("hangs up when the node answers eth_chainId with an error, and opens again later", async () => {
    let first = true;
    const node = await socketNode((r) => {
      if (r.method !== "eth_chainId") return { result: "0x7" };
      if (!first) return { result: "0x1" };
      first = false;
      return { error: { code: -32603, message: "bad gateway" } };
    });
    cleanups.push(() => stopSocketNode(node.wss));
    const { client, asked, opened } = await clientOf(node.url, { reopenMs: 50 });
    await opened();
    expect(await client.getBlockNumber()).toBe(7n);
    expect(asked()).toBe(0);
    expect(logged.some((line) => line.includes("eth_chainId not answered"))).toBe(true);
  });

  it("closes a socket that answers no ping", async () => {
    const node = await socketNode(chainIdOne, 0, false);
    cleanups.push(() => stopSocketNode(node.wss));
    const { client, asked, opened, rpc } = await clientOf(node.url, { pingMs: 50 });
    await opened();
    await until(
      async () => rpc.isOpen,
      (open) => !open,
      "the socket closed",
    );
    expect(await client.getChainId()).toBe(2);
    expect(asked()).toBe(1);
  });

  it("says once that the socket cannot be opened, however often it tries, and when it is open again", async () => {
    const placeholder = await socketNode(chainIdOne);
    const port = (placeholder.wss.address() as AddressInfo).port;
    await stopSocketNode(placeholder.wss);
    const { client, opened } = await clientOf(`ws://127.0.0.1:${port}`, { reopenMs: 20 });
    const failures = () => logged.filter((line) => line.includes("JSON-RPC socket could not be opened"));
    await until(async () => failures().length, Boolean, "the failure said");
    // Many more attempts, each refused.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(failures()).toHaveLength(1);
    expect(failures()[0]).toContain("ECONNREFUSED");
    const node = await socketNode(chainIdOne, port);
    cleanups.push(() => stopSocketNode(node.wss));
    await opened();
    expect(await client.getChainId()).toBe(1);
    expect(logged.some((line) => line.includes("JSON-RPC over WebSocket again"))).toBe(true);
  });

  it("asks over HTTP at once while the node is closing the socket (what is sent then is dropped)", async () => {
    const node = await socketNode((r) => (r.method === "eth_gasPrice" ? { result: "0x9" } : chainIdOne(r)));
    // After answering eth_gasPrice the node closes the socket and reads no more, so the client's
    // socket stays closing (its close frame unread) until the node's own close timeout, 30 s.
    node.wss.on("connection", (socket) =>
      socket.on("message", (data) => {
        if (!String(data).includes("eth_gasPrice")) return;
        socket.close();
        (socket as unknown as { _socket: { pause(): void } })._socket.pause();
      }),
    );
    cleanups.push(() => stopSocketNode(node.wss));
    // A request the socket dropped would wait this long: longer than the test may take.
    const { client, asked, opened } = await clientOf(node.url, { timeoutMs: 60_000 });
    await opened();
    expect(await client.getGasPrice()).toBe(9n);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await client.getBlockNumber()).toBe(2n);
    expect(asked()).toBe(1);
    // Dropped, it would be answered only once the socket closed, 20 s or more from now.
  }, 10_000);

  it("asks over HTTP what the node said it could not serve (as viem's HTTP transport asks again)", async () => {
    const node = await socketNode((r) =>
      r.method === "eth_chainId" ? { result: "0x1" } : { error: { code: -32005, message: "limit exceeded" } },
    );
    cleanups.push(() => stopSocketNode(node.wss));
    const { client, asked, opened, rpc } = await clientOf(node.url);
    await opened();
    expect(await client.getBlockNumber()).toBe(2n);
    expect(asked()).toBe(1);
    expect(rpc.isOpen).toBe(true);
  });
});
