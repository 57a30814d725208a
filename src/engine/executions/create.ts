import { randomBytes, randomUUID } from "node:crypto";
import { type Address, bytesToHex, type Hex } from "viem";
import type { Token } from "../../chains/registry.ts";
import { keyFingerprint } from "../../core/access-key.ts";
import { type AssetToken, assetIdOf, tokenOfAssetId } from "../../core/connect/assets.ts";
import {
  amountForSteps,
  checkDeadline,
  checkQuoteSteps,
  ESTIMATED_TIME,
  feeStep,
  outRecipient,
  PLACEHOLDERS,
  requireErc20,
  requireEvm,
  withFeeStep,
} from "../../core/connect/create-rules.ts";
import { type Direction, type ExecutionPlan, payloadText } from "../../core/connect/plan.ts";
import { signingPayload } from "../../core/connect/signing.ts";
import {
  encodeStep,
  type Placeholder,
  parseSteps,
  type Step,
  substituteStep,
} from "../../core/connect/steps.ts";
import { parseWallet, signingStandardOf, type Wallet, walletIdentity } from "../../core/connect/wallet.ts";
import { JunctionError } from "../../core/errors.ts";
import type { IntentPlan } from "../../core/intent/plan.ts";
import { pricedToken, usdValue } from "../../core/price.ts";
import type { TradeType } from "../../core/quote.ts";
import { isUniqueViolation } from "../../store/executions.ts";
import { planIntent } from "../intents/quote.ts";
import type { EngineDeps } from "../ports.ts";
import { requireSignerGas } from "../signer-gas.ts";
import { stepsNetworkFee } from "./network-fee.ts";

/** A quote-backed create, as the API has parsed it (shape only; every rule is checked here). */
export interface QuoteExecutionRequest {
  /** Where the steps run: only "evm" is served. */
  type: string;
  dry: boolean;
  outOperation: boolean;
  metadata: Record<string, unknown>;
  quote: {
    originAsset: string;
    destinationAsset: string;
    amount: bigint;
    swapType: TradeType;
    /** Integer basis points. */
    slippageTolerance: number;
    deadline: Date;
    recipient?: string;
  };
  steps: unknown;
}

/** A steps-only create: the intermediary already holds `destinationAsset`. */
export interface StepsExecutionRequest {
  type: string;
  metadata: Record<string, unknown>;
  destinationAsset: string;
  deadline?: Date;
  steps: unknown;
}

/** Every listed token, by asset id. */
function assetTokens(deps: EngineDeps): AssetToken[] {
  return deps.registry.allTokens().map((t) => ({ ...t, slug: deps.registry.chain(t.chainId)?.slug ?? "" }));
}

function tokenOf(deps: EngineDeps, asset: AssetToken): Token {
  const token = deps.registry.token(asset.chainId, asset.address);
  if (!token) throw new Error(`asset ${assetIdOf(asset)} vanished from the registry`);
  return token;
}

interface Priced {
  steps: Step[];
  networkFee: bigint;
  minAmountOut: bigint | null;
}

/**
 * The steps as they will run and the fee for running them. The fee is priced on the batch with
 * the fee step in it; for a bridge-in the steps get what is delivered less the fee
 * ({MIN_AMOUNT_OUT}), which must leave something.
 */
async function priceSteps(
  deps: EngineDeps,
  p: {
    direction: Direction;
    steps: Step[];
    token: Token;
    chainId: number;
    identity: Hex;
    intermediary: Address;
    values: Partial<Record<Placeholder, string>>;
    delivered: bigint | null;
  },
): Promise<Priced> {
  const collector = deps.settings.fees.feeCollector;
  // Priced on a sample run: the steps get everything delivered, and the fee step pays 1 unit more.
  const sampleFee = 1n;
  const sampleValues =
    p.delivered === null ? p.values : { ...p.values, "{MIN_AMOUNT_OUT}": p.delivered.toString() };
  const sample = withFeeStep(p.direction, p.steps, feeStep(p.token.address, collector, sampleFee));
  const networkFee = await stepsNetworkFee(deps, p.token, {
    chainId: p.chainId,
    identity: p.identity,
    intermediary: p.intermediary,
    calls: sample.map((s, i) => encodeStep(s, sampleValues, `steps[${i}]`)),
    fund: p.delivered === null ? null : { token: p.token.address, amount: p.delivered + sampleFee },
  });
  let values = p.values;
  let minAmountOut: bigint | null = null;
  if (p.delivered !== null) {
    minAmountOut = amountForSteps(p.delivered, networkFee, p.token.symbol);
    values = { ...values, "{MIN_AMOUNT_OUT}": minAmountOut.toString() };
  }
  const run = withFeeStep(p.direction, p.steps, feeStep(p.token.address, collector, networkFee));
  return { steps: run.map((s, i) => substituteStep(s, values, `steps[${i}]`)), networkFee, minAmountOut };
}

/** The wallet, its identity and its intermediary account on `chainId`. */
async function walletOn(deps: EngineDeps, rawWallet: string, chainId: number) {
  const wallet = parseWallet(rawWallet);
  const identity = walletIdentity(wallet);
  return { wallet, identity, intermediary: await deps.chains.intermediary(chainId, identity) };
}

/** Where a failed swap's deposit goes back: an EVM wallet itself, any other wallet's intermediary account on the origin chain. */
async function refundAddress(
  deps: EngineDeps,
  wallet: Wallet,
  identity: Hex,
  chainId: number,
): Promise<Address> {
  return wallet.type === "evm" ? (wallet.id as Address) : deps.chains.intermediary(chainId, identity);
}

/**
 * POST /executions/{wallet}: plans a quote-backed execution (bridge-in, or out-operation), and
 * unless it is a dry run, stores it (CREATED) with its QUOTED intent, ready to be signed.
 */
export async function createQuoteExecution(
  deps: EngineDeps,
  rawWallet: string,
  req: QuoteExecutionRequest,
  apiKey: string,
): Promise<ExecutionPlan> {
  requireEvm(req.type);
  const now = deps.clock.now();
  const tokens = assetTokens(deps);
  const origin = tokenOfAssetId(req.quote.originAsset, tokens, "quote.originAsset");
  const destination = tokenOfAssetId(req.quote.destinationAsset, tokens, "quote.destinationAsset");
  const direction: Direction = req.outOperation ? "out" : "in";
  const stepsAsset = direction === "in" ? destination : origin;
  requireErc20(stepsAsset, direction === "in" ? "quote.destinationAsset" : "quote.originAsset");
  checkDeadline(req.quote.deadline, now, "quote.deadline");
  await requireSignerGas(deps, [{ role: "executor", chainId: stepsAsset.chainId }]);
  const { wallet, identity, intermediary } = await walletOn(deps, rawWallet, stepsAsset.chainId);
  const steps = parseSteps(req.steps, PLACEHOLDERS[direction]);
  checkQuoteSteps({ direction, dry: req.dry, steps, recipient: req.quote.recipient, origin, destination });
  const recipient = direction === "in" ? intermediary : outRecipient(wallet, req.quote.recipient);
  const intent = await planIntent(deps, {
    owner:
      direction === "in"
        ? await refundAddress(deps, wallet, identity, origin.chainId)
        : await deps.chains.intermediary(origin.chainId, identity),
    originChainId: origin.chainId,
    originToken: origin.address,
    destinationChainId: destination.chainId,
    destinationToken: destination.address,
    recipient,
    tradeType: req.quote.swapType,
    amount: req.quote.amount,
    slippagePpm: BigInt(req.quote.slippageTolerance) * 100n,
    raw: {
      quote: {
        ...req.quote,
        amount: req.quote.amount.toString(),
        deadline: req.quote.deadline.toISOString(),
      },
    },
    expiresAt: req.quote.deadline,
    revivable: true,
    fields: { owner: "wallet", recipient: "quote.recipient" },
  });
  const priced = await priceSteps(deps, {
    direction,
    steps,
    token: tokenOf(deps, stepsAsset),
    chainId: stepsAsset.chainId,
    identity,
    intermediary,
    values:
      direction === "in"
        ? { "{INTERMEDIARY}": intermediary }
        : {
            "{INTERMEDIARY}": intermediary,
            "{DEPOSIT_ADDRESS}": intent.depositAddress,
            "{AMOUNT_IN}": intent.quote.fromAmount.toString(),
          },
    delivered: direction === "in" ? intent.quote.toAmount : null,
  });
  const plan = executionPlan(deps, {
    wallet,
    identity,
    intermediary,
    direction,
    stepsAsset,
    priced,
    metadata: req.metadata,
    deadline: req.quote.deadline,
    now,
    quote: {
      originAsset: assetIdOf(origin),
      destinationAsset: assetIdOf(destination),
      originChain: origin.slug,
      destinationChain: destination.slug,
      swapType: req.quote.swapType,
      amount: req.quote.amount,
      slippageBps: req.quote.slippageTolerance,
      recipient,
      amountIn: intent.quote.fromAmount,
      minAmountIn: intent.quote.fromAmountMin,
      amountOut: intent.quote.toAmount,
      minAmountOut: priced.minAmountOut ?? intent.quote.toAmountMin,
      amountInUsd: usdOf(intent.quote.fromAmount, intent.from),
      amountOutUsd: usdOf(intent.quote.toAmount, intent.to),
      swapFee: intent.quote.totalFee,
      depositAddress: intent.depositAddress,
      intentId: intent.intentId,
    },
    dry: req.dry,
  });
  if (!req.dry) await store(deps, plan, { plan: intent, quotedBy: keyFingerprint(apiKey) });
  return plan;
}

/** POST /executions/{wallet}/steps: plans and stores a steps-only execution, ready to be signed. */
export async function createStepsExecution(
  deps: EngineDeps,
  rawWallet: string,
  req: StepsExecutionRequest,
): Promise<ExecutionPlan> {
  requireEvm(req.type);
  const now = deps.clock.now();
  const asset = tokenOfAssetId(req.destinationAsset, assetTokens(deps), "destinationAsset");
  requireErc20(asset, "destinationAsset");
  const deadline = req.deadline ?? new Date(now.getTime() + deps.settings.commitLifetimeSeconds * 1000);
  checkDeadline(deadline, now, "deadline");
  await requireSignerGas(deps, [{ role: "executor", chainId: asset.chainId }]);
  const { wallet, identity, intermediary } = await walletOn(deps, rawWallet, asset.chainId);
  const steps = parseSteps(req.steps, PLACEHOLDERS.steps);
  if (steps.length === 0) {
    throw new JunctionError("invalid_argument", "steps: at least one step is required");
  }
  const priced = await priceSteps(deps, {
    direction: "steps",
    steps,
    token: tokenOf(deps, asset),
    chainId: asset.chainId,
    identity,
    intermediary,
    values: { "{INTERMEDIARY}": intermediary },
    delivered: null,
  });
  const plan = executionPlan(deps, {
    wallet,
    identity,
    intermediary,
    direction: "steps",
    stepsAsset: asset,
    priced,
    metadata: req.metadata,
    deadline,
    now,
    quote: null,
    dry: false,
  });
  await store(deps, plan, null);
  return plan;
}

const usdOf = (amount: bigint, token: IntentPlan["from"]) =>
  usdValue(amount, pricedToken(token.decimals, token.priceUsd));

function executionPlan(
  deps: EngineDeps,
  p: {
    wallet: Wallet;
    identity: Hex;
    intermediary: Address;
    direction: Direction;
    stepsAsset: AssetToken;
    priced: Priced;
    metadata: Record<string, unknown>;
    deadline: Date;
    now: Date;
    quote: ExecutionPlan["quote"];
    dry: boolean;
  },
): ExecutionPlan {
  const standard = signingStandardOf(p.wallet);
  const plan: ExecutionPlan = {
    id: randomUUID(),
    version: "1.0",
    type: "evm",
    wallet: p.wallet,
    standard,
    identity: p.identity,
    intermediary: p.intermediary,
    direction: p.direction,
    chainId: p.stepsAsset.chainId,
    chainSlug: p.stepsAsset.slug,
    quote: p.quote,
    stepsAsset: assetIdOf(p.stepsAsset),
    steps: p.priced.steps,
    networkFee: p.priced.networkFee,
    feeToken: p.stepsAsset.address,
    feeCollector: deps.settings.fees.feeCollector,
    metadata: p.metadata,
    payload: null,
    deadline: p.deadline.toISOString(),
    createdAt: p.now.toISOString(),
    estimatedTime: ESTIMATED_TIME[p.direction],
  };
  if (p.dry) return plan;
  const nonce = randomBytes(32);
  const slugOf = (chainId: number) => deps.registry.chain(chainId)?.slug ?? String(chainId);
  const text = payloadText(plan, bytesToHex(nonce), slugOf);
  return {
    ...plan,
    payload: signingPayload(standard, text, { recipient: deps.settings.connect.nep413Recipient, nonce }),
  };
}

/** Stores the execution and its QUOTED intent together; a second live execution is a conflict. */
async function store(
  deps: EngineDeps,
  plan: ExecutionPlan,
  intent: { plan: IntentPlan; quotedBy: string } | null,
): Promise<void> {
  try {
    await deps.store.commit(new Date(plan.createdAt), async (uow) => {
      if (intent) await uow.insertIntent(intent.plan, { executionId: plan.id, quotedBy: intent.quotedBy });
      await uow.insertExecution(plan);
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new JunctionError(
      "conflict",
      `an execution for this wallet is already in progress on chain ${plan.chainSlug}; wait for it to finish or delete it`,
    );
  }
}
