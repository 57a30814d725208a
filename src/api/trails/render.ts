import { type Address, getAddress } from "viem";
import type { RuntimeChain } from "../../chains/registry.ts";
import type { IntentPlan } from "../../core/intent/plan.ts";
import { pricedToken, usdValue } from "../../core/price.ts";
import { quoteUsd } from "../../core/quote.ts";
import type { TxKind } from "../../core/tx.ts";
import type { DepositView, IntentRecord, IntentView, RelayedDeposit, TxView } from "../../engine/engine.ts";
import type { AppContext } from "../context.ts";

/**
 * Junction's intents in the Trails wire shapes (`@0xtrails/api` 0.9.4 types). Big integers are
 * decimal strings; every field says what Junction really does.
 */

const str = (n: bigint) => n.toString();

function chainOf(ctx: AppContext, chainId: number): RuntimeChain {
  const chain = ctx.registry.chain(chainId);
  if (!chain) throw new Error(`chain ${chainId} is not configured`);
  return chain;
}

function tokenMetadata(token: IntentPlan["from"], ctx: AppContext) {
  const known = ctx.registry.token(token.chainId, token.address);
  return {
    chainId: token.chainId,
    tokenAddress: token.address,
    name: known?.name ?? token.symbol,
    symbol: token.symbol,
    decimals: token.decimals,
  };
}

function precondition(token: IntentPlan["from"], owner: Address, minAmount: bigint) {
  return {
    type: token.native ? "native-balance" : "erc20-balance",
    chainId: token.chainId,
    ownerAddress: owner,
    tokenAddress: token.address,
    minAmount: str(minAmount),
  };
}

function gasFee(
  ctx: AppContext,
  chainId: number,
  fee: IntentPlan["quote"]["originGas"],
  nativeUsd: string,
  intentId: string,
) {
  const chain = chainOf(ctx, chainId);
  const usd = usdValue(fee.nativeCost, pricedToken(chain.native.decimals, nativeUsd));
  return {
    chainId,
    totalGasLimit: str(fee.gasLimit),
    gasPrice: str(fee.gasPrice),
    nativeTokenSymbol: chain.native.symbol,
    nativeTokenPriceUsd: Number(nativeUsd),
    chainGasUsageStatus: "NORMAL",
    totalFeeAmount: str(fee.nativeCost),
    totalFeeUsd: usd.toFixed(6),
    metaTxnFeeDetails: {
      metaTxnId: intentId,
      estimatedGasLimit: str(fee.gasLimit),
      feeNative: str(fee.nativeCost),
    },
    metaTxnGasQuote: str(fee.tokenAmount),
  };
}

const priced = (t: IntentPlan["from"]) => pricedToken(t.decimals, t.priceUsd);

const impact = (usd: number, base: number) => ({
  priceImpact: base > 0 ? -(usd / base) * 100 : 0,
  priceImpactUsd: -usd,
});

/** The Trails `Intent` document for an intent. */
export function renderIntent(
  ctx: AppContext,
  intent: Pick<IntentRecord, "plan" | "status" | "createdAt" | "updatedAt">,
) {
  const { plan } = intent;
  const q = plan.quote;
  const usd = quoteUsd(q, priced(plan.from), priced(plan.to));
  const origin = chainOf(ctx, plan.from.chainId);
  const destination = chainOf(ctx, plan.to.chainId);
  const gasUsd = usd.originGasUsd + usd.destinationGasUsd;
  const gasTotal = q.originGas.tokenAmount + q.destinationGas.tokenAmount;
  const { sweep, fill } = ctx.engine.intentCalls(plan);
  return {
    intentId: plan.intentId,
    status: intent.status,
    quoteRequest: plan.request,
    ownerAddress: plan.owner,
    originChainId: plan.from.chainId,
    destinationChainId: plan.to.chainId,
    originIntentAddress: plan.depositAddress,
    destinationIntentAddress: destination.contracts.Settlement,
    salt: BigInt(plan.salt).toString(),
    depositTransaction: {
      toAddress: plan.depositAddress,
      tokenAddress: plan.from.address,
      decimals: plan.from.decimals,
      amount: str(q.fromAmount),
    },
    originCalls: {
      chainId: plan.from.chainId,
      calls: [
        { to: origin.contracts.DepositFactory, value: "0", data: sweep, gasLimit: str(q.originGas.gasLimit) },
      ],
    },
    destinationCalls: {
      chainId: plan.to.chainId,
      calls: [
        {
          to: destination.contracts.Settlement,
          value: "0",
          data: fill,
          gasLimit: str(q.destinationGas.gasLimit),
        },
      ],
    },
    originPrecondition: precondition(plan.from, plan.depositAddress, q.fromAmountMin),
    destinationPrecondition: precondition(
      plan.to,
      plan.call ? plan.call.target : plan.recipient,
      q.toAmountMin,
    ),
    originMetaTxn: {
      id: `${plan.intentId}:origin`,
      chainId: plan.from.chainId,
      walletAddress: plan.depositAddress,
      contract: origin.contracts.DepositFactory,
      input: sweep,
    },
    destinationMetaTxn: {
      id: `${plan.intentId}:destination`,
      chainId: plan.to.chainId,
      walletAddress: destination.contracts.Settlement,
      contract: destination.contracts.Settlement,
      input: fill,
    },
    quote: {
      routeProviders: ["AUTO"],
      routeProvidersRequestIds: [plan.intentId],
      routeProvidersFeeUsd: [gasUsd],
      fromAmount: str(q.fromAmount),
      fromAmountMin: str(q.fromAmountMin),
      fromAmountUsd: usd.fromAmountUsd,
      fromAmountMinUsd: usd.fromAmountMinUsd,
      toAmount: str(q.toAmount),
      toAmountMin: str(q.toAmountMin),
      toAmountUsd: usd.toAmountUsd,
      toAmountMinUsd: usd.toAmountMinUsd,
      maxSlippage: Number(plan.slippagePpm) / 1e6,
      ...impact(usd.totalFeeUsd, usd.fromAmountUsd),
      priceImpactDetails: {
        executionPriceImpact: impact(0, usd.fromAmountUsd),
        marketPriceImpact: impact(0, usd.fromAmountUsd),
        providerFeesPriceImpact: impact(gasUsd, usd.fromAmountUsd),
        trailsFeesPriceImpact: impact(usd.protocolFeeUsd, usd.fromAmountUsd),
        netPriceImpact: impact(usd.totalFeeUsd, usd.fromAmountUsd),
      },
    },
    fees: {
      originGas: gasFee(ctx, plan.from.chainId, q.originGas, plan.originNativeUsd, plan.intentId),
      destinationGas: gasFee(
        ctx,
        plan.to.chainId,
        q.destinationGas,
        plan.destinationNativeUsd,
        plan.intentId,
      ),
      provider: {
        quoteProvider: "junction",
        quoteProviderFee: str(gasTotal),
        quoteProviderFeeUsd: gasUsd,
        trailsFee: str(q.protocolFee),
        trailsFeeUsd: usd.protocolFeeUsd,
        quoteProviderWithTrailsFee: str(q.totalFee),
        providerWithTrailsFeeUsd: usd.totalFeeUsd,
        totalFeeAmount: str(q.totalFee),
        totalFeeUsd: usd.totalFeeUsd,
      },
      feeTokenAddress: plan.from.address,
      feeTokenAmount: str(q.totalFee),
      feeTokenUsd: usd.totalFeeUsd,
      feeTokenTotal: str(q.totalFee),
      gasFeeTotal: str(gasTotal),
      gasFeeUsd: gasUsd,
      trailsFeeTotal: str(q.protocolFee),
      trailsFeeUsd: usd.protocolFeeUsd,
      collectorFeeTotal: "0",
      collectorFeeUsd: 0,
      providerFeeTotal: str(gasTotal),
      providerFeeUsd: gasUsd,
      totalFeeAmount: str(q.totalFee),
      totalFeeUsd: usd.totalFeeUsd,
    },
    trailsVersion: `junction-${ctx.version}`,
    trailsContracts: {
      trailsIntentEntrypointAddress: origin.contracts.IntentEntrypoint,
      trailsRouterAddress: destination.contracts.Settlement,
      trailsRouterShimAddress: destination.contracts.Executor,
    },
    expiresAt: plan.expiresAt,
    createdAt: intent.createdAt.toISOString(),
    updatedAt: intent.updatedAt.toISOString(),
  };
}

/** The fields a client must send back unchanged in CommitIntent: all that sets what moves where. */
export const economicFields = [
  "ownerAddress",
  "originChainId",
  "destinationChainId",
  "originIntentAddress",
  "destinationIntentAddress",
  "salt",
  "depositTransaction",
  "originCalls",
  "destinationCalls",
  "originPrecondition",
  "destinationPrecondition",
  "quote",
  "fees",
  "expiresAt",
] as const;

/** The first path where `sent` differs from `quoted` (numbers and decimal strings compare by value), or null. */
export function firstDifference(quoted: unknown, sent: unknown, path: string): string | null {
  if (quoted !== null && typeof quoted === "object") {
    if (sent === null || typeof sent !== "object" || Array.isArray(quoted) !== Array.isArray(sent))
      return path;
    const q = quoted as Record<string, unknown>;
    const s = sent as Record<string, unknown>;
    for (const key of new Set([...Object.keys(q), ...Object.keys(s)])) {
      const diff = firstDifference(q[key], s[key], `${path}.${key}`);
      if (diff) return diff;
    }
    return null;
  }
  if (quoted === undefined || sent === undefined) return quoted === sent ? null : path;
  return String(quoted).toLowerCase() === String(sent).toLowerCase() ? null : path;
}

type LegStatus =
  | "UNKNOWN"
  | "ON_HOLD"
  | "PENDING"
  | "RELAYING"
  | "SENT"
  | "MINING"
  | "SUCCEEDED"
  | "FAILED"
  | "ABORTED"
  | "REVERTED";

/** Leg states of a transaction sent but not yet in a block. */
const awaitingBlock = new Set<LegStatus>(["PENDING", "SENT", "RELAYING", "MINING"]);

/**
 * The intent's own refund: its token on its origin chain. The first one mined, which a return of a
 * later deposit does not replace; before any is mined, the latest attempt.
 */
function ownRefund(txs: TxView[], plan: IntentPlan): TxView | undefined {
  const own = txs.filter(
    (t) =>
      t.kind === "refund" &&
      t.status !== "dropped" &&
      t.chainId === plan.from.chainId &&
      t.asset?.toLowerCase() === plan.from.address.toLowerCase(),
  );
  return own.find((t) => t.status === "mined") ?? own.at(-1);
}

/**
 * The transaction that paid the intent: the one its client announced once it is seen mined, else
 * the last deposit seen (the one that completed the amount; an earlier short one was returned);
 * a hash announced but not yet seen as a deposit until then. A relayed gasless deposit is seen
 * under the hash that was mined, whatever fee replacement it went through.
 */
function paidBy(announced: string | null, ownDeposits: DepositView[]): string | undefined {
  const seen = ownDeposits.find((d) => d.txHash.toLowerCase() === announced?.toLowerCase());
  return seen?.txHash ?? ownDeposits.at(-1)?.txHash ?? announced ?? undefined;
}

function lastTx(txs: TxView[], kind: TxKind): TxView | undefined {
  return txs.filter((t) => t.kind === kind && t.status !== "dropped").at(-1);
}

const txStatus = (tx: TxView): LegStatus =>
  tx.status === "pending" ? "SENT" : tx.status === "mined" ? "SUCCEEDED" : "REVERTED";

function leg(
  plan: IntentPlan,
  type: "DEPOSIT" | "ORIGIN" | "DESTINATION",
  status: LegStatus,
  fields: {
    chainId: number;
    from: string;
    to: string;
    token: string;
    amount: bigint;
    hash?: string;
    reason?: string;
  },
  at: { created: Date; updated: Date },
) {
  return {
    intentId: plan.intentId,
    status,
    ...(fields.reason ? { statusReason: fields.reason } : {}),
    chainId: fields.chainId,
    type,
    context: "NONE",
    fromAddress: fields.from,
    toAddress: fields.to,
    tokenAddress: fields.token,
    tokenAmount: str(fields.amount),
    // A leg names its transaction once it is mined: the Trails widget fetches the receipt of a
    // hash the moment it sees one, once, and gives the payment up as failed when there is none.
    ...(fields.hash && !awaitingBlock.has(status) ? { txnHash: fields.hash } : {}),
    createdAt: at.created.toISOString(),
    updatedAt: at.updated.toISOString(),
  };
}

/** The deposit leg's `depositIntentEntry` for a gasless deposit. */
function depositIntentEntry(d: RelayedDeposit) {
  return {
    intentSignature: d.intentSignature,
    ...(d.permitSignature ? { permitSignature: d.permitSignature } : {}),
    ...(d.permitDeadline !== undefined ? { permitDeadline: Number(d.permitDeadline) } : {}),
    ...(d.permitAmount !== undefined ? { permitAmount: str(d.permitAmount) } : {}),
    feeAmount: str(d.feeAmount),
    feeToken: d.feeToken,
    feeCollector: d.feeCollector,
    userNonce: Number(d.userNonce),
    deadline: Number(d.deadline),
  };
}

/**
 * QuoteIntent's `gasFeeOptions`: what a gasless deposit costs, one option per fee token (the
 * deposit token), and `gasEstimate` for the relayer's permit deposit those fees pay for (zero
 * when the deposit is the native coin, which cannot be deposited gaslessly).
 */
export function renderGasFeeOptions(ctx: AppContext, plan: IntentPlan) {
  const option = plan.feeOptions[0];
  const origin = chainOf(ctx, plan.from.chainId);
  const gasPrice = option?.gasPrice ?? plan.quote.originGas.gasPrice;
  const nativeCost = option ? option.gasLimit * option.gasPrice : 0n;
  return {
    gasEstimate: {
      totalGas: Number(option?.gasLimit ?? 0n),
      gasPrice: str(gasPrice),
      nativeCost: str(nativeCost),
      nativeCostUsd: usdValue(nativeCost, pricedToken(origin.native.decimals, plan.originNativeUsd)),
    },
    feeOptions: plan.feeOptions.map((o) => ({
      tokenAddress: o.token,
      tokenSymbol: o.symbol,
      tokenDecimals: o.decimals,
      amount: str(o.amount),
      amountUsd: usdValue(o.amount, priced(plan.from)),
      feeCollectorAddress: o.feeCollector,
      is2612: o.is2612,
    })),
    expiresAt: plan.expiresAt,
    feeCollectorAddress: ctx.config.fees.feeCollector,
  };
}

/**
 * The legs of an intent: the user's deposit; the origin leg, what became of the payment on the
 * origin chain (once delivered, the deposit that paid it; once ended undelivered, its refund); the
 * fill; and beside them Junction's own sweep of the deposit address, which follows delivery.
 */
export function renderReceipt(ctx: AppContext, view: IntentView) {
  const { plan, txs, deposits, status } = view;
  const at = { created: view.createdAt, updated: view.updatedAt };
  const ended = ["ABORTED", "FAILED", "REFUNDED"].includes(status);

  const ownDeposits = deposits.filter(
    (d) => d.chainId === plan.from.chainId && d.token.toLowerCase() === plan.from.address.toLowerCase(),
  );
  const fill = lastTx(txs, "fill");
  const callFailed = status === "FAILED" && fill?.status === "mined";
  const delivered = status === "SUCCEEDED" || callFailed;
  const depositHash = paidBy(view.depositTxHash, ownDeposits);
  const deposited = ownDeposits.reduce((sum, d) => sum + d.amount, 0n);
  const relayed = txs.filter((t) => t.kind === "deposit").at(-1);
  const relayedStatus: LegStatus | null =
    relayed && ownDeposits.length === 0
      ? relayed.status === "pending"
        ? "RELAYING"
        : relayed.status === "mined"
          ? "MINING"
          : relayed.status === "reverted"
            ? "REVERTED"
            : "FAILED"
      : null;
  // Delivered with no deposit transaction to name: native coin sent by a contract's internal call
  // (a smart wallet) leaves no log and cannot be announced, yet it paid.
  const depositStatus: LegStatus =
    relayedStatus ??
    (delivered && !depositHash
      ? "SUCCEEDED"
      : depositHash
        ? view.depositCounted
          ? "SUCCEEDED"
          : "MINING"
        : status === "QUOTED"
          ? "UNKNOWN"
          : ended
            ? "ABORTED"
            : "PENDING");
  const deposit = {
    chainId: plan.from.chainId,
    from: getAddress(ownDeposits.find((d) => d.txHash === depositHash)?.from ?? plan.owner),
    to: plan.depositAddress,
    token: plan.from.address,
    amount: deposited > 0n ? deposited : plan.quote.fromAmount,
    ...(depositHash ? { hash: depositHash } : {}),
  };
  const depositLeg = leg(
    plan,
    "DEPOSIT",
    depositStatus,
    {
      ...deposit,
      ...(relayedStatus === "REVERTED" || relayedStatus === "FAILED"
        ? { reason: view.statusReason ?? "" }
        : {}),
    },
    at,
  );
  const entry = relayed?.detail ? depositIntentEntry(relayed.detail) : null;

  // The intent's own refund: its token on its origin chain, once it has ended undelivered. A stray
  // asset's return, or a late deposit returned after delivery, is not what became of the payment.
  const refund = delivered || !ended ? undefined : ownRefund(txs, plan);
  const origin = chainOf(ctx, plan.from.chainId);
  const originLeg = leg(
    plan,
    "ORIGIN",
    delivered
      ? "SUCCEEDED"
      : refund
        ? txStatus(refund)
        : ended
          ? "ABORTED"
          : status === "QUOTED"
            ? "UNKNOWN"
            : "ON_HOLD",
    delivered
      ? deposit
      : {
          chainId: plan.from.chainId,
          from: plan.depositAddress,
          to: plan.owner,
          token: plan.from.address,
          amount: plan.quote.fromAmount,
          ...(refund
            ? { hash: refund.hash, reason: `refund to the owner: ${view.statusReason ?? "refunded"}` }
            : {}),
        },
    at,
  );
  const sweep = lastTx(txs, "sweep");
  const sweepLeg =
    sweep &&
    leg(
      plan,
      "ORIGIN",
      txStatus(sweep),
      {
        chainId: plan.from.chainId,
        from: plan.depositAddress,
        to: origin.contracts.Settlement,
        token: plan.from.address,
        amount: deposited,
        hash: sweep.hash,
      },
      at,
    );

  // Delivered with no fill of ours on record: Settlement showed the intent filled (its record
  // outranks ours), so the recipient was paid by a transaction this receipt cannot name.
  const fillStatus: LegStatus = fill
    ? callFailed
      ? "FAILED"
      : txStatus(fill)
    : delivered
      ? "SUCCEEDED"
      : ended
        ? "ABORTED"
        : status === "QUOTED"
          ? "UNKNOWN"
          : "ON_HOLD";
  const destinationLeg = leg(
    plan,
    "DESTINATION",
    fillStatus,
    {
      chainId: plan.to.chainId,
      from: chainOf(ctx, plan.to.chainId).contracts.Settlement,
      to: plan.call ? plan.call.target : plan.recipient,
      token: plan.to.address,
      amount: plan.quote.toAmount,
      ...(fill ? { hash: fill.hash } : {}),
      ...(callFailed && view.statusReason ? { reason: view.statusReason } : {}),
    },
    at,
  );

  const receipt = {
    intentId: plan.intentId,
    status,
    ownerAddress: plan.owner,
    originChainId: plan.from.chainId,
    destinationChainId: plan.to.chainId,
    depositTransaction: entry ? { ...depositLeg, depositIntentEntry: entry } : depositLeg,
    originTransaction: originLeg,
    destinationTransaction: destinationLeg,
    // Junction's own bookkeeping on the origin chain (the deposit address swept into Settlement),
    // after the user is paid: shown for its progress, never waited for.
    ...(sweepLeg ? { sweepTransaction: sweepLeg } : {}),
    summary: {
      intentId: plan.intentId,
      status,
      ownerAddress: plan.owner,
      originChainId: plan.from.chainId,
      destinationChainId: plan.to.chainId,
      tradeType: plan.tradeType,
      routeProviders: ["AUTO"],
      originIntentAddress: plan.depositAddress,
      originTokenAddress: plan.from.address,
      originTokenAmount: str(plan.quote.fromAmount),
      originTokenMetadata: tokenMetadata(plan.from, ctx),
      destinationIntentAddress: chainOf(ctx, plan.to.chainId).contracts.Settlement,
      destinationTokenAddress: plan.to.address,
      destinationTokenAmount: str(plan.quote.toAmount),
      destinationToAddress: plan.recipient,
      destinationTokenMetadata: tokenMetadata(plan.to, ctx),
      destinationHasCallData: plan.call !== null,
      destinationHasCallValue: false,
      ...(view.statusReason ? { memo: view.statusReason } : {}),
      createdAt: view.createdAt.toISOString(),
      expiresAt: plan.expiresAt,
      ...(view.final ? { finishedAt: view.updatedAt.toISOString() } : {}),
    },
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
  };
  const states = [depositLeg.status, originLeg.status, destinationLeg.status];
  return {
    receipt,
    states,
    // Done once the three legs will not change, with every leg's transaction in a block: at the
    // fill for a delivered intent (its sweep is not waited for); for one that ended unpaid, once
    // nothing is pending (an abort with the deposit still there waits for its refund). The Trails
    // widget stops polling at `done` and counts a leg still without its transaction as failed.
    done:
      (delivered ? view.final : view.settled) && !states.some((s) => s === "ON_HOLD" || awaitingBlock.has(s)),
  };
}

/** The `IntentSummary` row of GetIntentTransactionHistory. */
export function renderSummary(ctx: AppContext, view: IntentView) {
  const { receipt } = renderReceipt(ctx, view);
  const { plan } = view;
  return {
    intentId: plan.intentId,
    status: view.status,
    ownerAddress: plan.owner,
    originChainId: plan.from.chainId,
    destinationChainId: plan.to.chainId,
    originIntentAddress: plan.depositAddress,
    destinationIntentAddress: receipt.summary.destinationIntentAddress,
    ...(receipt.depositTransaction.txnHash
      ? { depositTransactionHash: receipt.depositTransaction.txnHash }
      : {}),
    depositTransactionStatus: receipt.depositTransaction.status,
    ...(receipt.originTransaction.txnHash
      ? { originTransactionHash: receipt.originTransaction.txnHash }
      : {}),
    originTransactionStatus: receipt.originTransaction.status,
    ...(receipt.destinationTransaction.txnHash
      ? { destinationTransactionHash: receipt.destinationTransaction.txnHash }
      : {}),
    destinationTransactionStatus: receipt.destinationTransaction.status,
    originTokenAddress: plan.from.address,
    originTokenAmount: str(plan.quote.fromAmount),
    originTokenMetadata: receipt.summary.originTokenMetadata,
    destinationTokenAddress: plan.to.address,
    destinationTokenAmount: str(plan.quote.toAmount),
    destinationTokenMetadata: receipt.summary.destinationTokenMetadata,
    destinationToAddress: plan.recipient,
    expiresAt: plan.expiresAt,
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
  };
}
