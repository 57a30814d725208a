import {
  type Address,
  encodeAbiParameters,
  keccak256,
  numberToHex,
  type PublicClient,
  type StateOverride,
  zeroAddress,
} from "viem";
import { devTokenAbi } from "./abi.gen.ts";

/** Storage slots searched for a token's balance mapping. */
const BALANCE_SLOTS = 32n;

const balanceKey = (holder: Address, slot: bigint) =>
  keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [holder, slot]));

const slotOverride = (token: Address, holder: Address, slot: bigint, amount: bigint): StateOverride => [
  {
    address: token,
    stateDiff: [{ slot: balanceKey(holder, slot), value: numberToHex(amount, { size: 32 }) }],
  },
];

/**
 * A state override that gives `holder` `amount` of `token` (the zero address: native coin), for
 * simulating what an account could do once funded: eth_call and eth_estimateGas accept it. An
 * ERC-20's balance mapping is found as the storage slot whose override shows up in `balanceOf`
 * (Solidity's layout: `mapping(address => uint256)` at some slot); null for a token laid out
 * otherwise.
 */
export async function tokenBalanceOverride(
  client: PublicClient,
  token: Address,
  holder: Address,
  amount: bigint,
): Promise<StateOverride | null> {
  if (token === zeroAddress) return [{ address: holder, balance: amount }];
  for (let slot = 0n; slot < BALANCE_SLOTS; slot++) {
    const balance = await client.readContract({
      address: token,
      abi: devTokenAbi,
      functionName: "balanceOf",
      args: [holder],
      stateOverride: slotOverride(token, holder, slot, amount),
    });
    if (balance === amount) return slotOverride(token, holder, slot, amount);
  }
  return null;
}
