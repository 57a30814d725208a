import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  fallback,
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
  return createPublicClient({ chain, transport: transportFor(chain), pollingInterval, cacheTime: 0 });
}

export function walletClientFor(chain: Chain, account: Account): WalletClient<Transport, Chain, Account> {
  return createWalletClient({ chain, account, transport: transportFor(chain), pollingInterval });
}

/**
 * The chain's RPC endpoints: one, or several tried in order, each request moving on to the next
 * when one fails (after http's own retries, with backoff, of 429s, 5xx and timeouts).
 */
function transportFor(chain: Chain): Transport {
  const urls = chain.rpcUrls.default.http;
  return urls.length > 1 ? fallback(urls.map((url) => http(url))) : http(urls[0]);
}
