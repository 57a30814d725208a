import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devTokenAbi } from "../../src/chains/abi.gen.ts";
import { publicClientFor } from "../../src/chains/clients.ts";
import type { ChainRegistry, RuntimeChain } from "../../src/chains/registry.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { mine } from "../../src/devnet/anvil-rpc.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { stepIntent } from "../../src/engine/intents/step.ts";
import type { EngineDeps } from "../../src/engine/ports.ts";
import { DepositWatcher } from "../../src/engine/watcher.ts";
import { depositsOf } from "../../src/store/deposits.ts";
import { findIntent, type IntentRow } from "../../src/store/intents.ts";
import { startWiredEngine, type WiredEngine } from "../support/wired-engine.ts";

/**
 * A node that answers the head a few blocks behind the one the deposit watcher read (a load
 * balancer's lagging replica): a deposit the watcher saw, and woke its intent for, must still be
 * acted on. Read at the lagging head it looks absent, and no later block wakes the intent again;
 * the step must keep looking until the node catches up.
 */
let w: WiredEngine;
let registry: ChainRegistry;
let engine: Engine;
let d: EngineDeps;
/** How many blocks behind the real head the gateway reports the head. */
let lag = 0n;
/** Set, token transfer logs are answered as a node that has not seen the blocks yet: none. */
let hideLogs = false;
beforeAll(async () => {
  w = await startWiredEngine((real) => ({
    head: async (chainId) => (await real.head(chainId)) - lag,
    transferLogs: async (...args) => (hideLogs ? [] : real.transferLogs(...args)),
  }));
  ({ registry, engine, deps: d } = w);
});
afterAll(() => w?.stop());

const USER = 5;
const owner = devnetAccount(USER).address;

function origin(): RuntimeChain {
  const a = registry.chains[0];
  if (!a) throw new Error("devnet has no chain");
  return a;
}

/** A quoted USDC A → B intent, aborted by its integrator: it only watches its deposit address. */
async function abortedIntent(): Promise<IntentRow> {
  const plan = await w.quoteUsdc(owner, "integrator-key");
  await engine.commit(plan.intentId);
  await engine.abort(plan.intentId, { accessKey: "integrator-key" });
  return fresh(plan.intentId);
}

const fresh = async (id: string) => (await findIntent(d.store.db, id)) as IntentRow;

async function usdcOf(address: Address): Promise<bigint> {
  const a = origin();
  return publicClientFor(a.viem).readContract({
    address: a.tokens[0]?.address as Address,
    abi: devTokenAbi,
    functionName: "balanceOf",
    args: [address],
  });
}

describe("a head read behind the deposit watcher", () => {
  it("a late deposit the watcher saw is not given up on while the node is behind, and is refunded once it catches up", async () => {
    const a = origin();
    const client = publicClientFor(a.viem);
    // Blocks enough that a head three behind is still a block.
    for (let i = 0; i < 10; i++) await mine(client);
    const intent = await abortedIntent();
    expect(intent.status).toBe("ABORTED");
    const before = await usdcOf(owner);
    await w.sendUsdc(USER, intent.deposit_address as Address, 10_000_000n);
    // The watcher reads the real head, records the deposit and wakes the intent.
    const watcher = new DepositWatcher(d, a);
    await watcher.scanOnce();
    watcher.close();
    expect((await fresh(intent.id)).next_action_at).not.toBeNull();
    // The node answering the engine is three blocks behind the one the watcher read: the intent
    // keeps looking (it must not sleep until a wake-up that will not come) and decides nothing.
    lag = 3n;
    for (let i = 0; i < 3; i++) expect(await stepIntent(d, await fresh(intent.id))).not.toBeNull();
    expect((await fresh(intent.id)).stage).toBe("watch");
    // The node catches up: each step as the engine runs it, until only a wake-up brings it back.
    lag = 0n;
    for (let i = 0; i < 30; i++) {
      const row = await fresh(intent.id);
      if ((await stepIntent(d, row)) === null) break;
      // A refund in flight needs a block to be mined (no block comes on its own here).
      if (row.stage === "refund") await mine(client);
    }
    const row = await fresh(intent.id);
    expect(row.status).toBe("REFUNDED");
    expect(await usdcOf(intent.deposit_address as Address)).toBe(0n);
    expect(await usdcOf(owner)).toBe(before);
  });

  it("a token deposit a node answered without (no logs for blocks it had not seen) is found on a second look", async () => {
    const a = origin();
    const intent = await abortedIntent();
    await w.sendUsdc(USER, intent.deposit_address as Address, 10_000_000n);
    // Looking back at once on every scan, not every 10 s.
    const watcher = new DepositWatcher(d, a, 0);
    try {
      hideLogs = true;
      await watcher.scanOnce();
      expect(await depositsOf(d.store.db, intent.id)).toEqual([]);
      // The cursor is past the deposit's block now; the next scan of new blocks would not see it.
      hideLogs = false;
      await watcher.scanOnce();
    } finally {
      hideLogs = false;
      watcher.close();
    }
    expect(await depositsOf(d.store.db, intent.id)).toHaveLength(1);
    expect((await fresh(intent.id)).next_action_at).not.toBeNull();
  });
});
