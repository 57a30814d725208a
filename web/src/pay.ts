import { type FeeOption, type Intent, TradeType, TrailsApi } from "@0xtrails/api";
import {
  type Account,
  type Address,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  http,
  parseAbi,
  zeroAddress,
} from "viem";
import { permitDomain } from "../../src/chains/gasless.ts";
import { gaslessTypedData } from "../../src/chains/typed-data.ts";
import { AMOUNT_PLACEHOLDER } from "../../src/core/calldata.ts";
import { assetIdOf } from "../../src/core/connect/assets.ts";
import { vaultDepositSteps } from "../../src/core/connect/steps.ts";

/** A chain of the devnet as `GET /devnet` describes it. */
export interface DevnetChain {
  chainId: number;
  name: string;
  slug: string;
  tokens: { symbol: string; address: Address; decimals: number }[];
  contracts: Record<string, Address>;
}

export interface PaymentForm {
  from: DevnetChain;
  fromToken: Address;
  to: DevnetChain;
  toToken: Address;
  amount: bigint;
  tradeType: "EXACT_INPUT" | "EXACT_OUTPUT";
  recipient: Address;
  /** Deliver into the destination chain's DemoVault for the recipient (a destination call). */
  intoVault: boolean;
}

export const trailsClient = () => new TrailsApi("", { hostname: location.origin });

const vaultAbi = parseAbi(["function deposit(uint256 assets, address receiver) returns (uint256)"]);
const nonceAbi = parseAbi(["function nonces(address owner) view returns (uint256)"]);

/** The chain as viem needs it, its RPC through Junction's node gateway. */
function viemChain(chainId: number) {
  const url = `${location.origin}/nodes/${chainId}/playground`;
  return defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
}

/** The wallet paying: a devnet test account's key kept in the page, or the browser's wallet. */
export type Payer = { kind: "key"; account: Account } | { kind: "browser"; address: Address };

function walletFor(payer: Payer, chainId: number) {
  const chain = viemChain(chainId);
  if (payer.kind === "key") return createWalletClient({ account: payer.account, chain, transport: http() });
  const provider = (window as unknown as { ethereum?: Parameters<typeof custom>[0] }).ethereum;
  if (!provider) throw new Error("no browser wallet (window.ethereum) on this page");
  return createWalletClient({ account: payer.address, chain, transport: custom(provider) });
}

export const payerAddress = (payer: Payer): Address =>
  payer.kind === "key" ? payer.account.address : payer.address;

export async function quote(form: PaymentForm, owner: Address) {
  const vault = form.to.contracts.DemoVault;
  const call =
    form.intoVault && vault
      ? {
          destinationToAddress: vault,
          destinationCallData: encodeFunctionData({
            abi: vaultAbi,
            functionName: "deposit",
            args: [BigInt(AMOUNT_PLACEHOLDER), form.recipient],
          }),
        }
      : { destinationToAddress: form.recipient };
  return trailsClient().quoteIntent({
    ownerAddress: owner,
    originChainId: form.from.chainId,
    originTokenAddress: form.fromToken,
    destinationChainId: form.to.chainId,
    destinationTokenAddress: form.toToken,
    tradeType: form.tradeType === "EXACT_INPUT" ? TradeType.EXACT_INPUT : TradeType.EXACT_OUTPUT,
    ...(form.tradeType === "EXACT_INPUT"
      ? { originTokenAmount: form.amount }
      : { destinationTokenAmount: form.amount }),
    ...call,
  });
}

/** Commits the quote, transfers the deposit from the payer's wallet, and hands Junction its hash. */
export async function payByTransfer(intent: Intent, payer: Payer): Promise<Hex> {
  const trails = trailsClient();
  await trails.commitIntent({ intent });
  const wallet = walletFor(payer, intent.originChainId);
  const { toAddress, tokenAddress, amount } = intent.depositTransaction;
  const hash =
    tokenAddress === zeroAddress
      ? await wallet.sendTransaction({
          account: wallet.account ?? null,
          chain: wallet.chain,
          to: toAddress as Address,
          value: amount,
        })
      : await wallet.writeContract({
          account: wallet.account ?? null,
          chain: wallet.chain,
          address: tokenAddress as Address,
          abi: erc20Abi,
          functionName: "transfer",
          args: [toAddress as Address, amount],
        });
  await trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
  return hash;
}

/**
 * Commits the quote and pays without gas: the payer signs an ERC-2612 permit for the entrypoint
 * and the TrailsIntent; Junction's relayer sends the deposit, the fee taken in the token.
 */
export async function payGasless(intent: Intent, option: FeeOption, entrypoint: Address, payer: Payer) {
  const trails = trailsClient();
  await trails.commitIntent({ intent });
  const chainId = intent.originChainId;
  const reader = createPublicClient({ chain: viemChain(chainId), transport: http() });
  const wallet = walletFor(payer, chainId);
  const owner = payerAddress(payer);
  const token = intent.depositTransaction.tokenAddress as Address;
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 600);
  const permitAmount = intent.depositTransaction.amount + option.amount;
  const [userNonce, permitNonce, domain] = await Promise.all([
    reader.readContract({ address: entrypoint, abi: nonceAbi, functionName: "nonces", args: [owner] }),
    reader.readContract({ address: token, abi: nonceAbi, functionName: "nonces", args: [owner] }),
    permitDomain(reader, token),
  ]);
  if (!domain)
    throw new Error(`${intent.depositTransaction.tokenAddress} takes no ERC-2612 permit: pay by transfer`);
  const typed = gaslessTypedData({
    chainId,
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
  const account = wallet.account ?? owner;
  const permitSignature = await wallet.signTypedData({ account, ...typed.permit });
  const intentSignature = await wallet.signTypedData({ account, ...typed.intent });
  await trails.executeIntent({
    intentId: intent.intentId,
    depositSignature: {
      intentSignature,
      permitSignature,
      permitDeadline: Number(deadline),
      permitAmount,
      selectedGasFeeOption: option,
      userNonce: Number(userNonce),
      deadline: Number(deadline),
    },
  });
}

/** The devnet's Intents Connect API key, handed to its pages by `GET /devnet`. */
export interface ConnectAccess {
  apiKey: string;
}

async function connectCall<T>(path: string, body: unknown, apiKey?: string): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(apiKey ? { "x-api-key": apiKey } : {}) },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { result: T; error?: string };
  if (!res.ok) throw new Error(answer.error ?? `${path} failed (${res.status})`);
  return answer.result;
}

/**
 * An Intents Connect bridge-in, as a wallet does it: create the execution (the swap, then steps
 * that approve the destination chain's DemoVault and deposit what arrives for the recipient), sign
 * its payload (ERC-191), deposit USDC at its deposit address, announce the deposit. Returns the
 * execution's id.
 */
export async function bridgeIntoVault(
  form: PaymentForm,
  payer: Payer,
  access: ConnectAccess,
): Promise<string> {
  const wallet = payerAddress(payer);
  const asset = (chain: DevnetChain, token: Address) =>
    assetIdOf({ slug: chain.slug, address: token, native: token === zeroAddress });
  const { from, to } = form;
  const vault = to.contracts.DemoVault;
  if (!vault) throw new Error(`${to.name} has no DemoVault`);
  const execution = await connectCall<{
    id: string;
    quote: { depositAddress: Address; amountIn: string };
    details: { payload: { payload_json: string } };
  }>(
    `/executions/${wallet}`,
    {
      version: "1.0",
      type: "evm",
      dry: false,
      outOperation: false,
      metadata: { from: "playground" },
      quote: {
        originAsset: asset(from, form.fromToken),
        destinationAsset: asset(to, form.toToken),
        amount: form.amount.toString(),
        swapType: "EXACT_INPUT",
        slippageTolerance: 50,
        deadline: new Date(Date.now() + 10 * 60_000).toISOString(),
      },
      steps: vaultDepositSteps(form.toToken, vault, form.recipient),
    },
    access.apiKey,
  );
  const signer = walletFor(payer, from.chainId);
  const signature = await signer.signMessage({
    account: signer.account ?? wallet,
    message: execution.details.payload.payload_json,
  });
  await connectCall(`/executions/${wallet}/submit`, { executionId: execution.id, signature });
  const { depositAddress, amountIn } = execution.quote;
  const hash = await signer.writeContract({
    account: signer.account ?? wallet,
    chain: signer.chain,
    address: form.fromToken,
    abi: erc20Abi,
    functionName: "transfer",
    args: [depositAddress, BigInt(amountIn)],
  });
  await connectCall("/executions/deposit/submit", { txHash: hash, depositAddress });
  return execution.id;
}
