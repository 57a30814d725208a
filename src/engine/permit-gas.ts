import { type Address, encodeAbiParameters, keccak256, numberToHex, type PublicClient, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { devTokenAbi } from "../chains/abi.gen.ts";
import { depositWithPermitData, signGaslessDeposit } from "../chains/gasless.ts";

/** A throwaway key that signs permit deposits which are only ever estimated, never sent. */
const probe = privateKeyToAccount(keccak256(toHex("junction: permit deposit gas probe")));
/** Storage slots searched for a token's balance mapping. */
const BALANCE_SLOTS = 32n;
const PROBE_BALANCE = 10n ** 30n;

const balanceKey = (holder: Address, slot: bigint) =>
  keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [holder, slot]));

/**
 * The slot of `token`'s balance mapping (`mapping(address => uint256)` at that slot), found as
 * the one whose override shows up in `balanceOf`; null for a token laid out otherwise.
 */
async function balanceSlot(client: PublicClient, token: Address, holder: Address): Promise<bigint | null> {
  for (let slot = 0n; slot < BALANCE_SLOTS; slot++) {
    const balance = await client.readContract({
      address: token,
      abi: devTokenAbi,
      functionName: "balanceOf",
      args: [holder],
      stateOverride: [
        {
          address: token,
          stateDiff: [{ slot: balanceKey(holder, slot), value: numberToHex(PROBE_BALANCE, { size: 32 }) }],
        },
      ],
    });
    if (balance === PROBE_BALANCE) return slot;
  }
  return null;
}

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
  const slot = await balanceSlot(client, p.token, probe.address);
  if (slot === null) return null;
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
    stateOverride: [
      {
        address: p.token,
        stateDiff: [
          { slot: balanceKey(probe.address, slot), value: numberToHex(PROBE_BALANCE, { size: 32 }) },
        ],
      },
    ],
  });
  // The estimate itself: this prices the fee, whose margin covers variance; the limit a relayed
  // deposit is sent with gets its own headroom.
  return gas;
}
