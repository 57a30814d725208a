import type { FeeOption, Intent } from "@0xtrails/api";
import type { Address, Hex, PrivateKeyAccount } from "viem";
import { devTokenAbi, intentEntrypointAbi } from "../../src/chains/abi.gen.ts";
import { permitDomain } from "../../src/chains/gasless.ts";
import { gaslessTypedData } from "../../src/chains/typed-data.ts";
import type { Client } from "./onchain.ts";

export interface Signed {
  intentSignature: Hex;
  permitSignature: Hex;
  permitAmount: bigint;
  permitDeadline: bigint;
  userNonce: bigint;
  deadline: bigint;
}

/** The origin chain of a gasless deposit: its node, id and IntentEntrypoint. */
export interface GaslessChain {
  client: Client;
  chainId: number;
  entrypoint: Address;
}

/** Changes to what is signed, for the refusals. */
export interface Tweak {
  owner?: Address;
  nonce?: bigint;
  deadline?: bigint;
  permitAmount?: bigint;
}

/**
 * What the user's wallet signs, with viem's signTypedData: the ERC-2612 permit for the entrypoint
 * (deposit + fee) and the TrailsIntent.
 */
export async function signGasless(
  chain: GaslessChain,
  signer: PrivateKeyAccount,
  intent: Intent,
  option: FeeOption,
  tweak: Tweak = {},
): Promise<Signed> {
  const { client, entrypoint } = chain;
  const owner = tweak.owner ?? signer.address;
  const token = intent.depositTransaction.tokenAddress as Address;
  const deadline = tweak.deadline ?? (await client.getBlock()).timestamp + 300n;
  const userNonce =
    tweak.nonce ??
    (await client.readContract({
      address: entrypoint,
      abi: intentEntrypointAbi,
      functionName: "nonces",
      args: [owner],
    }));
  const permitAmount = tweak.permitAmount ?? intent.depositTransaction.amount + option.amount;
  const permitNonce = await client.readContract({
    address: token,
    abi: devTokenAbi,
    functionName: "nonces",
    args: [owner],
  });
  const domain = await permitDomain(client, token);
  if (!domain) throw new Error("the deposit token has no permit domain");
  const typed = gaslessTypedData({
    chainId: chain.chainId,
    entrypoint,
    permitDomain: domain,
    owner,
    token,
    amount: intent.depositTransaction.amount,
    intentAddress: intent.depositTransaction.toAddress as Address,
    deadline,
    userNonce,
    permitNonce,
    permitAmount,
    feeAmount: option.amount,
    feeCollector: option.feeCollectorAddress as Address,
  });
  const permitSignature = await signer.signTypedData(typed.permit);
  const intentSignature = await signer.signTypedData(typed.intent);
  return { intentSignature, permitSignature, permitAmount, permitDeadline: deadline, userNonce, deadline };
}

/** ExecuteIntent's `depositSignature` for what was signed with `option`. */
export const depositSignature = (s: Signed, option: FeeOption) => ({
  intentSignature: s.intentSignature,
  permitSignature: s.permitSignature,
  permitDeadline: Number(s.permitDeadline),
  permitAmount: s.permitAmount,
  selectedGasFeeOption: option,
  userNonce: Number(s.userNonce),
  deadline: Number(s.deadline),
});
