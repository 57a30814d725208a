import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, createPublicClient, createWalletClient, http, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { devTokenAbi } from "../../src/chains/abi.gen.ts";
import { spawnJunction } from "../support/process.ts";

interface DevnetBody {
  chains: {
    chainId: number;
    rpcUrl: string;
    tokens: { symbol: string; address: Address }[];
    contracts: Record<string, Address>;
  }[];
  accounts: { address: Address; privateKey: `0x${string}` }[];
}

const dataDir = mkdtempSync(join(tmpdir(), "junction-lifecycle-"));
const env = { PORT: "0", JUNCTION_DEVNET_PORT: "0", JUNCTION_DATA_DIR: dataDir, JUNCTION_MINING: "auto" };
const recipient = "0x00000000000000000000000000000000C0FFEE01" as Address;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function devnetOf(url: string): Promise<DevnetBody> {
  return (await (await fetch(`${url}/devnet`)).json()) as DevnetBody;
}

async function usdcBalance(body: DevnetBody): Promise<bigint> {
  const chain = body.chains[0] as DevnetBody["chains"][number];
  const client = createPublicClient({ transport: http(chain.rpcUrl) });
  const usdc = chain.tokens.find((t) => t.symbol === "USDC")?.address as Address;
  return client.readContract({
    address: usdc,
    abi: devTokenAbi,
    functionName: "balanceOf",
    args: [recipient],
  });
}

async function assertAllDown(body: DevnetBody): Promise<void> {
  for (const chain of body.chains) {
    await expect(fetch(chain.rpcUrl, { method: "POST", body: "{}" })).rejects.toThrow();
  }
}

describe("npm start lifecycle", () => {
  it("keeps chain state across restarts, starts fresh with --reset, and leaves no chain running on SIGINT or SIGTERM", async () => {
    const first = await spawnJunction([], env);
    const before = await devnetOf(first.url);
    const chain = before.chains[0] as DevnetBody["chains"][number];
    const payer = privateKeyToAccount(before.accounts[0]?.privateKey as `0x${string}`);
    const wallet = createWalletClient({ account: payer, transport: http(chain.rpcUrl) });
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    const usdc = chain.tokens.find((t) => t.symbol === "USDC")?.address as Address;
    const hash = await wallet.writeContract({
      address: usdc,
      abi: devTokenAbi,
      functionName: "transfer",
      args: [recipient, parseUnits("12.5", 6)],
      chain: null,
    });
    await client.waitForTransactionReceipt({ hash });
    expect(await usdcBalance(before)).toBe(12_500_000n);
    expect(await first.stop("SIGINT")).toBe(0);
    await assertAllDown(before);

    const second = await spawnJunction([], env);
    expect(second.output()).toMatch(/using the cached compiler output/);
    const after = await devnetOf(second.url);
    expect(after.chains.map((c) => c.contracts)).toEqual(before.chains.map((c) => c.contracts));
    expect(await usdcBalance(after)).toBe(12_500_000n);
    expect(await second.stop("SIGTERM")).toBe(0);
    await assertAllDown(after);

    const reset = await spawnJunction(["--reset"], env);
    const fresh = await devnetOf(reset.url);
    expect(await usdcBalance(fresh)).toBe(0n);
    expect(await reset.stop("SIGINT")).toBe(0);
    await assertAllDown(fresh);
    // Four whole starts and stops of the system: generous, as CI runs other files beside it.
  }, 180_000);

  it("a SIGKILL of npm start takes its chains down with it, so the next start works", async () => {
    const killed = await spawnJunction([], env);
    const body = await devnetOf(killed.url);
    await killed.stop("SIGKILL");
    // The chains' guards see their parent gone and stop them (anvil dumps its state first).
    const deadline = Date.now() + 15_000;
    for (;;) {
      const up = await Promise.all(
        body.chains.map((chain) =>
          fetch(chain.rpcUrl, { method: "POST", body: "{}" }).then(
            () => true,
            () => false,
          ),
        ),
      );
      if (!up.includes(true)) break;
      if (Date.now() > deadline) throw new Error(`chains still answering after a SIGKILL: ${up}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const next = await spawnJunction([], env);
    expect((await devnetOf(next.url)).chains.map((c) => c.contracts)).toEqual(
      body.chains.map((c) => c.contracts),
    );
    expect(await next.stop("SIGTERM")).toBe(0);
  }, 120_000);

  it("with junction chains running, Junction attaches to its chains, which outlive a SIGKILL of the engine", async () => {
    const chainsDir = mkdtempSync(join(tmpdir(), "junction-chains-"));
    const chainsEnv = { ...env, JUNCTION_DATA_DIR: chainsDir };
    const chains = await spawnJunction([], chainsEnv, { command: "chains" });
    try {
      const first = await spawnJunction([], chainsEnv);
      expect(first.output()).toMatch(/attaching to the chains run by process \d+ \(junction chains\)/);
      const body = await devnetOf(first.url);
      await first.stop("SIGKILL");
      // The engine is gone; the chains are not.
      for (const chain of body.chains) {
        expect((await fetch(chain.rpcUrl, { method: "POST", body: "{}" })).status).toBeLessThan(500);
      }
      const second = await spawnJunction([], chainsEnv);
      expect((await devnetOf(second.url)).chains).toEqual(body.chains);
      expect(await second.stop("SIGTERM")).toBe(0);
    } finally {
      expect(await chains.stop("SIGINT")).toBe(0);
      rmSync(chainsDir, { recursive: true, force: true });
    }
  }, 180_000);

  it("an invalid configuration stops the start with the field and the fix", async () => {
    await expect(spawnJunction([], { ...env, PORT: "not-a-port" }, { timeoutMs: 30_000 })).rejects.toThrow(
      /exited with 2[\s\S]*server\.port: /,
    );
  });
});
