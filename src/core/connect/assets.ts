import type { Address } from "viem";
import { JunctionError } from "../errors.ts";

/** A token as the Connect API names it: by asset id, on a chain known by its slug. */
export interface AssetToken {
  chainId: number;
  /** The chain's short name in asset ids (eth, arb, alpha…). */
  slug: string;
  address: Address;
  native: boolean;
  symbol: string;
  decimals: number;
}

/**
 * The NEAR Intents asset id of a token: `nep141:<slug>-<address lowercase>.omft.near`, or
 * `nep141:<slug>.omft.near` for a chain's native coin.
 */
export function assetIdOf(token: Pick<AssetToken, "slug" | "address" | "native">): string {
  return token.native
    ? `nep141:${token.slug}.omft.near`
    : `nep141:${token.slug}-${token.address.toLowerCase()}.omft.near`;
}

/** The listed token an asset id names; otherwise `invalid_argument` naming `field` and listing what there is. */
export function tokenOfAssetId(id: unknown, tokens: readonly AssetToken[], field: string): AssetToken {
  const found = typeof id === "string" ? tokens.find((t) => assetIdOf(t) === id.toLowerCase()) : undefined;
  if (found) return found;
  throw new JunctionError(
    "invalid_argument",
    `${field}: ${JSON.stringify(id)} is not an asset Junction supports; expected one of ${tokens.map(assetIdOf).join(", ")} (see GET /api/v1/supported_tokens)`,
  );
}
