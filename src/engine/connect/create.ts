import { randomBytes, randomUUID } from "node:crypto";
import { type Address, bytesToHex, type Hex, isAddressEqual } from "viem";
import type { Token } from "../../chains/registry.ts";
import { type AssetToken, assetIdOf, tokenOfAssetId } from "../../core/connect/assets.ts";
import { type Direction, type ExecutionPlan, executionModeOf, payloadText } from "../../core/connect/plan.ts";
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
import type { IntentPlan } from "../../core/plan.ts";
import type { TradeType } from "../../core/quote.ts";
import { insertExecution, isUniqueViolation } from "../../store/executions.ts";
import { insertQuotedIntent } from "../../store/intents.ts";
import type { EngineContext } from "../context.ts";
import { planIntent } from "../intents.ts";
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

/** The longest an execution may wait for its signature and deposit. */
const MAX_DEADLINE_MS = 24 * 60 * 60 * 1000;
const PLACEHOLDERS: Record<Direction, ReadonlySet<Placeholder>> = {
  in: new Set(["{MIN_AMOUNT_OUT}", "{INTERMEDIARY}"]),
  out: new Set(["{DEPOSIT_ADDRESS}", "{AMOUNT_IN}", "{INTERMEDIARY}"]),
  steps: new Set(["{INTERMEDIARY}"]),
};
const ESTIMATED_TIME: Record<Direction, string> = { in: "60s", out: "60s", steps: "15s" };

const invalid = (message: string) => new JunctionError("invalid_argument", message);

/** Steps run on EVM chains only: Junction has no Solana chain to run them on (yet). */
function requireEvm(type: string): void {
  if (type !== "evm") {
    throw invalid(
      `type: ${JSON.stringify(type)} is not supported: Junction runs steps on EVM chains only; send "evm"`,
    );
  }
}

/** Every listed token, by asset id. */
function assetTokens(e: EngineContext): AssetToken[] {
  return e.registry.allTokens().map((t) => ({ ...t, slug: e.registry.chain(t.chainId)?.slug ?? "" }));
}

function tokenOf(e: EngineContext, asset: AssetToken): Token {
  const token = e.registry.token(asset.chainId, asset.address);
  if (!token) throw new Error(`asset ${assetIdOf(asset)} vanished from the registry`);
  return token;
}

function checkDeadline(deadline: Date, now: Date, field: string): void {
  if (deadline <= now) throw invalid(`${field}: ${deadline.toISOString()} has passed; send a later one`);
  if (deadline.getTime() - now.getTime() > MAX_DEADLINE_MS) {
    throw invalid(
      `${field}: at most 24 hours ahead (${new Date(now.getTime() + MAX_DEADLINE_MS).toISOString()})`,
    );
  }
}

/** The steps spend an ERC-20: the fee step transfers it, and the steps must be able to. */
function requireErc20(asset: AssetToken, field: string): void {
  if (asset.native) {
    throw invalid(
      `${field}: steps spend an ERC-20 here; ${asset.symbol} is the chain's native coin, which steps cannot spend yet`,
    );
  }
}

/** A bridge-in's steps must use what is delivered: some step calls the token or passes its address. */
function requireTouches(steps: readonly Step[], token: Address): void {
  const mentions = (p: unknown): boolean =>
    Array.isArray(p) ? p.some(mentions) : typeof p === "string" && p.toLowerCase() === token.toLowerCase();
  if (steps.some((s) => isAddressEqual(s.to, token) || s.parameters.some(mentions))) return;
  throw invalid(
    `steps: no step uses the destination token ${token}; add one that does (for example approve it to the contract you call)`,
  );
}

/** An out-operation's last step hands the tokens to the swap: transfer({DEPOSIT_ADDRESS}, amount) on the origin token. */
function requireDepositLast(steps: readonly Step[], token: Address): void {
  const last = steps.at(-1);
  const ok =
    last !== undefined &&
    isAddressEqual(last.to, token) &&
    last.functionSignature === "transfer(address,uint256)" &&
    last.parameters[0] === "{DEPOSIT_ADDRESS}";
  if (!ok) {
    throw invalid(
      `steps[${Math.max(steps.length - 1, 0)}]: the last step of an out-operation must be transfer({DEPOSIT_ADDRESS}, {AMOUNT_IN}) on the origin token ${token}`,
    );
  }
}

/** The step that pays the network fee to the collector, in the steps' token. */
function feeStep(token: Address, collector: Address, fee: bigint): Step {
  return {
    to: token,
    functionSignature: "transfer(address,uint256)",
    parameters: [collector, fee.toString()],
    value: 0n,
    metadata: { name: "Fee Transfer", description: "the network fee for running these steps" },
  };
}

/** Where the fee step goes: last, except in an out-operation, whose last step must stay the deposit. */
function withFeeStep(direction: Direction, steps: readonly Step[], fee: Step): Step[] {
  return direction === "out" ? [...steps.slice(0, -1), fee, ...steps.slice(-1)] : [...steps, fee];
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
  e: EngineContext,
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
  const collector = e.config.fees.feeCollector;
  // Priced on a sample run: the steps get everything delivered, and the fee step pays 1 unit more.
  const sampleFee = 1n;
  const sampleValues =
    p.delivered === null ? p.values : { ...p.values, "{MIN_AMOUNT_OUT}": p.delivered.toString() };
  const sample = withFeeStep(p.direction, p.steps, feeStep(p.token.address, collector, sampleFee));
  const networkFee = await stepsNetworkFee(e, p.token, {
    chainId: p.chainId,
    identity: p.identity,
    intermediary: p.intermediary,
    calls: sample.map((s, i) => encodeStep(s, sampleValues, `steps[${i}]`)),
    fund: p.delivered === null ? null : { token: p.token.address, amount: p.delivered + sampleFee },
  });
  let values = p.values;
  let minAmountOut: bigint | null = null;
  if (p.delivered !== null) {
    minAmountOut = p.delivered - networkFee;
    if (minAmountOut <= 0n) {
      throw invalid(
        `quote.amount: too small: the network fee for the steps (${networkFee} ${p.token.symbol}) takes all of the ${p.delivered} delivered; send more`,
      );
    }
    values = { ...values, "{MIN_AMOUNT_OUT}": minAmountOut.toString() };
  }
  const run = withFeeStep(p.direction, p.steps, feeStep(p.token.address, collector, networkFee));
  return { steps: run.map((s, i) => substituteStep(s, values, `steps[${i}]`)), networkFee, minAmountOut };
}

/** The wallet, its identity and its intermediary account on `chainId`. */
async function walletOn(e: EngineContext, rawWallet: string, chainId: number) {
  const wallet = parseWallet(rawWallet);
  const identity = walletIdentity(wallet);
  return { wallet, identity, intermediary: await e.market.intermediary(chainId, identity) };
}

/** Where a failed swap's deposit goes back: an EVM wallet itself, any other wallet's intermediary account on the origin chain. */
async function refundAddress(
  e: EngineContext,
  wallet: Wallet,
  identity: Hex,
  chainId: number,
): Promise<Address> {
  return wallet.type === "evm" ? (wallet.id as Address) : e.market.intermediary(chainId, identity);
}

/**
 * POST /executions/{wallet}: plans a quote-backed execution (bridge-in, or out-operation), and
 * unless it is a dry run, stores it (CREATED) with its QUOTED intent, ready to be signed.
 */
export async function createQuoteExecution(
  e: EngineContext,
  rawWallet: string,
  req: QuoteExecutionRequest,
): Promise<ExecutionPlan> {
  requireEvm(req.type);
  const now = e.now();
  const tokens = assetTokens(e);
  const origin = tokenOfAssetId(req.quote.originAsset, tokens, "quote.originAsset");
  const destination = tokenOfAssetId(req.quote.destinationAsset, tokens, "quote.destinationAsset");
  const direction: Direction = req.outOperation ? "out" : "in";
  const stepsAsset = direction === "in" ? destination : origin;
  requireErc20(stepsAsset, direction === "in" ? "quote.destinationAsset" : "quote.originAsset");
  checkDeadline(req.quote.deadline, now, "quote.deadline");
  const { wallet, identity, intermediary } = await walletOn(e, rawWallet, stepsAsset.chainId);
  const steps = parseSteps(req.steps, PLACEHOLDERS[direction]);
  if (!req.dry && steps.length === 0)
    throw invalid("steps: at least one step is required (dry runs may omit them)");
  if (direction === "in") {
    if (req.quote.recipient !== undefined) {
      throw invalid(
        "quote.recipient: not allowed for a bridge-in: the intermediary account receives the swap; remove it",
      );
    }
    if (steps.length > 0) requireTouches(steps, destination.address);
  } else if (steps.length > 0 || !req.dry) {
    requireDepositLast(steps, origin.address);
  }
  const recipient = direction === "in" ? intermediary : outRecipient(wallet, req.quote.recipient);
  const intent = await planIntent(e, {
    owner:
      direction === "in"
        ? await refundAddress(e, wallet, identity, origin.chainId)
        : await e.market.intermediary(origin.chainId, identity),
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
  });
  const priced = await priceSteps(e, {
    direction,
    steps,
    token: tokenOf(e, stepsAsset),
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
  const plan = executionPlan(e, {
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
      amountInUsd: usd(intent.quote.fromAmount, intent.from),
      amountOutUsd: usd(intent.quote.toAmount, intent.to),
      swapFee: intent.quote.totalFee,
      depositAddress: intent.depositAddress,
      intentId: intent.intentId,
    },
    dry: req.dry,
  });
  if (!req.dry) await store(e, plan, intent);
  return plan;
}

/** POST /executions/{wallet}/steps: plans and stores a steps-only execution, ready to be signed. */
export async function createStepsExecution(
  e: EngineContext,
  rawWallet: string,
  req: StepsExecutionRequest,
): Promise<ExecutionPlan> {
  requireEvm(req.type);
  const now = e.now();
  const asset = tokenOfAssetId(req.destinationAsset, assetTokens(e), "destinationAsset");
  requireErc20(asset, "destinationAsset");
  const deadline = req.deadline ?? new Date(now.getTime() + e.config.commitLifetimeSeconds * 1000);
  checkDeadline(deadline, now, "deadline");
  const { wallet, identity, intermediary } = await walletOn(e, rawWallet, asset.chainId);
  const steps = parseSteps(req.steps, PLACEHOLDERS.steps);
  if (steps.length === 0) throw invalid("steps: at least one step is required");
  const priced = await priceSteps(e, {
    direction: "steps",
    steps,
    token: tokenOf(e, asset),
    chainId: asset.chainId,
    identity,
    intermediary,
    values: { "{INTERMEDIARY}": intermediary },
    delivered: null,
  });
  const plan = executionPlan(e, {
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
  await store(e, plan, null);
  return plan;
}

/** An out-operation delivers to `quote.recipient`, or to the wallet itself when that is an EVM address. */
function outRecipient(wallet: Wallet, recipient: string | undefined): Address {
  if (recipient !== undefined) return recipient as Address;
  if (wallet.type === "evm") return wallet.id as Address;
  throw invalid(
    `quote.recipient: required: the ${wallet.type} wallet ${wallet.id} cannot receive on an EVM chain; name an EVM address`,
  );
}

const usd = (amount: bigint, token: IntentPlan["from"]) =>
  (Number(amount) / 10 ** token.decimals) * token.priceUsd;

function executionPlan(
  e: EngineContext,
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
    feeCollector: e.config.fees.feeCollector,
    metadata: p.metadata,
    payload: null,
    deadline: p.deadline.toISOString(),
    createdAt: p.now.toISOString(),
    estimatedTime: ESTIMATED_TIME[p.direction],
  };
  if (p.dry) return plan;
  const nonce = randomBytes(32);
  const slugOf = (chainId: number) => e.registry.chain(chainId)?.slug ?? String(chainId);
  const text = payloadText(plan, bytesToHex(nonce), slugOf);
  return {
    ...plan,
    payload: signingPayload(standard, text, { recipient: e.config.connect.nep413Recipient, nonce }),
  };
}

/** Stores the execution and its QUOTED intent together; a second live execution is a conflict. */
async function store(e: EngineContext, plan: ExecutionPlan, intent: IntentPlan | null): Promise<void> {
  const now = new Date(plan.createdAt);
  try {
    await e.db.transaction().execute(async (trx) => {
      if (intent) await insertQuotedIntent(trx, intent, now);
      await insertExecution(
        trx,
        {
          id: plan.id,
          wallet: plan.wallet.id,
          walletType: plan.wallet.type,
          identity: plan.identity,
          intermediary: plan.intermediary,
          mode: executionModeOf(plan.direction),
          direction: plan.direction,
          chainId: plan.chainId,
          intentId: intent?.intentId ?? null,
          plan,
          deadline: new Date(plan.deadline),
        },
        now,
      );
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new JunctionError(
      "conflict",
      `an execution for this wallet is already in progress on chain ${plan.chainSlug}; wait for it to finish or delete it`,
    );
  }
  e.executionWork.wake();
}
