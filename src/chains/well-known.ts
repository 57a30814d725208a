import type { Address } from "viem";

/**
 * Addresses clients have compiled in: viem's chain definitions batch reads through Multicall3,
 * and the Trails widget signs its gasless deposits for the Trails IntentEntrypoint at a fixed
 * address (EIP-712 `verifyingContract`) and permits that address to spend. The devnet places the
 * same code there, so those clients work against it unchanged; elsewhere most chains have
 * Multicall3 there already.
 */
export const wellKnownAddresses = {
  Multicall3: "0xcA11bde05977b3631167028862bE2a173976CA11",
  IntentEntrypoint: "0x91E9e3Fe369CF005dB2857Ef24955A66d1E692Cf",
} as const satisfies Record<string, Address>;
