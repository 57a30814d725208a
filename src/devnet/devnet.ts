import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { toViemChain } from "../chains/chain.ts";
import { publicClientFor } from "../chains/clients.ts";
import type { ChainConfig, Config } from "../config/schema.ts";
import { fundedAccountCount } from "./accounts.ts";
import { type AnvilProcess, startAnvil } from "./anvil.ts";
import { setIntervalMining } from "./anvil-rpc.ts";
import { compileContracts } from "./compile.ts";
import { type ChainDeployment, deployChain } from "./deploy.ts";

export interface DevnetChain {
  config: ChainConfig;
  rpcUrl: string;
  deployment: ChainDeployment;
}

export interface Devnet {
  /** Identifies one deployment; the database remembers it so both are reset together. */
  generation: string;
  /** True when the chains were deployed from scratch in this start. */
  fresh: boolean;
  chains: DevnetChain[];
  stop(): Promise<void>;
}

interface DeploymentFile {
  generation: string;
  chains: ChainDeployment[];
}

export interface DevnetOptions {
  config: Config;
  log: Logger;
  /** Discard persisted chain state and deploy again. */
  reset?: boolean;
}

function stateDir(config: Config): string {
  return join(config.dataDir, "devnet");
}

function readDeployment(file: string): DeploymentFile | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as DeploymentFile;
  } catch {
    return null;
  }
}

/**
 * Starts one anvil per configured chain and makes sure Junction's contracts are there: reused
 * from the persisted state when it is intact, deployed from scratch otherwise.
 */
export async function startDevnet({ config, log, reset = false }: DevnetOptions): Promise<Devnet> {
  const persist = config.devnet.persist;
  const dir = stateDir(config);
  const deploymentFile = join(dir, "deployment.json");
  const statePath = (chainId: number) => (persist ? join(dir, `chain-${chainId}.json`) : undefined);

  let saved = persist && !reset ? readDeployment(deploymentFile) : null;
  if (saved && !config.chains.every((c) => existsSync(statePath(c.chainId) as string))) saved = null;
  if (!saved) rmSync(dir, { recursive: true, force: true });
  if (persist) mkdirSync(dir, { recursive: true });

  const compiled = compileContracts();
  log.info(
    compiled.fromCache ? "contracts: using the cached compiler output" : "contracts: compiled with solc",
  );

  const anvils: AnvilProcess[] = [];
  const stop = async () => {
    await Promise.all(anvils.map((a) => a.stop()));
  };
  try {
    await Promise.all(
      config.chains.map(async (chain) => {
        const anvil = await startAnvil({
          chainId: chain.chainId,
          port: chain.port ?? 0,
          accounts: fundedAccountCount,
          balance: 100_000,
          statePath: statePath(chain.chainId),
        });
        anvils.push(anvil);
        log.info(`chain ${chain.name} (${chain.chainId}) up at ${anvil.rpcUrl}`);
      }),
    );
    const rpcUrl = (chainId: number) => anvils.find((a) => a.chainId === chainId)?.rpcUrl as string;

    if (saved && !(await deploymentIntact(config.chains, saved, rpcUrl))) {
      log.warn("persisted chain state does not hold the recorded deployment; starting fresh");
      await stop();
      return startDevnet({ config, log, reset: true });
    }
    const fresh = !saved;
    const deployment: DeploymentFile = saved ?? {
      generation: randomUUID(),
      chains: await Promise.all(
        config.chains.map(async (chain) => {
          const result = await deployChain({
            chain,
            rpcUrl: rpcUrl(chain.chainId),
            artifacts: compiled.artifacts,
            config,
          });
          log.info(`contracts deployed and accounts funded on ${chain.name} (${chain.chainId})`);
          return result;
        }),
      ),
    };
    if (persist && fresh) writeFileSync(deploymentFile, JSON.stringify(deployment, null, 2));
    if (config.devnet.mining === "interval") {
      await Promise.all(
        config.chains.map((c) => setIntervalMining(clientFor(c, rpcUrl), config.devnet.blockTimeSeconds)),
      );
    }
    return {
      generation: deployment.generation,
      fresh,
      chains: config.chains.map((chain) => ({
        config: chain,
        rpcUrl: rpcUrl(chain.chainId),
        deployment: deployment.chains.find((d) => d.chainId === chain.chainId) as ChainDeployment,
      })),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function clientFor(chain: ChainConfig, rpcUrl: (chainId: number) => string) {
  return publicClientFor(toViemChain(chain, rpcUrl(chain.chainId)));
}

async function deploymentIntact(
  chains: ChainConfig[],
  saved: DeploymentFile,
  rpcUrl: (chainId: number) => string,
): Promise<boolean> {
  const checks = chains.map(async (chain) => {
    const recorded = saved.chains.find((d) => d.chainId === chain.chainId);
    if (!recorded) return false;
    const client = clientFor(chain, rpcUrl);
    const code = await client.getCode({ address: recorded.contracts.Settlement });
    return code !== undefined && code !== "0x";
  });
  return (await Promise.all(checks)).every(Boolean);
}
