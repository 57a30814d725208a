import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  fallback,
  HttpRequestError,
  http,
  type PublicClient,
  TimeoutError,
  type Transport,
  type WalletClient,
} from "viem";

/** Local chains answer in milliseconds; viem's 4 s default polling would dominate every wait. */
const pollingInterval = 100;

/**
 * `cacheTime: 0`: viem otherwise answers eth_blockNumber from a cache as old as the polling
 * interval, and the engine decides from the head (a deposit's confirmations, new blocks to scan).
 */
export function publicClientFor(
  chain: Chain,
  onTransportError?: (err: Error) => void,
): PublicClient<Transport, Chain> {
  const transport = onTransportError ? reporting(transportFor(chain), onTransportError) : transportFor(chain);
  return createPublicClient({ chain, transport, pollingInterval, cacheTime: 0 });
}

/**
 * `transport`, telling `onError` of each request the node failed: no answer, an HTTP error status
 * or a timeout, after the transport's own retries. A JSON-RPC error answer (a call that reverts) is
 * an answer, not a failure of the node.
 */
function reporting(transport: Transport, onError: (err: Error) => void): Transport {
  return (config) => {
    const inner = transport(config);
    const request: typeof inner.request = async (args, options) => {
      try {
        return await inner.request(args, options);
      } catch (err) {
        if (err instanceof HttpRequestError || err instanceof TimeoutError) onError(err);
        throw err;
      }
    };
    return { ...inner, request };
  };
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
