import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createPublicClient, http } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { until } from "../../test/support/until.ts";
import { SocketRpc, socketFirst } from "./socket-rpc.ts";

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

type Reply = (request: { id: number; method: string }) => object | "hang up";

/** A JSON-RPC node over WebSocket on `port` (0: any), answering as `reply` says. */
async function socketNode(reply: Reply, port = 0): Promise<{ url: string; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  wss.on("connection", (socket) =>
    socket.on("message", (data) => {
      const request = JSON.parse(String(data)) as { id: number; method: string };
      const answer = reply(request);
      if (answer === "hang up") socket.terminate();
      else socket.send(JSON.stringify({ jsonrpc: "2.0", id: request.id, ...answer }));
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
  });

  async function clientOf(wsUrl: string, reopenMs = 5_000) {
    const node = await httpNode();
    const rpc = new SocketRpc(wsUrl, 1, reopenMs);
    cleanups.push(
      () => new Promise((resolve) => node.server.close(resolve)),
      () => rpc.close(),
    );
    const client = createPublicClient({ transport: socketFirst(rpc, http(node.url, { retryCount: 0 })) });
    const opened = () => until(async () => rpc.isOpen, Boolean, "the socket open", 10_000);
    return { client, asked: node.asked, opened };
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
    const { client, asked, opened } = await clientOf(`ws://127.0.0.1:${port}`, 50);
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
  });

  it("never asks a socket whose node serves another chain", async () => {
    let askedThere = 0;
    const node = await socketNode(() => {
      askedThere++;
      return { result: "0x5" };
    });
    cleanups.push(() => stopSocketNode(node.wss));
    const { client, asked } = await clientOf(node.url, 50);
    await until(
      async () => askedThere,
      (n) => n >= 2,
      "the socket opened twice",
    );
    expect(await client.getChainId()).toBe(2);
    expect(asked()).toBe(1);
  });
});
