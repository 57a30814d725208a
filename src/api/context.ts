import type { Logger } from "pino";
import type { ChainRegistry } from "../chains/registry.ts";
import type { Config } from "../config/schema.ts";
import type { Engine } from "../engine/engine.ts";

/** A test account the devnet funds, shown to developers. */
export interface TestAccount {
  address: string;
  privateKey: string;
}

/** What every API handler may use; built once at start. */
export interface AppContext {
  config: Config;
  registry: ChainRegistry;
  log: Logger;
  version: string;
  startedAt: Date;
  /** Present in the devnet profile only. */
  devnet?: { accounts: TestAccount[] };
  /** The built web app (index.html and assets/), served at the base URL. */
  webDir?: string;
  /** The engine's façade: the one way the dialects reach intents and executions. */
  engine: Engine;
}
