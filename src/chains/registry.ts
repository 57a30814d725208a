import { type Address, type Chain, parseUnits } from "viem";
import type { ChainConfig, ChainContractName, TokenConfig } from "../config/schema.ts";
import { JunctionError } from "../core/errors.ts";
import { isNative, nativeToken, toViemChain } from "./chain.ts";

/** A token's price as Junction uses it now: fixed, or the last good read of its feed. */
export interface TokenPrice {
  usd: string;
  /** When the feed last answered; null for a fixed price, or a feed not read yet. */
  updatedAt: Date | null;
  /** The feed, for a price that is read (and can grow stale). */
  feed: Extract<TokenConfig["price"], { source: "http" }> | null;
}

export interface Token extends Omit<TokenConfig, "address" | "price" | "lowWater"> {
  chainId: number;
  /** `lowWater` in base units; null when none is configured. */
  lowWater: bigint | null;
  address: Address;
  name: string;
  native: boolean;
  /** Updated in place by the price feeds (`price-feeds.ts`). */
  price: TokenPrice;
}

export interface RuntimeChain {
  chainId: number;
  name: string;
  slug: string;
  rpcUrl: string;
  /** The node's WebSocket endpoint, whose `newHeads` subscription announces blocks; null: poll. */
  wsUrl: string | null;
  confirmations: number;
  blockPollMs: number;
  /** The least native coin (wei) each signer must hold here for new quotes to be taken. */
  minSignerBalanceWei: bigint;
  explorerUrl?: string;
  testnet: boolean;
  native: { name: string; symbol: string; decimals: number };
  tokens: Token[];
  contracts: Partial<Record<ChainContractName, Address>> &
    Record<Exclude<ChainContractName, "DemoVault">, Address>;
  viem: Chain;
}

/** Where a chain's addresses come from: the config (live) or the devnet's deployment. */
export interface ChainAddresses {
  rpcUrl: string;
  wsUrl: string | null;
  contracts: RuntimeChain["contracts"];
  /** Token symbol → address, for tokens the config leaves without one. */
  tokens: Record<string, Address>;
}

/** Every configured chain and token, with addresses resolved; the one lookup the rest of the code uses. */
export class ChainRegistry {
  readonly chains: readonly RuntimeChain[];

  constructor(configs: ChainConfig[], addresses: (chain: ChainConfig) => ChainAddresses, testnet: boolean) {
    this.chains = configs.map((config) => {
      const resolved = addresses(config);
      const tokens = config.tokens.map((token): Token => {
        const address = token.address ?? resolved.tokens[token.symbol];
        if (!address) throw new Error(`chain ${config.chainId}: token ${token.symbol} has no address`);
        return {
          ...token,
          chainId: config.chainId,
          lowWater: token.lowWater === undefined ? null : parseUnits(token.lowWater, token.decimals),
          address,
          name: token.name ?? token.symbol,
          native: isNative(token),
          price:
            token.price.source === "fixed"
              ? { usd: token.price.usd, updatedAt: null, feed: null }
              : { usd: "0", updatedAt: null, feed: token.price },
        };
      });
      return {
        chainId: config.chainId,
        name: config.name,
        slug: config.slug,
        rpcUrl: resolved.rpcUrl,
        wsUrl: resolved.wsUrl,
        confirmations: config.confirmations,
        blockPollMs: config.blockPollMs,
        minSignerBalanceWei: parseUnits(config.minSignerBalance, nativeToken(config).decimals),
        ...(config.explorerUrl ? { explorerUrl: config.explorerUrl } : {}),
        testnet,
        native: nativeToken(config),
        tokens,
        contracts: resolved.contracts,
        viem: toViemChain(config, resolved.rpcUrl, resolved.wsUrl),
      };
    });
  }

  chain(chainId: number): RuntimeChain | undefined {
    return this.chains.find((c) => c.chainId === chainId);
  }

  token(chainId: number, address: string): Token | undefined {
    const lower = address.toLowerCase();
    return this.chain(chainId)?.tokens.find((t) => t.address.toLowerCase() === lower);
  }

  allTokens(): Token[] {
    return this.chains.flatMap((c) => c.tokens);
  }

  /** The configured chain, or `unsupported_network` naming `field` and the chains there are. */
  requireChain(chainId: number, field: string): RuntimeChain {
    const chain = this.chain(chainId);
    if (!chain) {
      const known = this.chains.map((c) => c.chainId).join(", ");
      throw new JunctionError(
        "unsupported_network",
        `${field}: chain ${chainId} is not supported; supported chains: ${known}`,
      );
    }
    return chain;
  }

  /** The listed token, or `invalid_argument` naming `field` and the tokens listed on that chain. */
  requireToken(chainId: number, address: string, field: string): Token {
    const token = this.token(chainId, address);
    if (!token) {
      const listed = this.chain(chainId)?.tokens.map((t) => `${t.symbol} ${t.address}`) ?? [];
      throw new JunctionError(
        "invalid_argument",
        `${field}: ${address} is not a token Junction lists on chain ${chainId}; listed: ${listed.join(", ")}`,
      );
    }
    return token;
  }
}
