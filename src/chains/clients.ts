import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";

/** Local chains answer in milliseconds; viem's 4 s default polling would dominate every wait. */
const pollingInterval = 100;

/**
 * `cacheTime: 0`: viem otherwise answers eth_blockNumber from a cache as old as the polling
 * interval, and the engine decides from the head (a deposit's confirmations, new blocks to scan).
 */
export function publicClientFor(chain: Chain): PublicClient<Transport, Chain> {
  return createPublicClient({ chain, transport: http(), pollingInterval, cacheTime: 0 });
}

export function walletClientFor(chain: Chain, account: Account): WalletClient<Transport, Chain, Account> {
  return createWalletClient({ chain, account, transport: http(), pollingInterval });
}
