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
        chain.tokens.map(async (token) => ({
          chainId: chain.chainId,
          token: token.address,
          symbol: token.symbol,
          decimals: token.decimals,
          balance: await deps.chains.settlementBalance(chain.chainId, token.address, true),
        })),
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
