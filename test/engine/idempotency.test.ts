import pino from "pino";
import { type Address, parseAbiItem } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registryFor } from "../../src/app.ts";
import { devTokenAbi, settlementAbi } from "../../src/chains/abi.gen.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import type { ChainRegistry } from "../../src/chains/registry.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { stepIntent } from "../../src/engine/intents/step.ts";
import type { EngineDeps } from "../../src/engine/ports.ts";
import { wireEngine } from "../../src/engine/wiring.ts";
import { intentTxs } from "../../src/store/chain-txs.ts";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { findIntent, type IntentRow } from "../../src/store/intents.ts";
import { startTestDevnet, type TestDevnet } from "../support/devnet.ts";
import { mined } from "../support/onchain.ts";

/**
 * The intent steps driven by hand, with no background workers: a step run twice, two runs at once,
 * and a crash between persisting a transaction and broadcasting it must each pay exactly once.
 */
let net: TestDevnet;
let database: Database;
let registry: ChainRegistry;
let engine: Engine;
let d: EngineDeps;
/** Set, the chain gateway "crashes" before a broadcast reaches the node. */
let crashBeforeBroadcast = false;
beforeAll(async () => {
  net = await startTestDevnet();
  database = await openDatabase({ kind: "pglite", dataDir: null, schema: "junction" });
  registry = registryFor(net.config, net.devnet);
  ({ engine, deps: d } = wireEngine(net.config, database.db, registry, pino({ level: "silent" }), {
    chains: (real) =>
      Object.assign(Object.create(real), {
        sendRawTransaction: (chainId: number, raw: `0x${string}`) => {
          if (crashBeforeBroadcast) throw new Error("process killed before the broadcast");
          return real.sendRawTransaction(chainId, raw);
        },
      }),
  }));
});
afterAll(async () => {
  await database?.close();
  await net?.stop();
});

const USER = 3;
const filledEvent = parseAbiItem(
  "event Filled(bytes32 indexed intentId, address indexed token, uint256 amount, address indexed recipient, bool callSucceeded)",
);

/** A committed USDC A → B intent with its deposit made and announced. */
async function depositedIntent(): Promise<IntentRow> {
  const [a, b] = registry.chains;
  if (!a || !b) throw new Error("devnet has fewer than two chains");
  const usdcA = a.tokens[0]?.address as Address;
  const owner = devnetAccount(USER).address;
  const plan = await engine.quote(
    {
      owner,
      originChainId: a.chainId,
      originToken: usdcA,
      destinationChainId: b.chainId,
      destinationToken: b.tokens[0]?.address as Address,
      tradeType: "EXACT_INPUT",
      amount: 10_000_000n,
      slippagePpm: 5000n,
      raw: {},
    },
    null,
  );
  await engine.commit(plan.intentId);
  const wallet = walletClientFor(a.viem, privateKeyToAccount(devnetAccount(USER).privateKey));
  const hash = await wallet.writeContract({
    address: usdcA,
    abi: devTokenAbi,
    functionName: "transfer",
    args: [plan.depositAddress, 10_000_000n],
  });
  await mined(publicClientFor(a.viem), hash);
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
