import { type Address, keccak256, type PublicClient, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { depositWithPermitData, signGaslessDeposit } from "./gasless.ts";
import { tokenBalanceOverride } from "./state-override.ts";

/** A throwaway key that signs permit deposits which are only ever estimated, never sent. */
const probe = privateKeyToAccount(keccak256(toHex("junction: permit deposit gas probe")));
/**
 * The gas of a permit deposit of `token`, from a real eth_estimateGas of `depositWithPermit` sent
 * by the relayer: a user who never deposited before (first use of both nonces, the costliest case)
 * signs a permit and an intent for a fresh deposit address, and is given a balance by state
 * override. Null if the token's balances cannot be found to override.
 */
export async function estimatePermitDepositGas(
  client: PublicClient,
  p: { entrypoint: Address; token: Address; feeCollector: Address; relayer: Address },
): Promise<bigint | null> {
  const funded = await tokenBalanceOverride(client, p.token, probe.address, 10n ** 30n);
  if (funded === null) return null;
  const { timestamp } = await client.getBlock();
  const signed = await signGaslessDeposit(client, probe, {
    entrypoint: p.entrypoint,
    token: p.token,
    amount: 1_000_000n,
    feeAmount: 1_000n,
    feeCollector: p.feeCollector,
    intentAddress: `0x${keccak256(toHex(`probe ${timestamp}`)).slice(26)}` as Address,
    deadline: timestamp + 3_600n,
  });
  const gas = await client.estimateGas({
    account: p.relayer,
    to: p.entrypoint,
    data: depositWithPermitData(signed.intent, signed.intentSignature, signed.permit),
    stateOverride: funded,
  });
  // The estimate itself: this prices the fee, whose margin covers variance; the limit a relayed
  // deposit is sent with gets its own headroom.
  return gas;
}
