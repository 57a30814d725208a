import { zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { JunctionError } from "../errors.ts";
import { type AssetToken, assetIdOf, tokenOfAssetId } from "./assets.ts";

const usdc: AssetToken = {
  chainId: 900001,
  slug: "alpha",
  address: "0x58c1c343c185Aa5CD3c2Cc1c2b7d7bD055F1bf98",
  native: false,
  symbol: "USDC",
  decimals: 6,
};
const eth: AssetToken = { ...usdc, address: zeroAddress, native: true, symbol: "ETH", decimals: 18 };

describe("asset ids", () => {
  it("names a token by chain slug and lowercase address, and a native coin by the slug alone", () => {
    expect(assetIdOf(usdc)).toBe("nep141:alpha-0x58c1c343c185aa5cd3c2cc1c2b7d7bd055f1bf98.omft.near");
    expect(assetIdOf(eth)).toBe("nep141:alpha.omft.near");
  });

  it("finds the token an asset id names, whatever its case", () => {
    expect(tokenOfAssetId(assetIdOf(usdc).toUpperCase(), [usdc, eth], "quote.originAsset")).toBe(usdc);
    expect(tokenOfAssetId("nep141:alpha.omft.near", [usdc, eth], "quote.originAsset")).toBe(eth);
  });

  it.each([["nep141:beta.omft.near"], ["alpha-usdc"], [42], [undefined]])(
    "refuses %s naming the field",
    (id) => {
      expect(() => tokenOfAssetId(id, [usdc, eth], "quote.destinationAsset")).toThrow(JunctionError);
      expect(() => tokenOfAssetId(id, [usdc, eth], "quote.destinationAsset")).toThrow(
        /quote\.destinationAsset: .*nep141:alpha\.omft\.near/,
      );
    },
  );
});
