import pino from "pino";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { registryFor } from "../../src/app.ts";
import { devTokenAbi } from "../../src/chains/abi.gen.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import type { Chains } from "../../src/chains/gateway.ts";
import type { ChainRegistry } from "../../src/chains/registry.ts";
import type { IntentPlan } from "../../src/core/intent/plan.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import type { Engine } from "../../src/engine/engine.ts";
import type { EngineDeps } from "../../src/engine/ports.ts";
import { wireEngine } from "../../src/engine/wiring.ts";
import { openDatabase } from "../../src/store/database.ts";
import { startTestDevnet, type TestDevnet } from "./devnet.ts";
import { mined } from "./onchain.ts";

export interface WiredEngine {
  net: TestDevnet;
  registry: ChainRegistry;
  engine: Engine;
  deps: EngineDeps;
  /** A quote of 10 USDC from the devnet's first chain to USDC on its second, for `owner`. */
  quoteUsdc(owner: Address, accessKey?: string | null): Promise<IntentPlan>;
  /** Devnet account `user` sends `amount` of the first chain's USDC to `to`; returns once mined. */
  sendUsdc(user: number, to: Address, amount: bigint): Promise<Hex>;
  stop(): Promise<void>;
}

/**
 * The engine wired over a test devnet and an in-memory database, none of its workers started: for
 * tests that drive steps by hand. `replace` gives gateway methods to use instead of the real ones
 * (a crash before a broadcast, a node that lags behind), each free to call the real gateway.
 */
export async function startWiredEngine(
  replace: (real: Chains) => Partial<Chains> = () => ({}),
): Promise<WiredEngine> {
  const net = await startTestDevnet();
  const database = await openDatabase({ kind: "pglite", dataDir: null, schema: "junction" });
  const registry = registryFor(net.config, net.devnet);
  const { engine, deps } = wireEngine(net.config, database.db, registry, pino({ level: "silent" }), {
    chains: (real) => Object.assign(Object.create(real), replace(real)),
  });
  const [a, b] = registry.chains;
  if (!a || !b) throw new Error("devnet has fewer than two chains");
  const usdcA = a.tokens[0]?.address as Address;
  return {
    net,
    registry,
    engine,
    deps,
    quoteUsdc: (owner, accessKey = null) =>
      engine.quote(
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
        accessKey,
      ),
    async sendUsdc(user, to, amount) {
      const wallet = walletClientFor(a.viem, privateKeyToAccount(devnetAccount(user).privateKey));
      const hash = await wallet.writeContract({
        address: usdcA,
        abi: devTokenAbi,
        functionName: "transfer",
        args: [to, amount],
      });
      await mined(publicClientFor(a.viem), hash);
      return hash;
    },
    async stop() {
      await database.close();
      await net.stop();
    },
  };
}
