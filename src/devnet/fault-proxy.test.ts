import { once } from "node:events";
import type { AddressInfo } from "node:net";
import {
  BaseError,
  createPublicClient,
  createWalletClient,
  type Hex,
  HttpRequestError,
  http,
  keccak256,
  RpcRequestError,
  TimeoutError,
  TransactionReceiptNotFoundError,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { until } from "../../test/support/until.ts";
import { devnetAccount } from "./accounts.ts";
import { type AnvilProcess, startAnvil } from "./anvil.ts";
import { mine } from "./anvil-rpc.ts";
import { type FaultProxy, type Faults, startFaultProxy } from "./fault-proxy.ts";

let anvil: AnvilProcess;
let proxy: FaultProxy;

beforeAll(async () => {
  anvil = await startAnvil({ chainId: foundry.id, port: 0, accounts: 2, balance: 1000 });
  proxy = await startFaultProxy({ upstream: anvil.rpcUrl, seed: 1 });
});
afterAll(async () => {
  await proxy?.close();
  await anvil?.stop();
});

const direct = () => createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });

/** A client of the shared proxy with `faults` set; no retries, so each call is one request. */
function through(faults: Faults, options: { timeout?: number; batch?: boolean } = {}) {
  proxy.setFaults(faults);
  return createPublicClient({ chain: foundry, transport: http(proxy.url, { retryCount: 0, ...options }) });
}

/** A signed transfer from anvil's first account, for the next nonce. */
async function signedTransfer(): Promise<Hex> {
  const wallet = createWalletClient({
    account: privateKeyToAccount(devnetAccount(0).privateKey),
    chain: foundry,
    transport: http(anvil.rpcUrl),
  });
  const request = await wallet.prepareTransactionRequest({ to: devnetAccount(1).address, value: 1n });
  return wallet.signTransaction(request);
}

/** The viem error `call` fails with. */
async function failure(call: Promise<unknown>): Promise<BaseError> {
  const err = await call.then(
    () => expect.fail("the call succeeded"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BaseError);
  return err as BaseError;
}

describe("fault proxy", () => {
  it("passes requests through when it has no faults", async () => {
    const before = proxy.stats();
    const client = through({});
    expect(await client.getChainId()).toBe(foundry.id);
    expect(await client.getBlockNumber()).toBe(await direct().getBlockNumber());
    const after = proxy.stats();
    expect(after.forwarded - before.forwarded).toBe(2);
    expect(after.faults).toEqual(before.faults);
  });

  it("drop: never answers, so the client times out", async () => {
    const err = await failure(through({ drop: 1 }, { timeout: 200 }).getBlockNumber());
    expect(err.walk((e) => e instanceof TimeoutError)).toBeTruthy();
  });

  it("delay: answers correctly, late", async () => {
    const client = through({ delay: 1, delayMs: [150, 200] });
    const started = performance.now();
    expect(await client.getChainId()).toBe(foundry.id);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it("http429: answers 429 with Retry-After and a JSON-RPC error", async () => {
    const err = await failure(through({ http429: 1, retryAfterSeconds: 7 }).getBlockNumber());
    // viem keeps a non-2xx answer's status and headers on the RPC error its body holds.
    const rpc = err.walk((e) => e instanceof RpcRequestError) as RpcRequestError;
    expect([rpc.status, rpc.code]).toEqual([429, -32005]);
    expect(rpc.headers?.get("retry-after")).toBe("7");
  });

  it("http5xx: answers 502 or 503", async () => {
    const err = await failure(through({ http5xx: 1 }).getBlockNumber());
    const http = err.walk((e) => e instanceof HttpRequestError) as HttpRequestError;
    expect([502, 503]).toContain(http.status);
  });

  it("reset: resets the connection", async () => {
    const err = await failure(through({ reset: 1 }).getBlockNumber());
    expect(err.walk((e) => (e as { code?: string }).code === "ECONNRESET")).toBeTruthy();
  });

  it("staleHead: reports a head behind the node's and hides receipts above it", async () => {
    const node = direct();
    for (let i = 0; i < 3; i++) await mine(node);
    const hash = await node.sendRawTransaction({ serializedTransaction: await signedTransfer() });
    const head = await node.getBlockNumber();
    const client = through({ staleHead: 1, staleBlocks: 3 });
    expect(await client.getBlockNumber()).toBe(head - 3n);
    expect((await client.getBlock({ blockTag: "latest" })).number).toBe(head - 3n);
    await expect(client.getTransactionReceipt({ hash })).rejects.toThrow(TransactionReceiptNotFoundError);
    for (let i = 0; i < 3; i++) await mine(node);
    expect((await client.getTransactionReceipt({ hash })).blockNumber).toBe(head);
  });

  it("staleHead: rewrites each call of a batch", async () => {
    const head = await direct().getBlockNumber();
    const client = through({ staleHead: 1, staleBlocks: 2 }, { batch: true });
    const forwarded = proxy.stats().forwarded;
    const [number, block] = await Promise.all([client.getBlockNumber(), client.getBlock()]);
    expect(proxy.stats().forwarded - forwarded).toBe(1);
    expect([number, block.number]).toEqual([head - 2n, head - 2n]);
  });

  it("lyingSend: the send fails for the client, but the transaction is mined", async () => {
    const serializedTransaction = await signedTransfer();
    const err = await failure(through({ lyingSend: 1 }).sendRawTransaction({ serializedTransaction }));
    expect(err.walk((e) => (e as { code?: number }).code === -32000)).toBeTruthy();
    // Mined even so (the node may still be taking it in when the lie reaches the client).
    const receipt = await direct().waitForTransactionReceipt({
      hash: keccak256(serializedTransaction),
      timeout: 10_000,
    });
    expect(receipt.status).toBe("success");
  });

  it("targets the methods named, and spares the methods exempted", async () => {
    const sendsOnly = through({ http429: 1, onlyMethods: ["eth_sendRawTransaction"] });
    expect(await sendsOnly.getChainId()).toBe(foundry.id);
    await failure(sendsOnly.sendRawTransaction({ serializedTransaction: await signedTransfer() }));
    const sparingChainId = through({ http5xx: 1, exemptMethods: ["eth_chainId"] });
    expect(await sparingChainId.getChainId()).toBe(foundry.id);
    await failure(sparingChainId.getBlockNumber());
  });

  it("refuses probabilities that add up to more than 1", () => {
    expect(() => proxy.setFaults({ drop: 0.6, reset: 0.6 })).toThrow(/more than 1/);
  });

  it("chooses the same faults for the same seed", async () => {
    const statuses = async (seed: number) => {
      const own = await startFaultProxy({
        upstream: anvil.rpcUrl,
        seed,
        faults: { http429: 0.3, http5xx: 0.3 },
      });
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) {
        const body = JSON.stringify({ jsonrpc: "2.0", id: i, method: "eth_chainId", params: [] });
        seen.push((await fetch(own.url, { method: "POST", body })).status);
      }
      await own.close();
      return seen;
    };
    const first = await statuses(7);
    expect(await statuses(7)).toEqual(first);
    expect(await statuses(8)).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 429, 502, 503]));
  });

  it("close ends held requests at once", async () => {
    const own = await startFaultProxy({ upstream: anvil.rpcUrl, seed: 1, faults: { drop: 1 } });
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    const held = fetch(own.url, { method: "POST", body });
    await expect.poll(() => own.stats().forwarded).toBe(1);
    const started = performance.now();
    await own.close();
    await expect(held).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

type Message = { id?: number; method?: string; result?: unknown; error?: { code: number } };

/** A WebSocket to the shared proxy with `faults` set, and what came back over it. */
async function socketThrough(faults: Faults) {
  proxy.setFaults(faults);
  const socket = new WebSocket(proxy.url.replace(/^http/, "ws"));
  await once(socket, "open");
  const messages: Message[] = [];
  socket.on("message", (data) => messages.push(JSON.parse(String(data)) as Message));
  let nextId = 0;
  /** Sends one call; its answer, or undefined if none came within `ms`. */
  const ask = async (method: string, params: unknown[] = [], ms = 5_000) => {
    const id = ++nextId;
    socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return until(
      async () => messages.find((m) => m.id === id),
      (m) => m !== undefined,
      `the answer to ${method}`,
      ms,
    ).catch(() => undefined);
  };
  return { socket, messages, ask };
}

describe("fault proxy over WebSocket", () => {
  it("relays calls and the node's subscription notifications when it has no faults", async () => {
    const { socket, messages, ask } = await socketThrough({});
    expect((await ask("eth_chainId"))?.result).toBe(`0x${foundry.id.toString(16)}`);
    expect(typeof (await ask("eth_subscribe", ["newHeads"]))?.result).toBe("string");
    await mine(direct());
    await until(
      async () => messages.some((m) => m.method === "eth_subscription"),
      Boolean,
      "a new-head notification",
    );
    socket.terminate();
  });

  it("drop: the call reaches the node, its answer never comes", async () => {
    const { socket, ask } = await socketThrough({ drop: 1 });
    const forwarded = proxy.stats().forwarded;
    expect(await ask("eth_blockNumber", [], 300)).toBeUndefined();
    expect(proxy.stats().forwarded - forwarded).toBe(1);
    socket.terminate();
  });

  it("http429 and http5xx: answered with the JSON-RPC errors a node's socket gives", async () => {
    const limited = await socketThrough({ http429: 1 });
    expect((await limited.ask("eth_blockNumber"))?.error?.code).toBe(-32005);
    limited.socket.terminate();
    const failing = await socketThrough({ http5xx: 1 });
    expect((await failing.ask("eth_blockNumber"))?.error?.code).toBe(-32603);
    failing.socket.terminate();
  });

  it("reset: both sockets are closed", async () => {
    const { socket, ask } = await socketThrough({ reset: 1 });
    const closed = once(socket, "close");
    expect(await ask("eth_blockNumber", [], 300)).toBeUndefined();
    await closed;
  });

  it("a ping is answered by the node behind the proxy, not by the proxy", async () => {
    for (const pongs of [true, false]) {
      const node = new WebSocketServer({ port: 0, host: "127.0.0.1", autoPong: pongs });
      await once(node, "listening");
      const relay = await startFaultProxy({
        upstream: `http://127.0.0.1:${(node.address() as AddressInfo).port}`,
        seed: 1,
      });
      const socket = new WebSocket(relay.url.replace(/^http/, "ws"));
      await once(socket, "open");
      await until(async () => node.clients.size, Boolean, "the proxy's socket to the node");
      // The proxy's end of that socket opens a moment after the node's.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const pong = once(socket, "pong").then(() => true);
      socket.ping();
      const answered = await Promise.race([pong, new Promise((resolve) => setTimeout(resolve, 300, false))]);
      expect(answered).toBe(pongs);
      socket.terminate();
      await relay.close();
      for (const client of node.clients) client.terminate();
      await new Promise((resolve) => node.close(resolve));
    }
  });

  it("staleHead and lyingSend rewrite the answers as over HTTP", async () => {
    const stale = await socketThrough({ staleHead: 1, staleBlocks: 2 });
    const head = await direct().getBlockNumber();
    expect((await stale.ask("eth_blockNumber"))?.result).toBe(`0x${(head - 2n).toString(16)}`);
    stale.socket.terminate();
    const lying = await socketThrough({ lyingSend: 1 });
    const raw = await signedTransfer();
    expect((await lying.ask("eth_sendRawTransaction", [raw]))?.error?.code).toBe(-32000);
    const receipt = await direct().waitForTransactionReceipt({ hash: keccak256(raw), timeout: 10_000 });
    expect(receipt.status).toBe("success");
    lying.socket.terminate();
  });
});
