import { pino } from "pino";
import { createPublicClient, createWalletClient, defineChain, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SubscribedHeads } from "../../src/chains/heads.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { type AnvilProcess, startAnvil } from "../../src/devnet/anvil.ts";
import { mine } from "../../src/devnet/anvil-rpc.ts";

/** A real node (anvil, automine on; `mine` makes an empty block) announcing its blocks over WebSocket. */
let anvil: AnvilProcess;
const chain = defineChain({
  id: 31_338,
  name: "heads test",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["http://unused"] } },
});
const log = pino({ level: "silent" });
const POLL_MS = 5_000;
const never = new AbortController().signal;

beforeAll(async () => {
  anvil = await startAnvil({ chainId: 31_338, port: 0, accounts: 2, balance: 10 });
});
afterAll(() => anvil?.stop());

const client = () => createPublicClient({ chain, transport: http(anvil.rpcUrl) });

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("SubscribedHeads", () => {
  it("wakes at each new block with its header, empty or not, long before its timeout", async () => {
    const heads = new SubscribedHeads(anvil.rpcUrl.replace("http", "ws"), 31_338, POLL_MS, log);
    try {
      await until(() => heads.subscribed);
      await heads.next(0, never); // the subscription's confirmation woke nobody: not a block
      // An empty block.
      let started = performance.now();
      const woke = heads.next(POLL_MS, never);
      await mine(client());
      await woke;
      expect(performance.now() - started).toBeLessThan(POLL_MS / 2);
      const empty = await client().getBlock();
      await until(() => heads.latest()?.number === empty.number);
      expect(heads.latest()).toEqual({
        number: empty.number,
        hash: empty.hash,
        parentHash: empty.parentHash,
        empty: true,
      });
      // A block with a transaction.
      started = performance.now();
      const next = heads.next(POLL_MS, never);
      const wallet = createWalletClient({
        chain,
        transport: http(anvil.rpcUrl),
        account: privateKeyToAccount(devnetAccount(0).privateKey),
      });
      const hash = await wallet.sendTransaction({ to: devnetAccount(1).address, value: 1n });
      await next;
      expect(performance.now() - started).toBeLessThan(POLL_MS / 2);
      // Automine mines it after eth_sendRawTransaction answers: its receipt says in which block.
      const full = await client().waitForTransactionReceipt({ hash, pollingInterval: 20 });
      await until(() => heads.latest()?.number === full.blockNumber);
      expect(heads.latest()).toEqual({
        number: full.blockNumber,
        hash: full.blockHash,
        parentHash: empty.hash,
        empty: false,
      });
    } finally {
      heads.close();
    }
  });

  it("a block announced while nobody waits (the watcher was scanning) ends the next wait at once", async () => {
    const heads = new SubscribedHeads(anvil.rpcUrl.replace("http", "ws"), 31_338, POLL_MS, log);
    try {
      await until(() => heads.subscribed);
      await heads.next(50, never); // whatever came before
      await mine(client());
      const mined = (await client().getBlock()).number;
      await until(() => heads.latest()?.number === mined);
      const started = performance.now();
      await heads.next(POLL_MS, never);
      expect(performance.now() - started).toBeLessThan(POLL_MS / 2);
      // A wait already aborted ends at once too.
      const aborted = new AbortController();
      aborted.abort();
      const again = performance.now();
      await heads.next(POLL_MS, aborted.signal);
      expect(performance.now() - again).toBeLessThan(POLL_MS / 2);
    } finally {
      heads.close();
    }
  });

  it("an endpoint of another chain is not followed: it polls, takes no header from it, and says why", async () => {
    const said: string[] = [];
    const capture = pino({ level: "warn" }, { write: (line: string) => said.push(line) });
    const heads = new SubscribedHeads(anvil.rpcUrl.replace("http", "ws"), 1, 200, capture);
    try {
      await mine(client());
      await new Promise((r) => setTimeout(r, 500));
      expect(heads.subscribed).toBe(false);
      expect(heads.latest()).toBeNull();
      expect(said).toHaveLength(1);
      expect(said[0]).toContain("new-block subscription could not be set up; polling");
      expect(said[0]).toContain("the endpoint serves chain 0x7a6a, not 1; check chains[].wsUrl");
    } finally {
      heads.close();
    }
  });

  it("with no node to subscribe to, it polls: each wait ends at the poll interval, with no header", async () => {
    const heads = new SubscribedHeads("ws://127.0.0.1:9", 31_338, 200, log);
    try {
      const started = performance.now();
      await heads.next(10_000, never);
      const waited = performance.now() - started;
      expect(waited).toBeLessThan(5_000);
      expect(heads.subscribed).toBe(false);
      expect(heads.latest()).toBeNull();
    } finally {
      heads.close();
    }
  });

  it("when its node goes away, falls back to polling at once", async () => {
    const other = await startAnvil({ chainId: 31_339, port: 0, accounts: 1, balance: 1 });
    const heads = new SubscribedHeads(other.rpcUrl.replace("http", "ws"), 31_339, 300, log);
    try {
      await until(() => heads.subscribed);
      const waiting = heads.next(60_000, never);
      await other.stop();
      await waiting;
      expect(heads.subscribed).toBe(false);
      expect(heads.latest()).toBeNull();
      const started = performance.now();
      await heads.next(60_000, never);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      heads.close();
    }
  });
});
