import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { engineClientFor } from "../chains/clients.ts";
import { ChainGateway, type Chains } from "../chains/gateway.ts";
import type { ChainRegistry } from "../chains/registry.ts";
import type { Config } from "../config/schema.ts";
import { type Committed, Store } from "../store/commit.ts";
import type { Db } from "../store/database.ts";
import { commitChannel } from "../store/notifications.ts";
import type { QueueTable } from "../store/queue.ts";
import { IntentChanges } from "./changes.ts";
import { Engine } from "./engine.ts";
import { TerminalError } from "./errors.ts";
import { EngineMetrics } from "./metrics.ts";
import { type NearKeyResolver, nearRpcKeyResolver, registryKeyResolver } from "./near-keys.ts";
import type { Clock, EngineDeps, Role, Senders } from "./ports.ts";
import { PushHub } from "./push/hub.ts";
import { TxSender } from "./sender.ts";
import { WorkSignal } from "./work-signal.ts";

/** Ports a caller (a test, a chaos run) puts in place of the real ones. */
export interface PortOverrides {
  /** Wraps the chain gateway, e.g. to inject RPC faults. */
  chains?: (real: Chains) => Chains;
  clock?: Clock;
}

/** The configured registry of named accounts first, then (on a real network) NEAR RPC. */
function nearKeyResolver(config: Config): NearKeyResolver {
  const registry = registryKeyResolver(config.connect.nearAccounts);
  const rpcUrl = config.connect.nearRpcUrl;
  if (!rpcUrl) return registry;
  const rpc = nearRpcKeyResolver(rpcUrl);
  return {
    async keysOf(accountId) {
      const listed = await registry.keysOf(accountId);
      return listed.length > 0 ? listed : rpc.keysOf(accountId);
    },
  };
}

/** One sender per role and chain, each with its role's key. */
function sendersFor(
  build: (account: PrivateKeyAccount, chainId: number) => TxSender,
  keys: Record<Role, PrivateKeyAccount>,
  chainIds: readonly number[],
): Senders {
  const byKey = new Map<string, TxSender>();
  const key = (address: string, chainId: number) => `${address.toLowerCase()}:${chainId}`;
  for (const account of Object.values(keys)) {
    for (const chainId of chainIds) byKey.set(key(account.address, chainId), build(account, chainId));
  }
  const find = (address: string, chainId: number, what: string) => {
    const sender = byKey.get(key(address, chainId));
    if (!sender) throw new TerminalError(`no ${what} sender on chain ${chainId}`);
    return sender;
  };
  return {
    of: (role, chainId) => find(keys[role].address, chainId, role),
    signerOf: (tx) => find(tx.sender, tx.chain_id, `${tx.sender}`),
    all: () => [...byKey.values()],
  };
}

/**
 * Builds the engine with its ports: the chain gateway, the senders of the three keys, the store
 * with its commit point, the clock. The one place they are chosen; `overrides` replaces any.
 */
export function createEngine(
  config: Config,
  db: Db,
  registry: ChainRegistry,
  log: Logger,
  overrides: PortOverrides = {},
): Engine {
  return wireEngine(config, db, registry, log, overrides).engine;
}

/** `createEngine`, with the ports it wired: for tests that drive one step by hand. */
export function wireEngine(
  config: Config,
  db: Db,
  registry: ChainRegistry,
  log: Logger,
  overrides: PortOverrides = {},
): { engine: Engine; deps: EngineDeps } {
  const keys: Record<Role, PrivateKeyAccount> = {
    solver: privateKeyToAccount(config.keys.solver.reveal()),
    relayer: privateKeyToAccount(config.keys.relayer.reveal()),
    executor: privateKeyToAccount(config.keys.executor.reveal()),
  };
  const metrics = new EngineMetrics();
  const gateway = new ChainGateway(
    registry,
    { solver: keys.solver.address, relayer: keys.relayer.address, feeCollector: config.fees.feeCollector },
    log,
    (chain) =>
      engineClientFor(chain, log, () => metrics.rpcError(registry.chain(chain.id)?.slug ?? String(chain.id))),
  );
  const chains = overrides.chains ? overrides.chains(gateway) : gateway;
  const signals: Record<QueueTable, WorkSignal> = { intents: new WorkSignal(), executions: new WorkSignal() };
  const changes = new IntentChanges();
  // Other processes on the same PostgreSQL hear of each commit through NOTIFY.
  const notice = config.database.url
    ? { channel: commitChannel(config.database.schema), from: randomUUID() }
    : null;
  const push = new PushHub(db, notice, log);
  // What the commit point announces once a change is durable: the runners wake for what it made
  // due, now and at the earliest later time it set (a deadline, a retry); long-polls hear of the
  // intents it changed; the event feed and webhooks of its events.
  const announce = (committed: Committed) => {
    for (const queue of committed.due) signals[queue].wake();
    for (const [queue, at] of committed.dueLater)
      signals[queue].wakeIn(at.getTime() - deps.clock.now().getTime());
    for (const id of committed.intents) changes.notify(id);
    if (committed.events.length > 0) push.news();
    metrics.committed(committed, deps);
  };
  const deps: EngineDeps = {
    chains,
    store: new Store(db, announce, notice),
    clock: overrides.clock ?? { now: () => new Date() },
    senders: sendersFor(
      (account, chainId) => {
        const chain = registry.chain(chainId);
        if (!chain) throw new Error(`chain ${chainId} is not configured`);
        return new TxSender(chains, db, chain, account, log, config.replaceAfterSeconds * 1000);
      },
      keys,
      registry.chains.map((c) => c.chainId),
    ),
    registry,
    settings: config,
    nearKeys: nearKeyResolver(config),
    log,
  };
  metrics.observe(deps);
  return { engine: new Engine(deps, signals, changes, push, metrics, () => gateway.close()), deps };
}
