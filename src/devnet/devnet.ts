import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { type Address, getAbiItem, type Hex, toFunctionSelector } from "viem";
import { depositFactoryAbi, settlementAbi } from "../chains/abi.gen.ts";
import { toViemChain } from "../chains/chain.ts";
import { publicClientFor } from "../chains/clients.ts";
import { wellKnownAddresses } from "../chains/well-known.ts";
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
  /** Start its own chains even if another process publishes some (that process is `junction chains`). */
  own?: boolean;
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
 * What a process that runs the devnet's chains for others (`junction chains`) publishes in the
 * data directory, so that Junction attaches to those chains instead of starting its own.
 */
export interface RunningChains {
  /** The process that runs them: the file is stale once it is gone. */
  pid: number;
  generation: string;
  chains: (ChainDeployment & { rpcUrl: string })[];
}

export const runningChainsFile = (config: Config) => join(stateDir(config), "running.json");

/** Publishes `devnet`'s chains for other processes; returns the function that withdraws them. */
export function publishChains(
  config: Config,
  devnet: Devnet,
  rpcUrlOf = (c: DevnetChain) => c.rpcUrl,
): () => void {
  const file = runningChainsFile(config);
  const running: RunningChains = {
    pid: process.pid,
    generation: devnet.generation,
    chains: devnet.chains.map((c) => ({ ...c.deployment, rpcUrl: rpcUrlOf(c) })),
  };
  mkdirSync(stateDir(config), { recursive: true });
  writeFileSync(file, JSON.stringify(running, null, 2));
  return () => rmSync(file, { force: true });
}

/** Chains another process runs and published, if that process is alive and they answer. */
async function runningChains(config: Config): Promise<RunningChains | null> {
  let running: RunningChains;
  try {
    running = JSON.parse(readFileSync(runningChainsFile(config), "utf8")) as RunningChains;
    process.kill(running.pid, 0);
  } catch {
    return null;
  }
  const answering = await Promise.all(
    config.chains.map(async (chain) => {
      const published = running.chains.find((c) => c.chainId === chain.chainId);
      if (!published) return false;
      return clientFor(chain, () => published.rpcUrl)
        .getChainId()
        .then(
          (id) => id === chain.chainId,
          () => false,
        );
    }),
  );
  return answering.every(Boolean) ? running : null;
}

/**
 * The devnet's chains: those another process runs (`junction chains`), when it has published
 * them, else one anvil per configured chain, started here.
 */
export async function startDevnet(options: DevnetOptions): Promise<Devnet> {
  const running = await runningChains(options.config);
  if (running && (options.reset || options.own)) {
    throw new Error(
      `the devnet's chains are run by process ${running.pid} (junction chains); stop it first${options.reset ? ", or run junction chains --reset" : ""}`,
    );
  }
  if (!running) return startOwnDevnet(options);
  options.log.info(`attaching to the chains run by process ${running.pid} (junction chains)`);
  return {
    generation: running.generation,
    fresh: false,
    chains: options.config.chains.map((config) => {
      const { rpcUrl, ...deployment } = running.chains.find(
        (c) => c.chainId === config.chainId,
      ) as RunningChains["chains"][number];
      options.log.info(`chain ${config.name} (${config.chainId}) at ${rpcUrl}`);
      return { config, rpcUrl, deployment };
    }),
    // They belong to the process that runs them.
    stop: async () => {},
  };
}

/**
 * Starts one anvil per configured chain and makes sure Junction's contracts are there: reused
 * from the persisted state when it is intact, deployed from scratch otherwise.
 */
async function startOwnDevnet({ config, log, reset = false }: DevnetOptions): Promise<Devnet> {
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
      log.warn(
        "persisted chain state does not hold the recorded deployment, or was deployed by an older Junction; starting fresh",
      );
      await stop();
      return startOwnDevnet({ config, log, reset: true });
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
    // A devnet persisted by an older Junction lacks what clients now find at fixed addresses.
    if (recorded.contracts.IntentEntrypoint !== wellKnownAddresses.IntentEntrypoint) return false;
    const client = clientFor(chain, rpcUrl);
    const expected: [Address, Hex | null][] = [
      [
        recorded.contracts.Settlement,
        toFunctionSelector(getAbiItem({ abi: settlementAbi, name: "fillBatch" })),
      ],
      [
        recorded.contracts.DepositFactory,
        toFunctionSelector(getAbiItem({ abi: depositFactoryAbi, name: "sweepBatch" })),
      ],
      [wellKnownAddresses.Multicall3, null],
    ];
    const codes = await Promise.all(expected.map(([address]) => client.getCode({ address })));
    // Contracts of an older Junction lack functions the engine now calls (their selectors).
    return codes.every(
      (code, i) => code !== undefined && code !== "0x" && code.includes(expected[i]?.[1]?.slice(2) ?? ""),
    );
  });
  return (await Promise.all(checks)).every(Boolean);
}
