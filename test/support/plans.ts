import { randomBytes } from "node:crypto";
import { type Address, bytesToHex } from "viem";
import type { IntentPlan } from "../../src/core/intent/plan.ts";

export const USDC = "0x00000000000000000000000000000000000000a1" as Address;
export const OWNER = "0x00000000000000000000000000000000000000c3" as Address;

/**
 * An intent plan for tests that need one without quoting: 100 USDC in (at least 95 of it filled)
 * on chain 1, 90 USDC out on chain 2, with a fresh id and deposit address unless given.
 */
export function testPlan(overrides: Partial<IntentPlan> = {}, now = new Date()): IntentPlan {
  return {
    intentId: bytesToHex(randomBytes(32)),
    owner: OWNER,
    tradeType: "EXACT_OUTPUT",
    from: { chainId: 1, address: USDC, symbol: "USDC", decimals: 6, native: false, priceUsd: "1" },
    to: { chainId: 2, address: USDC, symbol: "USDC", decimals: 6, native: false, priceUsd: "1" },
    depositAddress: bytesToHex(randomBytes(20)),
    salt: bytesToHex(randomBytes(32)),
    recipient: OWNER,
    call: null,
    slippagePpm: 5000n,
    quote: {
      tradeType: "EXACT_OUTPUT",
      fromAmount: 100n,
      fromAmountMin: 95n,
      toAmount: 90n,
      toAmountMin: 90n,
      originGas: { gasLimit: 1n, gasPrice: 1n, nativeCost: 1n, tokenAmount: 1n },
      destinationGas: { gasLimit: 1n, gasPrice: 1n, nativeCost: 1n, tokenAmount: 1n },
      protocolFee: 1n,
      totalFee: 3n,
    },
    feeOptions: [],
    originNativeUsd: "3000",
    destinationNativeUsd: "3000",
    request: {},
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 300_000).toISOString(),
    ...overrides,
  };
}
