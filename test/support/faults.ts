import type { Address } from "viem";
import type { Chains } from "../../src/chains/gateway.ts";
import type { PortOverrides } from "../../src/engine/wiring.ts";

/**
 * A node that fails the engine's balance reads at a confirmed block for the holders in
 * `poisoned` (lower-case), as a node that errors on them would; reads of the head (the API's)
 * still work. Pass `ports` to `startTestJunction`.
 */
export function poisonedBalanceReads() {
  const poisoned = new Set<string>();
  const ports: PortOverrides = {
    chains: (real: Chains) =>
      Object.assign(Object.create(real) as Chains, {
        balanceOf(chainId: number, token: Address, holder: Address, blockNumber?: bigint) {
          if (blockNumber !== undefined && poisoned.has(holder.toLowerCase())) {
            throw new Error("RPC: connection reset by peer");
          }
          return real.balanceOf(chainId, token, holder, blockNumber);
        },
      }),
  };
  return { poisoned, ports };
}
