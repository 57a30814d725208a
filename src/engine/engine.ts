import type { Logger } from "pino";
import { privateKeyToAccount } from "viem/accounts";
import type { ChainRegistry } from "../chains/registry.ts";
import type { Config } from "../config/schema.ts";
import type { Db } from "../store/database.ts";
import { IntentChanges } from "./changes.ts";
import type { EngineContext } from "./context.ts";
import { Market } from "./market.ts";
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
  return {
    config,
    db,
    registry,
    market: new Market(
      registry,
      { solver, relayer: relayer.address, feeCollector: config.fees.feeCollector },
      log,
    ),
    relayers: new Map(registry.chains.map((c) => [c.chainId, new TxSender(db, c, relayer, log)])),
    changes: new IntentChanges(),
    work: new WorkSignal(),
    log,
    now: () => new Date(),
  };
}
