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

export function publicClientFor(chain: Chain): PublicClient<Transport, Chain> {
  return createPublicClient({ chain, transport: http(), pollingInterval });
}

export function walletClientFor(chain: Chain, account: Account): WalletClient<Transport, Chain, Account> {
  return createWalletClient({ chain, account, transport: http(), pollingInterval });
}
