import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicClientFor } from "../../src/chains/clients.ts";
import type { ChainRegistry } from "../../src/chains/registry.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { mine } from "../../src/devnet/anvil-rpc.ts";
import type { EngineDeps } from "../../src/engine/ports.ts";
import { startWiredEngine, type WiredEngine } from "../support/wired-engine.ts";

/**
 * A transaction sender reading from a node that lags behind the one that mined its transaction: a
 * spent nonce with no receipt must not be taken for a dropped transaction (a paid sweep or a relayed
 * deposit taken for one that never happened).
 */
let w: WiredEngine;
let registry: ChainRegistry;
let d: EngineDeps;
/** Set, the node answers as one this many blocks behind would: no receipts in the newest blocks. */
let lagBlocks = 0n;
/** Set, Settlement reads as recording this intent filled from this block on. */
let filled: { intentId: string; from: bigint } | null = null;
beforeAll(async () => {
  w = await startWiredEngine((real) => ({
    receipt: async (chainId, hash) => {
      const receipt = await real.receipt(chainId, hash);
      if (!receipt) return null;
      return receipt.blockNumber > (await real.head(chainId)) - lagBlocks ? null : receipt;
    },
    isFilled: async (chainId, intentId, blockNumber) =>
      filled?.intentId === intentId && blockNumber !== undefined && blockNumber >= filled.from
        ? true
        : real.isFilled(chainId, intentId, blockNumber),
  }));
  ({ registry, deps: d } = w);
});
afterAll(() => w?.stop());

/**
 * A transaction of `kind` recorded (not sent) by the solver on the first chain for a new intent:
 * a self-transfer standing in for the real bytes, since what counts here is its kind and nonce.
 */
async function recorded(kind: "refund" | "fill") {
  const chain = registry.chains[0];
  if (!chain) throw new Error("no chain");
  const { intentId } = await w.quoteUsdc(devnetAccount(3).address);
  const sender = d.senders.of("solver", chain.chainId);
  const prepared = await sender.prepare();
  const row = await d.store.commit(new Date(), (uow) =>
    sender.record(uow, { intentId, kind, to: sender.address, data: "0x", gas: 21_000n }, prepared),
  );
  return { intentId, sender, row, client: publicClientFor(chain.viem) };
}

describe("TxSender.track, with a node that lags behind", () => {
  it("a mined transaction whose receipt the node lacks stays pending, then is found mined, never dropped", async () => {
    const { sender, row, client } = await recorded("refund");
    lagBlocks = 3n;
    try {
      await sender.broadcast(row); // automine: mined at once, in the newest block
      expect((await sender.track(row, new Date())).status).toBe("pending");
      for (let i = 0; i < 3; i++) await mine(client);
      // The nonce is spent, the receipt still missing here: a lagging node, not a dropped transaction.
      expect((await sender.track(row, new Date())).status).not.toBe("dropped");
      for (let i = 0; i < 8; i++) await mine(client);
      expect((await sender.track(row, new Date())).status).toBe("mined");
    } finally {
      lagBlocks = 0n;
    }
  });

  it("a fill Settlement records, its nonce spent long ago, is not taken for dropped while no node has its receipt", async () => {
    const { intentId, sender, row, client } = await recorded("fill");
    lagBlocks = 1_000n;
    try {
      await sender.broadcast(row);
      filled = { intentId, from: await client.getBlockNumber() };
      for (let i = 0; i < 10; i++) await mine(client);
      expect((await sender.track(row, new Date())).status).toBe("pending");
      // Without Settlement's record it is dropped, as before.
      filled = null;
      expect((await sender.track(row, new Date())).status).toBe("dropped");
    } finally {
      lagBlocks = 0n;
      filled = null;
    }
  });
});
