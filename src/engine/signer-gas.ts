import { formatUnits } from "viem";
import { JunctionError } from "../core/errors.ts";
import { type EngineDeps, type Role, roles } from "./ports.ts";

/** A signer Junction will need on a chain for what it is asked to take on. */
export interface SignerNeed {
  role: Role;
  chainId: number;
}

/** Each signer's gas money against its chain's floor (`chains[].minSignerBalance`). */
export interface SignerGas extends SignerNeed {
  address: string;
  balanceWei: bigint;
  floorWei: bigint;
  low: boolean;
}

export async function signerGas(deps: EngineDeps, need: SignerNeed): Promise<SignerGas> {
  const address = deps.senders.of(need.role, need.chainId).address;
  const balanceWei = await deps.chains.signerBalance(need.chainId, address);
  const floorWei = deps.registry.requireChain(need.chainId, "chainId").minSignerBalanceWei;
  return { ...need, address, balanceWei, floorWei, low: balanceWei < floorWei };
}

/**
 * Refuses new work (a quote, a relayed deposit, an execution) that would need a signer short of
 * gas, rather than accept it and let it stall: the money would wait at a deposit address for a
 * fill that cannot be sent. Logged as an error an alert can key on (`alert: "signer_low_gas"`).
 */
export async function requireSignerGas(deps: EngineDeps, needs: readonly SignerNeed[]): Promise<void> {
  const unique = [...new Map(needs.map((n) => [`${n.role}:${n.chainId}`, n])).values()];
  for (const gas of await Promise.all(unique.map((need) => signerGas(deps, need)))) {
    if (!gas.low) continue;
    const chain = deps.registry.requireChain(gas.chainId, "chainId");
    const coins = (wei: bigint) => `${formatUnits(wei, chain.native.decimals)} ${chain.native.symbol}`;
    deps.log.error(
      {
        alert: "signer_low_gas",
        chainId: gas.chainId,
        role: gas.role,
        address: gas.address,
        balance: String(gas.balanceWei),
        floor: String(gas.floorWei),
      },
      "a signer is short of gas: new work that needs it is refused until an operator tops it up",
    );
    throw new JunctionError(
      "unavailable",
      `Junction's ${gas.role} on chain ${gas.chainId} (${gas.address}) holds ${coins(gas.balanceWei)}, under its floor of ${coins(gas.floorWei)}; it takes nothing new there until an operator tops it up: try again later`,
    );
  }
}

/** Every signer Junction has: each role on each chain. */
export function everySigner(deps: Pick<EngineDeps, "registry">): SignerNeed[] {
  return deps.registry.chains.flatMap((chain) => roles.map((role) => ({ role, chainId: chain.chainId })));
}

/** Every signer's gas money on every chain, against the chain's floor. */
export function everySignerGas(deps: EngineDeps): Promise<SignerGas[]> {
  return Promise.all(everySigner(deps).map((need) => signerGas(deps, need)));
}
