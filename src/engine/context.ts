import type { Logger } from "pino";
import type { ChainRegistry } from "../chains/registry.ts";
import type { Config } from "../config/schema.ts";
import type { Db } from "../store/database.ts";
import type { IntentChanges } from "./changes.ts";
import type { Market } from "./market.ts";
import type { NearKeyResolver } from "./near-keys.ts";
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
  /** The executor's sender per chain: it runs intermediary accounts' signed steps. */
  executors: Map<number, TxSender>;
  /** Where NEAR named accounts' public keys come from. */
  nearKeys: NearKeyResolver;
  /** Wakes this process's intent runner when an intent becomes due now. */
  work: WorkSignal;
  /** Wakes this process's execution runner (an execution, or the intent it is built on, changed). */
  executionWork: WorkSignal;
  log: Logger;
  now(): Date;
}
