import pino from "pino";
import type { Address, TransactionReceipt } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registryFor } from "../../src/app.ts";
import { publicClientFor } from "../../src/chains/clients.ts";
import type { ChainRegistry } from "../../src/chains/registry.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { mine } from "../../src/devnet/anvil-rpc.ts";
import type { Engine } from "../../src/engine/engine.ts";
import type { EngineDeps } from "../../src/engine/ports.ts";
import { wireEngine } from "../../src/engine/wiring.ts";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { startTestDevnet, type TestDevnet } from "../support/devnet.ts";

/**
 * A transaction sender reading from a node that lags behind the one that mined its transaction: a
 * spent nonce with no receipt must not be taken for a dropped transaction (a paid sweep or a relayed
 * deposit taken for one that never happened).
 */
let net: TestDevnet;
let database: Database;
let registry: ChainRegistry;
let d: EngineDeps;
let engine: Engine;
/** Set, the node answers as one this many blocks behind would: no receipts in the newest blocks. */
let lagBlocks = 0n;
beforeAll(async () => {
  net = await startTestDevnet();
  database = await openDatabase({ kind: "pglite", dataDir: null, schema: "junction" });
  registry = registryFor(net.config, net.devnet);
  ({ engine, deps: d } = wireEngine(net.config, database.db, registry, pino({ level: "silent" }), {
    chains: (real) =>
      Object.assign(Object.create(real), {
        receipt: async (chainId: number, hash: `0x${string}`): Promise<TransactionReceipt | null> => {
          const receipt = await real.receipt(chainId, hash);
          if (!receipt) return null;
          return receipt.blockNumber > (await real.head(chainId)) - lagBlocks ? null : receipt;
        },
      }),
  }));
});
afterAll(async () => {
  await database?.close();
  await net?.stop();
});

describe("TxSender.track, with a node that lags behind", () => {
  it("a mined transaction whose receipt the node lacks stays pending, then is found mined, never dropped", async () => {
    const chain = registry.chains[0];
    if (!chain) throw new Error("no chain");
    const other = registry.chains[1];
    if (!other) throw new Error("no second chain");
    // Any intent will do: a transaction is recorded for one.
    const { intentId } = await engine.quote(
      {
        owner: devnetAccount(3).address,
        originChainId: chain.chainId,
        originToken: chain.tokens[0]?.address as Address,
        destinationChainId: other.chainId,
        destinationToken: other.tokens[0]?.address as Address,
        tradeType: "EXACT_INPUT",
        amount: 10_000_000n,
        slippagePpm: 5000n,
        raw: {},
      },
      null,
    );
    const sender = d.senders.of("solver", chain.chainId);
    const prepared = await sender.prepare();
    const row = await d.store.commit(new Date(), (uow) =>
      sender.record(
        uow,
        { intentId, kind: "refund", to: sender.address, data: "0x", gas: 21_000n },
        prepared,
      ),
    );
    lagBlocks = 3n;
    try {
      await sender.broadcast(row); // automine: mined at once, in the newest block
      expect((await sender.track(row, new Date())).status).toBe("pending");
      const client = publicClientFor(chain.viem);
      for (let i = 0; i < 3; i++) await mine(client);
      // The nonce is spent, the receipt still missing here: a lagging node, not a dropped transaction.
      expect((await sender.track(row, new Date())).status).not.toBe("dropped");
      for (let i = 0; i < 8; i++) await mine(client);
      expect((await sender.track(row, new Date())).status).toBe("mined");
    } finally {
      lagBlocks = 0n;
    }
  });
});
