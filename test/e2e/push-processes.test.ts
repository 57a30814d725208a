import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TradeType, TrailsApi } from "@0xtrails/api";
import pino from "pino";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devTokenAbi } from "../../src/chains/abi.gen.ts";
import { toViemChain } from "../../src/chains/chain.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import { loadConfig } from "../../src/config/load.ts";
import { devnetAccount, devnetDefaults } from "../../src/devnet/accounts.ts";
import { type Devnet, publishChains, startDevnet } from "../../src/devnet/devnet.ts";
import { dropSchema, uniqueSchema } from "../support/databases.ts";
import { mined } from "../support/onchain.ts";
import { type RunningJunction, spawnJunction } from "../support/process.ts";
import { openStream } from "../support/sse.ts";
import { until } from "../support/until.ts";
import { type Receiver, startReceiver } from "../support/webhook-receiver.ts";

const databaseUrl = process.env.DATABASE_URL;
const ADMIN = "push-processes-admin";

/**
 * Two Junction processes on one PostgreSQL, beside chains they did not start: a payment made
 * through one is streamed live by the other, and a webhook added through the other gets all of it.
 */
describe.skipIf(!databaseUrl)("push across two Junction processes on one PostgreSQL", () => {
  let dataDir: string;
  let devnet: Devnet;
  let schema: string;
  const processes: RunningJunction[] = [];
  let receiver: Receiver;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "junction-push-"));
    const config = loadConfig(
      { JUNCTION_DATA_DIR: dataDir, JUNCTION_PERSIST: "false", JUNCTION_DEVNET_PORT: "0" },
      dataDir,
      devnetDefaults(),
    );
    devnet = await startDevnet({ config, log: pino({ level: "silent" }), own: true });
    publishChains(config, devnet);
    schema = uniqueSchema();
    const env = {
      PORT: "0",
      JUNCTION_DATA_DIR: dataDir,
      JUNCTION_ADMIN_KEY: ADMIN,
      DATABASE_URL: databaseUrl as string,
      DATABASE_SCHEMA: schema,
    };
    // One after the other: the second finds the schema the first migrated.
    processes.push(await spawnJunction([], env, { timeoutMs: 120_000 }));
    processes.push(await spawnJunction([], env, { timeoutMs: 120_000 }));
    receiver = await startReceiver();
  }, 300_000);

  afterAll(async () => {
    for (const p of processes) await p.stop("SIGTERM");
    await receiver?.close();
    await devnet?.stop();
    if (databaseUrl && schema) await dropSchema(databaseUrl, schema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a payment through the first is streamed by the second, and delivered by webhook, in order", async () => {
    const [first, second] = processes as [RunningJunction, RunningJunction];
    const hook = await fetch(`${second.url}/admin/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ url: receiver.url, events: ["intent.*"] }),
    });
    expect(hook.status).toBe(201);
    receiver.secret = ((await hook.json()) as { secret: string }).secret;

    const account = privateKeyToAccount(devnetAccount(5).privateKey);
    const stream = await openStream(`${second.url}/events?owner=${account.address}`);
    expect(stream.status).toBe(200);
    await stream.until(() => stream.comments.includes("live"));

    const [a, b] = devnet.chains;
    if (!a || !b) throw new Error("two chains needed");
    const trails = new TrailsApi("", { hostname: first.url });
    const { intent } = await trails.quoteIntent({
      ownerAddress: account.address,
      originChainId: a.config.chainId,
      originTokenAddress: a.deployment.tokens.USDC as Address,
      destinationChainId: b.config.chainId,
      destinationTokenAddress: b.deployment.tokens.USDC as Address,
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: 5_000_000n,
    });
    await trails.commitIntent({ intent });
    const chain = toViemChain(a.config, a.rpcUrl);
    const hash = await walletClientFor(chain, account).writeContract({
      address: a.deployment.tokens.USDC as Address,
      abi: devTokenAbi,
      functionName: "transfer",
      args: [intent.depositTransaction.toAddress as Address, 5_000_000n],
    });
    await mined(publicClientFor(chain), hash);
    await trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });

    const seen = await stream.until((list) => list.some((e) => e.event === "intent.succeeded"), 60_000);
    stream.close();
    const statuses = seen
      .map((e) => e.event)
      .filter((t) =>
        ["intent.quoted", "intent.committed", "intent.executing", "intent.succeeded"].includes(t),
      );
    expect(statuses).toEqual(["intent.quoted", "intent.committed", "intent.executing", "intent.succeeded"]);
    expect(seen.every((e) => e.data.intentId === intent.intentId)).toBe(true);

    // The webhook: every intent event of the stream (and nothing forged), in order.
    const ids = seen.map((e) => e.id);
    const got = await until(
      async () => [...new Set(receiver.got.map((g) => g.sequence))],
      (sequences) => ids.every((id) => sequences.includes(id)),
      "every streamed event delivered by webhook",
      30_000,
    );
    expect(got.filter((s) => ids.includes(s))).toEqual(ids);
    expect(receiver.forged).toBe(0);
  }, 120_000);
});
