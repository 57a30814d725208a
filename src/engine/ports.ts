import type { Logger } from "pino";
import type { Chains } from "../chains/gateway.ts";
import type { ChainRegistry } from "../chains/registry.ts";
import type { Config } from "../config/schema.ts";
import type { Store } from "../store/commit.ts";
import type { NearKeyResolver } from "./near-keys.ts";
import type { TxSender } from "./sender.ts";

/**
 * The engine's ports: everything it reaches outside itself. They are wired in one place
 * (`wiring.ts`), so a test can put a fake or a faulty one in place of any of them.
 */

/** The one clock: tests and workers agree on time. */
export interface Clock {
  now(): Date;
}

/** Whose key signs: the solver fills, sweeps and refunds; the relayer sends gasless deposits; the executor runs steps. */
/** The keys Junction signs with, one of each per chain. */
export const roles = ["solver", "relayer", "executor"] as const;
export type Role = (typeof roles)[number];

/** The transaction senders, one per role and chain. */
export interface Senders {
  of(role: Role, chainId: number): TxSender;
  /** The sender whose key signed a recorded transaction. */
  signerOf(tx: { chain_id: number; sender: string }): TxSender;
  all(): TxSender[];
}

export interface Ports {
  /** Reads and sends on the chains. */
  chains: Chains;
  /** Signs, keeps and broadcasts the engine's transactions. */
  senders: Senders;
  /** Repositories and the one commit point. */
  store: Store;
  clock: Clock;
}

/** What the engine is configured with. */
export type EngineSettings = Pick<
  Config,
  | "quoteLifetimeSeconds"
  | "commitLifetimeSeconds"
  | "fees"
  | "connect"
  | "queue"
  | "listings"
  | "retention"
  | "push"
>;

/** Everything an engine operation may use: the ports, the chain and token registry, settings, a logger. */
export interface EngineDeps extends Ports {
  registry: ChainRegistry;
  settings: EngineSettings;
  /** Where NEAR named accounts' public keys come from. */
  nearKeys: NearKeyResolver;
  log: Logger;
}
