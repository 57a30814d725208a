import type { Logger } from "pino";
import type { ChainRegistry } from "../chains/registry.ts";
import type { Config } from "../config/schema.ts";
import type { Db } from "../store/database.ts";
import type { IntentChanges } from "./changes.ts";
import type { Market } from "./market.ts";
import type { TxSender } from "./sender.ts";
import type { WorkSignal } from "./work-signal.ts";

/** What every engine part shares; `now` is the one clock, so tests and workers agree on time. */
export interface EngineContext {
  config: Config;
  db: Db;
  registry: ChainRegistry;
  market: Market;
  changes: IntentChanges;
  /** The relayer's sender per chain: it submits gasless deposits and pays their gas. */
  relayers: Map<number, TxSender>;
  /** Wakes this process's intent runner when an intent becomes due now. */
  work: WorkSignal;
  log: Logger;
  now(): Date;
}
