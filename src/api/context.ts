import type { Logger } from "pino";
import type { ChainRegistry } from "../chains/registry.ts";
import type { Config } from "../config/schema.ts";
import type { DevAccount } from "../devnet/accounts.ts";
import type { EngineContext } from "../engine/context.ts";
import type { Db } from "../store/database.ts";

/** What every API handler may use; built once at start. */
export interface AppContext {
  config: Config;
  db: Db;
  registry: ChainRegistry;
  log: Logger;
  version: string;
  startedAt: Date;
  /** Present in the devnet profile only. */
  devnet?: { accounts: DevAccount[] };
  /** The intent engine the API dialects drive. */
  engine: EngineContext;
}
