/**
 * The payments of a chaos run (`test/support/chaos.ts`), each driven as a client would while the
 * engine is being killed under it: every call that fails in transit is tried again until the
 * run's deadline, and a state-changing call whose answer was lost is checked for having happened
 * before it is sent again. Each payment knows where its money must end up, so the run can judge
 * it from the chains alone.
 */
import { type FeeOption, TradeType, type TrailsApi, WebrpcError } from "@0xtrails/api";
import { type Address, encodeFunctionData, type Hex, type PrivateKeyAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { demoVaultAbi, devTokenAbi } from "../../src/chains/abi.gen.ts";
import type { walletClientFor } from "../../src/chains/clients.ts";
import { AMOUNT_PLACEHOLDER } from "../../src/core/calldata.ts";
import { abortMessage } from "../../src/core/intent/authority.ts";
import { depositSignature, signGasless } from "./gasless.ts";
import { balanceOf, type Client, freshAddress } from "./onchain.ts";

export const paymentKinds = ["plain", "call", "gasless", "connect", "abort", "revert"] as const;
export type PaymentKind = (typeof paymentKinds)[number];

/** How often each kind is picked, out of their sum. */
export const paymentWeights: Record<PaymentKind, number> = {
  plain: 30,
  call: 15,
  gasless: 15,
  connect: 20,
  abort: 10,
  revert: 10,
};

export interface ChaosChain {
  chainId: number;
  client: Client;
  usdc: Address;
  vault: Address;
  entrypoint: Address;
  /** The Connect asset id of its USDC. */
  usdcAsset: string;
}

export interface PaymentContext {
  trails: TrailsApi;
  /** Junction's base URL, for the Connect API. */
  url: string;
  chains: ChaosChain[];
  /** The worker's own funded account: it pays every deposit, so its nonces are its own. */
  depositor: ReturnType<typeof walletClientFor>[];
  random: () => number;
  /** Epoch ms after which nothing is tried again. */
  deadline: number;
}

/** Where a payment's money must be at the end, and how much. */
export interface Expectation {
  status: string;
  amount: bigint;
  /** What the holder has now (a token balance, or assets in the vault). */
  holding: () => Promise<bigint>;
}

export interface Payment {
  kind: PaymentKind;
  /** The intent id (Trails) or execution id (Connect). */
  id: string;
  origin: ChaosChain;
  depositAddress: Address;
  /** The status now, or null when Junction cannot be reached. */
  status: () => Promise<string | null>;
  /** Statuses after which nothing more happens to this payment. */
  final: readonly string[];
  expect: Expectation;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A failure in transit (the engine is down, restarting or overloaded): worth trying again. */
export function transient(err: unknown): boolean {
  if (err instanceof WebrpcError) {
    // -1: the request never got an answer; 2002: Unavailable.
    return err.code === -1 || err.code === 2002 || err.status === 429 || err.status >= 500;
  }
  return (
    err instanceof TypeError || (err instanceof HttpFailure && (err.status === 429 || err.status >= 500))
  );
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    body: unknown,
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

/**
 * `call` until it answers; a refusal is final unless `happened` says the call's effect is there
 * already (its first try went through and only the answer was lost).
 */
async function persist<T>(
  ctx: PaymentContext,
  what: string,
  call: () => Promise<T>,
  happened?: () => Promise<boolean>,
): Promise<T | null> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!transient(err)) {
        if (happened && (await persist(ctx, `${what} (checking)`, happened))) return null;
        throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (Date.now() > ctx.deadline) throw new Error(`${what}: Junction did not answer by the deadline`);
      await sleep(300);
    }
  }
}

async function connect(ctx: PaymentContext, method: string, path: string, body?: unknown) {
  const res = await fetch(`${ctx.url}/api/v1${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), "x-api-key": "devnet" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the Connect answers are read field by field
  const answer: any = await res.json();
  if (res.status >= 400) throw new HttpFailure(res.status, answer);
  return answer;
}

/** The payment's deposit, an ERC-20 transfer from the worker's account, mined. */
async function transfer(ctx: PaymentContext, chain: ChaosChain, to: Address, amount: bigint): Promise<Hex> {
  const wallet = ctx.depositor[ctx.chains.indexOf(chain)] as (typeof ctx.depositor)[number];
  const hash = await wallet.writeContract({
    address: chain.usdc,
    abi: devTokenAbi,
    functionName: "transfer",
    args: [to, amount],
  });
  const receipt = await chain.client.waitForTransactionReceipt({ hash, timeout: 60_000 });
  if (receipt.status !== "success") throw new Error(`the transfer ${hash} reverted`);
  return hash;
}

function route(ctx: PaymentContext): [ChaosChain, ChaosChain] {
  const from = Math.floor(ctx.random() * ctx.chains.length);
  const to = (from + 1 + Math.floor(ctx.random() * (ctx.chains.length - 1))) % ctx.chains.length;
  return [ctx.chains[from] as ChaosChain, ctx.chains[to] as ChaosChain];
}

/** 5 to 50 USDC, whole cents. */
const amountOf = (ctx: PaymentContext) => 5_000_000n + BigInt(Math.floor(ctx.random() * 4_500)) * 10_000n;

const usdcOf = (chain: ChaosChain, holder: Address) => () => balanceOf(chain.client, chain.usdc, holder);

async function vaultAssets(chain: ChaosChain, holder: Address): Promise<bigint> {
  const shares = await chain.client.readContract({
    address: chain.vault,
    abi: demoVaultAbi,
    functionName: "balanceOf",
    args: [holder],
  });
  return chain.client.readContract({
    address: chain.vault,
    abi: demoVaultAbi,
    functionName: "convertToAssets",
    args: [shares],
  });
}

const trailsFinal = ["SUCCEEDED", "FAILED", "REFUNDED", "ABORTED"] as const;

/** QuoteIntent then CommitIntent, as the client sends them; with the quote's gas fee options. */
async function committedIntent(
  ctx: PaymentContext,
  from: ChaosChain,
  to: ChaosChain,
  owner: Address,
  extra: { destinationToAddress: Address; destinationCallData?: Hex },
) {
  const quoted = await persist(ctx, "QuoteIntent", () =>
    ctx.trails.quoteIntent({
      ownerAddress: owner,
      originChainId: from.chainId,
      originTokenAddress: from.usdc,
      destinationChainId: to.chainId,
      destinationTokenAddress: to.usdc,
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: amountOf(ctx),
      ...extra,
    }),
  );
  if (!quoted) throw new Error("QuoteIntent: no answer");
  const { intent } = quoted;
  const status = () => intentStatus(ctx, intent.intentId);
  await persist(
    ctx,
    "CommitIntent",
    () => ctx.trails.commitIntent({ intent }),
    async () => (await status()) !== "QUOTED",
  );
  return { ...quoted, status };
}

async function intentStatus(ctx: PaymentContext, intentId: string): Promise<string> {
  const res = await persist(ctx, "GetIntentReceipt", () => ctx.trails.getIntentReceipt({ intentId }));
  return res?.intentReceipt.status ?? "unknown";
}

/** Announces a deposit with ExecuteIntent; the watcher finds it anyway, so a refusal is not an error. */
async function announce(ctx: PaymentContext, intentId: string, hash: Hex): Promise<void> {
  await persist(ctx, "ExecuteIntent", () =>
    ctx.trails.executeIntent({ intentId, depositTransactionHash: hash }),
  ).catch(() => undefined);
}

/**
 * A Trails payment by transfer: plain, into the destination's vault (`call`), or with a
 * destination call that reverts (`revert`: the money goes to the owner on the destination chain).
 */
async function trailsTransfer(ctx: PaymentContext, kind: "plain" | "call" | "revert"): Promise<Payment> {
  const [from, to] = route(ctx);
  const owner = freshAddress();
  const recipient = freshAddress();
  const callData =
    kind === "call"
      ? encodeFunctionData({
          abi: demoVaultAbi,
          functionName: "deposit",
          args: [BigInt(AMOUNT_PLACEHOLDER), recipient],
        })
      : kind === "revert"
        ? // Redeeming shares the caller does not have reverts inside the vault.
          encodeFunctionData({ abi: demoVaultAbi, functionName: "redeem", args: [10n ** 18n, owner, owner] })
        : undefined;
  const { intent, status } = await committedIntent(ctx, from, to, owner, {
    destinationToAddress: callData ? to.vault : recipient,
    ...(callData ? { destinationCallData: callData } : {}),
  });
  const depositAddress = intent.depositTransaction.toAddress as Address;
  const hash = await transfer(ctx, from, depositAddress, intent.depositTransaction.amount);
  await announce(ctx, intent.intentId, hash);
  const toAmount = intent.quote.toAmount;
  const expectation: Record<typeof kind, Expectation> = {
    plain: { status: "SUCCEEDED", amount: toAmount, holding: usdcOf(to, recipient) },
    call: { status: "SUCCEEDED", amount: toAmount, holding: () => vaultAssets(to, recipient) },
    revert: { status: "FAILED", amount: toAmount, holding: usdcOf(to, owner) },
  };
  return {
    kind,
    id: intent.intentId,
    origin: from,
    depositAddress,
    status,
    final: trailsFinal,
    expect: expectation[kind],
  };
}

/** A gasless Trails payment: a user with USDC and no native coin signs a permit; the relayer deposits. */
async function gasless(ctx: PaymentContext): Promise<Payment> {
  const [from, to] = route(ctx);
  const user: PrivateKeyAccount = privateKeyToAccount(generatePrivateKey());
  const recipient = freshAddress();
  const { intent, gasFeeOptions, status } = await committedIntent(ctx, from, to, user.address, {
    destinationToAddress: recipient,
  });
  const option = gasFeeOptions.feeOptions[0] as FeeOption;
  await transfer(ctx, from, user.address, intent.depositTransaction.amount + option.amount);
  const signed = await signGasless(
    { client: from.client, chainId: from.chainId, entrypoint: from.entrypoint },
    user,
    intent,
    option,
  );
  await persist(
    ctx,
    "ExecuteIntent (gasless)",
    () =>
      ctx.trails.executeIntent({
        intentId: intent.intentId,
        depositSignature: depositSignature(signed, option),
      }),
    async () => (await status()) !== "COMMITTED",
  );
  return {
    kind: "gasless",
    id: intent.intentId,
    origin: from,
    depositAddress: intent.depositTransaction.toAddress as Address,
    status,
    final: trailsFinal,
    expect: { status: "SUCCEEDED", amount: intent.quote.toAmount, holding: usdcOf(to, recipient) },
  };
}

/** Abort with the owner's signature, then deposit anyway: the deposit goes back to the owner. */
async function abortThenDeposit(ctx: PaymentContext): Promise<Payment> {
  const [from, to] = route(ctx);
  const owner = privateKeyToAccount(generatePrivateKey());
  const { intent, status } = await committedIntent(ctx, from, to, owner.address, {
    destinationToAddress: freshAddress(),
  });
  const ownerSignature = await owner.signMessage({ message: abortMessage(intent.intentId) });
  await persist(
    ctx,
    "AbortIntent",
    () =>
      ctx.trails.abortIntent({
        intentId: intent.intentId,
        chainId: 0,
        abortTransactionHash: "",
        ownerSignature,
      } as Parameters<TrailsApi["abortIntent"]>[0]),
    async () => (await status()) === "ABORTED",
  );
  const depositAddress = intent.depositTransaction.toAddress as Address;
  const amount = intent.depositTransaction.amount;
  const hash = await transfer(ctx, from, depositAddress, amount);
  await announce(ctx, intent.intentId, hash);
  return {
    kind: "abort",
    id: intent.intentId,
    origin: from,
    depositAddress,
    status,
    // ABORTED is where it waits for the deposit to come back; REFUNDED once it has.
    final: ["REFUNDED"],
    expect: { status: "REFUNDED", amount, holding: usdcOf(from, owner.address) },
  };
}

/** An Intents Connect bridge-in from an EVM wallet: the steps put what arrives into the vault. */
async function bridgeIn(ctx: PaymentContext): Promise<Payment> {
  const [from, to] = route(ctx);
  const wallet = privateKeyToAccount(generatePrivateKey());
  const receiver = freshAddress();
  const body = {
    version: "1.0",
    type: "evm",
    dry: false,
    outOperation: false,
    quote: {
      originAsset: from.usdcAsset,
      destinationAsset: to.usdcAsset,
      amount: amountOf(ctx).toString(),
      swapType: "EXACT_INPUT",
      slippageTolerance: 50,
      deadline: new Date(Date.now() + 10 * 60_000).toISOString(),
    },
    steps: [
      {
        to: to.usdc,
        functionSignature: "approve(address,uint256)",
        parameters: [to.vault, "{MIN_AMOUNT_OUT}"],
        value: "0",
      },
      {
        to: to.vault,
        functionSignature: "deposit(uint256,address)",
        parameters: ["{MIN_AMOUNT_OUT}", receiver],
        value: "0",
      },
    ],
  };
  const list = async () => (await connect(ctx, "GET", `/executions/${wallet.address}`)).result as unknown[];
  // A create whose answer was lost made the wallet's one live execution: use it.
  const created = await persist(ctx, "create execution", async () => {
    const [existing] = await list();
    return existing ?? (await connect(ctx, "POST", `/executions/${wallet.address}`, body)).result;
  });
  const id = created.id as string;
  const status = async () => {
    const res = await persist(ctx, "list executions", () =>
      connect(ctx, "GET", `/executions/${wallet.address}?id=${id}`),
    );
    return (res?.result?.[0]?.status as string | undefined) ?? "unknown";
  };
  const signature = await wallet.signMessage({ message: created.details.payload.payload_json });
  await persist(
    ctx,
    "submit signature",
    () => connect(ctx, "POST", `/executions/${wallet.address}/submit`, { executionId: id, signature }),
    async () => (await status()) !== "CREATED",
  );
  const depositAddress = created.quote.depositAddress as Address;
  const hash = await transfer(ctx, from, depositAddress, BigInt(created.quote.amountIn));
  await persist(ctx, "deposit/submit", () =>
    connect(ctx, "POST", "/executions/deposit/submit", { txHash: hash, depositAddress }),
  ).catch(() => undefined);
  return {
    kind: "connect",
    id,
    origin: from,
    depositAddress,
    status,
    final: ["SUCCESS", "DEPOSIT_FAILED", "OPERATION_FAILED"],
    expect: {
      status: "SUCCESS",
      amount: BigInt(created.quote.minAmountOut),
      holding: () => vaultAssets(to, receiver),
    },
  };
}

/** Starts a payment of `kind`: everything up to the deposit (or the signed permit) sent. */
export function startPayment(ctx: PaymentContext, kind: PaymentKind): Promise<Payment> {
  switch (kind) {
    case "plain":
    case "call":
    case "revert":
      return trailsTransfer(ctx, kind);
    case "gasless":
      return gasless(ctx);
    case "abort":
      return abortThenDeposit(ctx);
    case "connect":
      return bridgeIn(ctx);
  }
}

/** Waits until the payment's status is final or the deadline passes; the last status seen. */
export async function settle(ctx: PaymentContext, payment: Payment): Promise<string | null> {
  for (;;) {
    const status = await payment.status().catch(() => null);
    if (status && payment.final.includes(status)) return status;
    if (Date.now() > ctx.deadline) return status;
    await sleep(500);
  }
}
