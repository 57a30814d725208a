import {
  type Account,
  type Address,
  encodeFunctionData,
  type Hex,
  type PublicClient,
  parseSignature,
  type TypedDataDomain,
} from "viem";
import { devTokenAbi, intentEntrypointAbi } from "./abi.gen.ts";
import { permitTypes, trailsIntentDomain, trailsIntentTypes } from "./typed-data.ts";

/** The `TrailsIntent` a user signs for a gasless deposit (contracts/IntentEntrypoint.sol). */
export interface TrailsIntentMessage {
  user: Address;
  token: Address;
  amount: bigint;
  intentAddress: Address;
  deadline: bigint;
  chainId: bigint;
  nonce: bigint;
  feeAmount: bigint;
  feeCollector: Address;
}

/** An ERC-2612 permit for the entrypoint, as signed: its value, deadline and signature. */
export interface SignedPermit {
  value: bigint;
  deadline: bigint;
  signature: Hex;
}

/**
 * The token's EIP-712 domain for permits, from ERC-5267 `eip712Domain()`; null when the token
 * does not announce one (then it has no usable ERC-2612 permit).
 */
export async function permitDomain(client: PublicClient, token: Address): Promise<TypedDataDomain | null> {
  try {
    const [, name, version, chainId, verifyingContract] = await client.readContract({
      address: token,
      abi: devTokenAbi,
      functionName: "eip712Domain",
    });
    // `nonces` is the other half of ERC-2612; a token without it cannot take a permit.
    await client.readContract({ address: token, abi: devTokenAbi, functionName: "nonces", args: [token] });
    return { name, version, chainId: Number(chainId), verifyingContract };
  } catch {
    return null;
  }
}

export interface GaslessDepositRequest {
  /** The origin chain's IntentEntrypoint. */
  entrypoint: Address;
  token: Address;
  /** Into the intent's deposit address. */
  amount: bigint;
  intentAddress: Address;
  feeAmount: bigint;
  feeCollector: Address;
  /** Unix seconds, for the intent signature and (unless `permitDeadline` is given) the permit. */
  deadline: bigint;
  permitDeadline?: bigint;
}

export interface SignedGaslessDeposit {
  intent: TrailsIntentMessage;
  intentSignature: Hex;
  permit: SignedPermit;
}

/**
 * What a user signs to deposit without gas: the `TrailsIntent` (with its entrypoint nonce) and an
 * ERC-2612 permit for the entrypoint covering the deposit and the fee. Reads both nonces from the
 * chain. Wallets, tests and Junction's own gas probe all sign through here.
 */
export async function signGaslessDeposit(
  client: PublicClient,
  account: Account,
  req: GaslessDepositRequest,
): Promise<SignedGaslessDeposit> {
  if (!account.signTypedData) throw new Error("the account cannot sign typed data");
  const chainId = await client.getChainId();
  const owner = account.address;
  const [domain, permitNonce, intentNonce] = await Promise.all([
    permitDomain(client, req.token),
    client.readContract({ address: req.token, abi: devTokenAbi, functionName: "nonces", args: [owner] }),
    client.readContract({
      address: req.entrypoint,
      abi: intentEntrypointAbi,
      functionName: "nonces",
      args: [owner],
    }),
  ]);
  if (!domain) throw new Error(`token ${req.token} has no ERC-2612 permit`);
  const permit = { value: req.amount + req.feeAmount, deadline: req.permitDeadline ?? req.deadline };
  const permitSignature = await account.signTypedData({
    domain,
    types: permitTypes,
    primaryType: "Permit",
    message: {
      owner,
      spender: req.entrypoint,
      value: permit.value,
      nonce: permitNonce,
      deadline: permit.deadline,
    },
  });
  const intent: TrailsIntentMessage = {
    user: owner,
    token: req.token,
    amount: req.amount,
    intentAddress: req.intentAddress,
    deadline: req.deadline,
    chainId: BigInt(chainId),
    nonce: intentNonce,
    feeAmount: req.feeAmount,
    feeCollector: req.feeCollector,
  };
  const intentSignature = await account.signTypedData({
    domain: trailsIntentDomain(chainId, req.entrypoint),
    types: trailsIntentTypes,
    primaryType: "TrailsIntent",
    message: intent,
  });
  return { intent, intentSignature, permit: { ...permit, signature: permitSignature } };
}

/** Calldata of `IntentEntrypoint.depositWithPermit`; no permit (deadline 0) uses an existing allowance. */
export function depositWithPermitData(
  intent: TrailsIntentMessage,
  signature: Hex,
  permit: SignedPermit | null,
): Hex {
  const split = permit ? parseSignature(permit.signature) : null;
  return encodeFunctionData({
    abi: intentEntrypointAbi,
    functionName: "depositWithPermit",
    args: [
      intent,
      signature,
      permit && split
        ? {
            value: permit.value,
            deadline: permit.deadline,
            v: Number(split.v ?? BigInt(split.yParity + 27)),
            r: split.r,
            s: split.s,
          }
        : { value: 0n, deadline: 0n, v: 0, r: `0x${"00".repeat(32)}`, s: `0x${"00".repeat(32)}` },
    ],
  });
}
