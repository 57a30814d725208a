import { type Address, parseAbiItem } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settlementAbi } from "../../src/chains/abi.gen.ts";
import { publicClientFor } from "../../src/chains/clients.ts";
import type { ChainRegistry } from "../../src/chains/registry.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { stepIntent } from "../../src/engine/intents/step.ts";
import type { EngineDeps } from "../../src/engine/ports.ts";
import { intentTxs } from "../../src/store/chain-txs.ts";
import { findIntent, type IntentRow } from "../../src/store/intents.ts";
import { startWiredEngine, type WiredEngine } from "../support/wired-engine.ts";

/**
 * The intent steps driven by hand, with no background workers: a step run twice, two runs at once,
 * and a crash between persisting a transaction and broadcasting it must each pay exactly once.
 */
let w: WiredEngine;
let registry: ChainRegistry;
let engine: Engine;
let d: EngineDeps;
/** Set, the chain gateway "crashes" before a broadcast reaches the node. */
let crashBeforeBroadcast = false;
beforeAll(async () => {
  w = await startWiredEngine((real) => ({
    sendRawTransaction: (chainId, raw) => {
      if (crashBeforeBroadcast) throw new Error("process killed before the broadcast");
      return real.sendRawTransaction(chainId, raw);
    },
  }));
  ({ registry, engine, deps: d } = w);
});
afterAll(() => w?.stop());

const USER = 3;
const filledEvent = parseAbiItem(
  "event Filled(bytes32 indexed intentId, address indexed token, uint256 amount, address indexed recipient, bool callSucceeded)",
);

/** A committed USDC A → B intent with its deposit made and announced. */
async function depositedIntent(): Promise<IntentRow> {
  const plan = await w.quoteUsdc(devnetAccount(USER).address);
  await engine.commit(plan.intentId);
  const hash = await w.sendUsdc(USER, plan.depositAddress, 10_000_000n);
  await engine.announceDeposit(plan.intentId, hash);
  return fresh(plan.intentId);
}

const fresh = async (id: string) => (await findIntent(d.store.db, id)) as IntentRow;

/** Advances the intent (each time from a fresh read) until it settles. */
async function runToEnd(id: string): Promise<IntentRow> {
  for (let i = 0; i < 100; i++) {
    const row = await fresh(id);
    if (row.stage === "watch") return row;
    await stepIntent(d, row);
  }
  throw new Error(`intent ${id} did not settle`);
}

async function fillsOnChain(row: IntentRow): Promise<number> {
  const chain = registry.requireChain(row.destination_chain_id, "chainId");
  const logs = await publicClientFor(chain.viem).getLogs({
    address: chain.contracts.Settlement,
    event: filledEvent,
    args: { intentId: row.id as `0x${string}` },
    fromBlock: 0n,
  });
  return logs.length;
}

describe("intent steps are idempotent", () => {
  it("the fill step run twice with the same (stale) row sends one fill", async () => {
    const announced = await depositedIntent();
    await stepIntent(d, announced); // await_deposit → fill
    const atFill = await fresh(announced.id);
    expect(atFill.stage).toBe("fill");
    await stepIntent(d, atFill);
    await stepIntent(d, atFill);
    const fills = (await intentTxs(d.store.db, atFill.id)).filter((t) => t.kind === "fill");
    expect(fills).toHaveLength(1);
    const done = await runToEnd(atFill.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(await fillsOnChain(done)).toBe(1);
  });

  it("two runs of the fill step at once: one fill, and the intent is never refunded", async () => {
    const announced = await depositedIntent();
    await stepIntent(d, announced);
    const atFill = await fresh(announced.id);
    await Promise.all([stepIntent(d, atFill), stepIntent(d, atFill)]);
    const done = await runToEnd(atFill.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(await fillsOnChain(done)).toBe(1);
    expect((await intentTxs(d.store.db, done.id)).filter((t) => t.kind === "refund")).toHaveLength(0);
  });

  it("a crash after the fill is persisted but before it is broadcast: rebroadcast, filled once", async () => {
    const announced = await depositedIntent();
    await stepIntent(d, announced);
    const atFill = await fresh(announced.id);
    const sender = d.senders.of("solver", atFill.destination_chain_id);
    crashBeforeBroadcast = true;
    try {
      await stepIntent(d, atFill);
    } finally {
      crashBeforeBroadcast = false;
    }
    const [persisted] = await intentTxs(d.store.db, atFill.id);
    expect(persisted?.status).toBe("pending");
    expect(await fillsOnChain(atFill)).toBe(0);
    // What a restart does first (the sender's nonce upkeep puts it on the wire), then the steps carry on.
    await sender.keep(new Date());
    expect(await fillsOnChain(atFill)).toBe(1);
    const done = await runToEnd(atFill.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(await fillsOnChain(done)).toBe(1);
    expect((await intentTxs(d.store.db, done.id)).filter((t) => t.kind === "fill")).toHaveLength(1);
  });

  it("Settlement refuses a second fill of the same intent whatever the database says", async () => {
    const done = await runToEnd((await depositedIntent()).id);
    const chain = registry.requireChain(done.destination_chain_id, "chainId");
    const sender = d.senders.of("solver", done.destination_chain_id);
    await expect(
      publicClientFor(chain.viem).simulateContract({
        account: sender.account,
        address: chain.contracts.Settlement,
        abi: settlementAbi,
        functionName: "fill",
        args: [done.id as `0x${string}`, done.destination_token as Address, 1n, done.recipient as Address],
      }),
    ).rejects.toThrow(/AlreadyFilled/);
  });
});
