/**
 * Names of the mainnets the Trails widget knows (its compiled-in viem chains), for a devnet run
 * under their ids (`devnet.chainIds`): our slug (lowercase letters and digits) and the slug
 * Sequence's node gateway uses in its paths, which the widget builds its RPC URLs from.
 */
export const knownChains: Record<number, { name: string; slug: string; gatewaySlug: string }> = {
  1: { name: "Ethereum", slug: "mainnet", gatewaySlug: "mainnet" },
  10: { name: "OP Mainnet", slug: "optimism", gatewaySlug: "optimism" },
  56: { name: "BNB Smart Chain", slug: "bsc", gatewaySlug: "bsc" },
  100: { name: "Gnosis", slug: "gnosis", gatewaySlug: "gnosis" },
  137: { name: "Polygon", slug: "polygon", gatewaySlug: "polygon" },
  143: { name: "Monad", slug: "monad", gatewaySlug: "monad" },
  1868: { name: "Soneium", slug: "soneium", gatewaySlug: "soneium" },
  5031: { name: "Somnia", slug: "somnia", gatewaySlug: "somnia" },
  8333: { name: "B3", slug: "b3", gatewaySlug: "b3" },
  8453: { name: "Base", slug: "base", gatewaySlug: "base" },
  33139: { name: "ApeChain", slug: "apechain", gatewaySlug: "apechain" },
  42161: { name: "Arbitrum One", slug: "arbitrum", gatewaySlug: "arbitrum" },
  42170: { name: "Arbitrum Nova", slug: "arbitrumnova", gatewaySlug: "arbitrum-nova" },
  42793: { name: "Etherlink", slug: "etherlink", gatewaySlug: "etherlink" },
  43114: { name: "Avalanche", slug: "avalanche", gatewaySlug: "avalanche" },
  81457: { name: "Blast", slug: "blast", gatewaySlug: "blast" },
  660279: { name: "Xai", slug: "xai", gatewaySlug: "xai" },
  747474: { name: "Katana", slug: "katana", gatewaySlug: "katana" },
};
