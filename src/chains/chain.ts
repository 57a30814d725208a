import { type Chain, defineChain, zeroAddress } from "viem";
import type { ChainConfig, TokenConfig } from "../config/schema.ts";

export function isNative(token: Pick<TokenConfig, "address">): boolean {
  return token.address === zeroAddress;
}

/** The chain's native coin as configured, or ETH when the config lists none. */
export function nativeToken(chain: Pick<ChainConfig, "tokens">): {
  name: string;
  symbol: string;
  decimals: number;
} {
  const native = chain.tokens.find(isNative);
  return native
    ? { name: native.name ?? native.symbol, symbol: native.symbol, decimals: native.decimals }
    : { name: "Ether", symbol: "ETH", decimals: 18 };
}

/** A viem chain for a configured chain and the RPC URL it is reached at. */
export function toViemChain(chain: ChainConfig, rpcUrl: string, wsUrl: string | null = null): Chain {
  return defineChain({
    id: chain.chainId,
    name: chain.name,
    nativeCurrency: nativeToken(chain),
    rpcUrls: {
      default: { http: [rpcUrl, ...chain.fallbackRpcUrls], ...(wsUrl ? { webSocket: [wsUrl] } : {}) },
    },
    ...(chain.explorerUrl
      ? { blockExplorers: { default: { name: "Explorer", url: chain.explorerUrl } } }
      : {}),
  });
}
