import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { AppContext } from "./api/context.ts";
import { eventRenderer } from "./api/push/render.ts";
import { buildServer } from "./api/server.ts";
import { type ChainAddresses, ChainRegistry } from "./chains/registry.ts";
import type { ChainConfig, Config } from "./config/schema.ts";
import { testAccounts } from "./devnet/accounts.ts";
import { type Devnet, startDevnet } from "./devnet/devnet.ts";
import { createEngine, type PortOverrides } from "./engine/wiring.ts";
import { projectRoot } from "./paths.ts";
import {
  type Database,
  type DatabaseTarget,
  type Db,
  openDatabase,
  readMeta,
  resetDatabase,
  writeMeta,
} from "./store/database.ts";
import { buildWebApp } from "./web/build.ts";

export const version = (
  JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version: string }
).version;

export interface StartOptions {
  config: Config;
  log: Logger;
  /** Devnet: discard chain state and database and deploy again. */
  reset?: boolean;
  /** Ports to put in place of the real ones (tests: a faulty chain gateway, a clock). */
  ports?: PortOverrides;
}

export interface Junction {
  url: string;
  ctx: AppContext;
  /** The engine's database, for tests and tools that look at what the APIs do not show. */
  db: Db;
  devnet: Devnet | null;
  server: FastifyInstance;
  stop(): Promise<void>;
}

export function databaseTarget(config: Config): DatabaseTarget {
  if (config.database.url)
    return { kind: "postgres", url: config.database.url, schema: config.database.schema };
  const persist = config.profile === "live" || config.devnet.persist;
  return {
    kind: "pglite",
    dataDir: persist ? join(config.dataDir, "pglite") : null,
    schema: config.database.schema,
  };
}

/**
 * The database must describe the chains it sits beside: a devnet deployed afresh, or one whose
 * generation differs from the database's, means both start over together.
 */
async function matchDevnet(database: Database, devnet: Devnet, log: Logger): Promise<void> {
  const recorded = await readMeta(database.db, "devnet_generation");
  if (recorded !== devnet.generation && (recorded !== null || devnet.fresh)) {
    if (recorded !== null) log.info("database belongs to an earlier devnet deployment: resetting it");
    await resetDatabase(database);
  }
  await writeMeta(database.db, "devnet_generation", devnet.generation);
}

function liveAddresses(chain: ChainConfig): ChainAddresses {
  // The schema guarantees both in the live profile.
  return {
    rpcUrl: chain.rpcUrl as string,
    wsUrl: chain.wsUrl ?? null,
    contracts: chain.contracts as ChainAddresses["contracts"],
    tokens: {},
  };
}

/** The chains as configured, with addresses from the devnet's deployment or the live config. */
export function registryFor(config: Config, devnet: Devnet | null): ChainRegistry {
  const addresses = devnet
    ? (chain: ChainConfig): ChainAddresses => {
        const deployed = devnet.chains.find((c) => c.config.chainId === chain.chainId);
        if (!deployed) throw new Error(`chain ${chain.chainId} missing from the devnet`);
        return {
          rpcUrl: deployed.rpcUrl,
          // anvil answers WebSocket on its HTTP port.
          wsUrl: deployed.rpcUrl.replace(/^http/, "ws"),
          contracts: deployed.deployment.contracts,
          tokens: deployed.deployment.tokens,
        };
      }
    : liveAddresses;
  return new ChainRegistry(
    config.chains,
    (chain) => {
      const resolved = addresses(chain);
      return config.followHeads === "polling" ? { ...resolved, wsUrl: null } : resolved;
    },
    config.profile === "devnet",
  );
}

/** Brings up every part of Junction for the configured profile and starts listening. */
export async function startJunction({ config, log, reset, ports }: StartOptions): Promise<Junction> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err) => log.error({ err }, "shutdown step failed"));
  };
  try {
    // Independent and both slow-ish (PGlite compiles WebAssembly): start them together.
    const target = databaseTarget(config);
    const [devnetResult, databaseResult, webResult] = await Promise.allSettled([
      config.profile === "devnet" ? startDevnet({ config, log, reset }) : Promise.resolve(null),
      openDatabase(target),
      buildWebApp(),
    ]);
    if (devnetResult.status === "fulfilled" && devnetResult.value) cleanups.push(devnetResult.value.stop);
    if (databaseResult.status === "fulfilled") cleanups.push(databaseResult.value.close);
    if (devnetResult.status === "rejected") throw devnetResult.reason;
    if (databaseResult.status === "rejected") throw databaseResult.reason;
    if (webResult.status === "rejected") throw webResult.reason;
    log.info(`web app: ${webResult.value.fromCache ? "using the cached build" : "built"}`);
    const devnet = devnetResult.value;
    const database = databaseResult.value;
    if (devnet) await matchDevnet(database, devnet, log);
    log.info(
      `database ready (${target.kind === "postgres" ? `PostgreSQL, schema ${target.schema}` : "PGlite"})`,
    );

    const registry = registryFor(config, devnet);
    const engine = createEngine(config, database.db, registry, log, ports);
    const ctx: AppContext = {
      config,
      engine,
      registry,
      log,
      version,
      startedAt: new Date(),
      webDir: webResult.value.dir,
      ...(devnet ? { devnet: { accounts: testAccounts() } } : {}),
    };
    const workers = await engine.start(target, eventRenderer(ctx));
    cleanups.push(() => workers.stop());
    log.info(
      `engine running: deposit watchers on ${registry.chains.length} chains, intent and execution runners, webhooks`,
    );
    const server = await buildServer(ctx);
    cleanups.push(() => server.close());
    const address = await server.listen({ host: config.server.host, port: config.server.port });
    return { url: address.replace("[::1]", "localhost"), ctx, db: database.db, devnet, server, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
