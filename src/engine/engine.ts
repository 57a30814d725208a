import type { Logger } from "pino";
import { privateKeyToAccount } from "viem/accounts";
import type { ChainRegistry } from "../chains/registry.ts";
import type { Config } from "../config/schema.ts";
import type { Db } from "../store/database.ts";
import { wakeExecutionOfIntent } from "../store/executions.ts";
import { IntentChanges } from "./changes.ts";
import type { EngineContext } from "./context.ts";
import { Market } from "./market.ts";
import { type NearKeyResolver, nearRpcKeyResolver, registryKeyResolver } from "./near-keys.ts";
import { TxSender } from "./sender.ts";
import { WorkSignal } from "./work-signal.ts";

export function createEngineContext(
  config: Config,
  db: Db,
  registry: ChainRegistry,
  log: Logger,
): EngineContext {
  const solver = privateKeyToAccount(config.keys.solver.reveal()).address;
  const relayer = privateKeyToAccount(config.keys.relayer.reveal());
  const executor = privateKeyToAccount(config.keys.executor.reveal());
  const senders = (account: typeof relayer) =>
    new Map(registry.chains.map((c) => [c.chainId, new TxSender(db, c, account, log)]));
  const changes = new IntentChanges();
  const executionWork = new WorkSignal();
  const now = () => new Date();
  // An execution follows the intent it is built on: any change to an intent wakes its execution,
  // in the database (for whichever process runs it) and in this process at once.
  changes.onAnyChange((intentId) => {
    void wakeExecutionOfIntent(db, intentId, now()).then(
      (woken) => woken && executionWork.wake(),
      (err: unknown) => log.warn({ err, intentId }, "waking the execution of an intent failed"),
    );
  });
  return {
    config,
    db,
    registry,
    market: new Market(
      registry,
      { solver, relayer: relayer.address, feeCollector: config.fees.feeCollector },
      log,
    ),
    relayers: senders(relayer),
    executors: senders(executor),
    nearKeys: nearKeyResolver(config),
    changes,
    work: new WorkSignal(),
    executionWork,
    log,
    now,
  };
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
