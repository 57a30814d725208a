import type { Address, Hex } from "viem";
import type { TradeType } from "../quote.ts";
import type { SigningPayload, SigningStandard } from "./signing.ts";
import type { Step } from "./steps.ts";
import type { Wallet } from "./wallet.ts";

/** in: bridge-in (deposit, swap, then the steps on the destination chain); out: out-operation
 * (the steps on the origin chain make the deposit, then the swap); steps: steps only. */
export type Direction = "in" | "out" | "steps";
export type ExecutionMode = "quote_with_steps" | "steps_only";

/** The quote behind a quote-backed execution, as Junction priced it. */
export interface ExecutionQuote {
  originAsset: string;
  destinationAsset: string;
  /** The chains' slugs, so the signed text names them outright. */
  originChain: string;
  destinationChain: string;
  swapType: TradeType;
  /** The fixed side, as requested. */
  amount: bigint;
  slippageBps: number;
  /** Who receives the swap's output (out-operation); the intermediary account for a bridge-in. */
  recipient: Address;
  amountIn: bigint;
  minAmountIn: bigint;
  /** What the solver delivers. */
  amountOut: bigint;
  /** What the steps use: for a bridge-in, amountOut less the network fee. */
  minAmountOut: bigint;
  amountInUsd: number;
  amountOutUsd: number;
  /** What the swap costs (gas on both chains and the protocol fee), in the origin asset, within amountIn. */
  swapFee: bigint;
  depositAddress: Address;
  intentId: Hex;
}

/** Everything Junction decided when an execution was created; immutable afterwards. */
export interface ExecutionPlan {
  id: string;
  version: string;
  type: "evm";
  wallet: Wallet;
  standard: SigningStandard;
  identity: Hex;
  intermediary: Address;
  direction: Direction;
  /** The chain the steps run on. */
  chainId: number;
  chainSlug: string;
  quote: ExecutionQuote | null;
  /** The asset the steps spend (and the network fee is paid in). */
  stepsAsset: string;
  /** The steps exactly as they will run: placeholders filled in, the fee step included. */
  steps: Step[];
  networkFee: bigint;
  feeToken: Address;
  feeCollector: Address;
  metadata: Record<string, unknown>;
  /** What the wallet signs; null for a dry run. */
  payload: SigningPayload | null;
  deadline: string;
  createdAt: string;
  estimatedTime: string;
}

export const executionModeOf = (direction: Direction): ExecutionMode =>
  direction === "steps" ? "steps_only" : "quote_with_steps";

/**
 * The human-readable JSON a wallet signs: one signature authorises one bounded outcome, so it
 * states the execution, the wallet, the chains and assets, the amounts, every step as it will run
 * (fee step included), the most the user pays in fees, the deadline and a fresh nonce.
 */
export function payloadText(
  plan: Omit<ExecutionPlan, "payload">,
  nonce: Hex,
  chainSlugs: (chainId: number) => string,
): string {
  const q = plan.quote;
  const body = {
    action: "Authorise this Junction execution",
    executionId: plan.id,
    wallet: plan.wallet.id,
    walletType: plan.wallet.type,
    intermediaryAccount: plan.intermediary,
    operation: { in: "bridge-in", out: "out-operation", steps: "steps-only" }[plan.direction],
    ...(q
      ? {
          swap: {
            swapType: q.swapType,
            originChain: q.originChain,
            originAsset: q.originAsset,
            amountIn: q.amountIn.toString(),
            destinationChain: q.destinationChain,
            destinationAsset: q.destinationAsset,
            amountOut: q.amountOut.toString(),
            recipient: q.recipient,
          },
        }
      : {}),
    steps: {
      chain: chainSlugs(plan.chainId),
      calls: plan.steps.map((s) => ({
        to: s.to,
        functionSignature: s.functionSignature,
        parameters: s.parameters,
        value: s.value.toString(),
        ...(s.metadata?.name ? { name: s.metadata.name } : {}),
      })),
    },
    maxFee: {
      networkFee: { asset: plan.stepsAsset, amount: plan.networkFee.toString() },
      ...(q ? { swapFee: { asset: q.originAsset, amount: q.swapFee.toString() } } : {}),
    },
    deadline: plan.deadline,
    nonce,
  };
  return JSON.stringify(body, null, 2);
}
