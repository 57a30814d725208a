import { z } from "zod";
import type { Token } from "../../../chains/registry.ts";
import { addressField, chainIdField } from "../../../core/fields.ts";
import { WebrpcError } from "../errors.ts";
import { method } from "../method.ts";

/** A listed token in the `TokenInfo` shape. */
export function tokenInfo(token: Token) {
  return {
    chainId: token.chainId,
    address: token.address,
    name: token.name,
    symbol: token.symbol,
    decimals: token.decimals,
    supportsBridging: true,
    featured: true,
  };
}

function matches(token: Token, query: string): boolean {
  const q = query.toLowerCase();
  return token.symbol.toLowerCase().includes(q) || token.name.toLowerCase().includes(q);
}

const getTokenListRequest = z.object({
  chainIds: z.array(chainIdField),
  searchQuery: z.string().optional(),
  limit: z.number().int().positive().optional(),
  tokenAddress: addressField.optional(),
  includeAllListed: z.boolean().optional(),
  includeExternal: z.boolean().optional(),
  excludeTokens: z.array(addressField).optional(),
});

const getTokenPricesRequest = z.object({
  tokens: z.array(
    z.object({ chainId: chainIdField, tokenAddress: addressField, tokenSymbol: z.string().optional() }),
  ),
});

export const catalogMethods = {
  GetChains: method(z.object({ routeProvider: z.string().optional() }), (_req, ctx) => ({
    chains: ctx.registry.chains.map((chain) => ({
      id: chain.chainId,
      name: chain.name,
      tokenName: chain.native.name,
      tokenSymbol: chain.native.symbol,
      tokenDecimals: chain.native.decimals,
      isTestnet: chain.testnet,
      supportsBridging: true,
      ...(chain.explorerUrl ? { blockExplorerUrl: chain.explorerUrl } : {}),
    })),
  })),

  /** An empty `chainIds` lists every chain's tokens. */
  /**
   * Chains Junction does not serve are skipped, not refused: the widget asks with every chain it
   * knows, and wants the tokens of those it can use.
   */
  GetTokenList: method(getTokenListRequest, (req, ctx) => {
    const chains =
      req.chainIds.length > 0
        ? req.chainIds.flatMap((id) => ctx.registry.chain(id) ?? [])
        : ctx.registry.chains;
    const excluded = new Set(req.excludeTokens ?? []);
    const tokens = chains
      .flatMap((c) => c.tokens)
      .filter((t) => !req.tokenAddress || t.address === req.tokenAddress)
      .filter((t) => !excluded.has(t.address))
      .filter((t) => !req.searchQuery || matches(t, req.searchQuery));
    return { tokens: tokens.slice(0, req.limit ?? tokens.length).map(tokenInfo) };
  }),

  /**
   * Tokens Junction does not list, or whose feed has not answered yet, come back without
   * `priceUsd`, as webrpc's optional field allows; `updatedAt` is the feed's last read (a fixed
   * price: the start).
   */
  GetTokenPrices: method(getTokenPricesRequest, (req, ctx) => ({
    tokenPrices: req.tokens.map((token) => {
      const known = ctx.registry.token(token.chainId, token.tokenAddress);
      const read = known && (known.price.feed === null || known.price.updatedAt !== null);
      return {
        token: {
          chainId: token.chainId,
          tokenAddress: token.tokenAddress,
          tokenSymbol: known?.symbol ?? token.tokenSymbol,
        },
        ...(known && read ? { priceUsd: Number(known.price.usd) } : {}),
        updatedAt: (known?.price.updatedAt ?? ctx.startedAt).toISOString(),
      };
    }),
  })),

  /**
   * Trails has one address per contract across chains. Junction's router is Settlement and its
   * shim the Executor; the devnet deploys them at the same address on every chain.
   */
  GetTrailsContracts: method(z.object({}).passthrough(), (_req, ctx) => {
    const first = ctx.registry.chains[0];
    if (!first) throw new WebrpcError("Unavailable", "no chains are configured");
    return {
      TrailsContracts: {
        trailsIntentEntrypointAddress: first.contracts.IntentEntrypoint,
        trailsRouterAddress: first.contracts.Settlement,
        trailsRouterShimAddress: first.contracts.Executor,
      },
    };
  }),
};
