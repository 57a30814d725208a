import type { Address } from "viem";

/**
 * EIP-712 types Junction's users sign, in the one place both signers (clients, tests) and the
 * verifying code read them from. They must match contracts/IntentEntrypoint.sol.
 */
export const trailsIntentTypes = {
  TrailsIntent: [
    { name: "user", type: "address" },
    { name: "token", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "intentAddress", type: "address" },
    { name: "deadline", type: "uint256" },
    { name: "chainId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "feeAmount", type: "uint256" },
    { name: "feeCollector", type: "address" },
  ],
} as const;

export function trailsIntentDomain(chainId: number, entrypoint: Address) {
  return { name: "TrailsIntentEntrypoint", version: "1", chainId, verifyingContract: entrypoint } as const;
}

/** ERC-2612 `permit`, signed against the token's own domain. */
export const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;
