import { defineChain } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicClientFor } from "../../src/chains/clients.ts";
import { type AnvilProcess, startAnvil } from "../../src/devnet/anvil.ts";
import { type FaultProxy, startFaultProxy } from "../../src/devnet/fault-proxy.ts";

/** A chain reached through several RPC endpoints: a failing one is passed over for the next. */
let anvil: AnvilProcess;
let broken: FaultProxy;
beforeAll(async () => {
  anvil = await startAnvil({ chainId: 31_337, port: 0, accounts: 1, balance: 1 });
  broken = await startFaultProxy({ upstream: anvil.rpcUrl, seed: 7, faults: { http5xx: 1 } });
});
afterAll(async () => {
  await broken?.close();
  await anvil?.stop();
});

const chainAt = (...urls: string[]) =>
  defineChain({
    id: 31_337,
    name: "fallback test",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: urls } },
  });

describe("several RPC endpoints per chain", () => {
  it("a node answering 5xx is passed over for the next endpoint", async () => {
    const client = publicClientFor(chainAt(broken.url, anvil.rpcUrl));
    expect(await client.getChainId()).toBe(31_337);
    expect(broken.stats().faults.http5xx).toBeGreaterThan(0);
  });

  it("with that node alone, the call fails", async () => {
    await expect(publicClientFor(chainAt(broken.url)).getChainId()).rejects.toThrow();
  }, 30_000);
});
