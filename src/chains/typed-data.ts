import type { Address, TypedDataDomain } from "viem";

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

/** What a gasless deposit's owner signs, given everything read from the chain and the quote. */
export interface GaslessSigning {
  chainId: number;
  entrypoint: Address;
  /** The token's own permit domain (ERC-5267). */
  permitDomain: TypedDataDomain;
  owner: Address;
  token: Address;
  amount: bigint;
  intentAddress: Address;
  deadline: bigint;
  /** The owner's next nonce on the entrypoint, and on the token for the permit. */
  userNonce: bigint;
  permitNonce: bigint;
  permitAmount: bigint;
  feeAmount: bigint;
  feeCollector: Address;
}

/** The two EIP-712 messages of a gasless deposit: the ERC-2612 permit and the TrailsIntent. */
export function gaslessTypedData(s: GaslessSigning) {
  return {
    permit: {
      domain: s.permitDomain,
      types: permitTypes,
      primaryType: "Permit",
      message: {
        owner: s.owner,
        spender: s.entrypoint,
        value: s.permitAmount,
        nonce: s.permitNonce,
        deadline: s.deadline,
      },
    },
    intent: {
      domain: trailsIntentDomain(s.chainId, s.entrypoint),
      types: trailsIntentTypes,
      primaryType: "TrailsIntent",
      message: {
        user: s.owner,
        token: s.token,
        amount: s.amount,
        intentAddress: s.intentAddress,
        deadline: s.deadline,
        chainId: BigInt(s.chainId),
        nonce: s.userNonce,
        feeAmount: s.feeAmount,
        feeCollector: s.feeCollector,
      },
    },
  } as const;
}
