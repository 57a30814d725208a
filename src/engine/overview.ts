import { type Activity, type ActivityWindow, activitySince, summarizeActivity } from "../core/activity.ts";
import { fillsMinedSince } from "../store/activity.ts";
import { countByStatus, type QueueCounts, type QueueTable, queueCounts } from "../store/queue.ts";
import type { EngineDeps } from "./ports.ts";
import { everySignerGas, type SignerGas } from "./signer-gas.ts";

export interface InventoryLine {
  chainId: number;
  token: string;
  symbol: string;
  decimals: number;
  /** Settlement's balance, read from the chain now. */
  balance: bigint;
  /** The configured least balance (`lowWater`), null when none. */
  lowWater: bigint | null;
  low: boolean;
}

/** What an operator watches, read now: the chains for balances, the database for the rest. */
export interface OperatorOverview {
  inventory: InventoryLine[];
  signers: SignerGas[];
  statuses: Record<QueueTable, Record<string, number>>;
  queues: Record<QueueTable, QueueCounts>;
}

export async function operatorOverview(deps: EngineDeps): Promise<OperatorOverview> {
  const chains = deps.registry.chains;
  const [inventory, signers, intents, executions, queues] = await Promise.all([
    Promise.all(
      chains.flatMap((chain) =>
        chain.tokens.map(async (token) => {
          const balance = await deps.chains.settlementBalance(chain.chainId, token.address, true);
          return {
            chainId: chain.chainId,
            token: token.address,
            symbol: token.symbol,
            decimals: token.decimals,
            balance,
            lowWater: token.lowWater,
            low: token.lowWater !== null && balance < token.lowWater,
          };
        }),
      ),
    ),
    everySignerGas(deps),
    countByStatus(deps.store.db, "intents"),
    countByStatus(deps.store.db, "executions"),
    queueCounts(deps.store.db, deps.clock.now()),
  ]);
  return {
    inventory,
    signers,
    statuses: { intents: Object.fromEntries(intents), executions: Object.fromEntries(executions) },
    queues,
  };
}

/** Fees earned, volume and fill latency over the last `window`, for the operator page's charts. */
export async function operatorActivity(deps: EngineDeps, window: ActivityWindow): Promise<Activity> {
  const now = deps.clock.now();
  const fills = await fillsMinedSince(deps.store.db, activitySince(window, now));
  const tokens = deps.registry.chains.flatMap((chain) =>
    chain.tokens.map((t) => ({ ...t, priceUsd: t.price.usd })),
  );
  return summarizeActivity({ window, now, fills, tokens });
}
