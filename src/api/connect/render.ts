import { assetIdOf } from "../../core/connect/assets.ts";
import { executionModeOf } from "../../core/connect/plan.ts";
import { stepJson } from "../../core/connect/steps.ts";
import type { ExecutionRecord } from "../../engine/engine.ts";
import type { AppContext } from "../context.ts";

const usd = (n: number) => n.toFixed(2);

/**
 * An execution as the API returns it (`executionDoc`). A dry run (nothing stored) has no deposit
 * address and nothing to sign.
 */
export function renderExecution(execution: ExecutionRecord) {
  const { plan, stored } = execution;
  const q = plan.quote;
  const payload = stored ? plan.payload : null;
  return {
    id: plan.id,
    status: execution.status,
    ...(execution.statusReason ? { statusReason: execution.statusReason } : {}),
    executionMode: executionModeOf(plan.direction),
    type: plan.type,
    version: plan.version,
    metadata: plan.metadata,
    steps: plan.steps.map(stepJson),
    createdAt: plan.createdAt,
    ...(q
      ? {
          quote: {
            amount: q.amount.toString(),
            amountIn: q.amountIn.toString(),
            amountInUsd: usd(q.amountInUsd),
            amountOut: q.amountOut.toString(),
            amountOutUsd: usd(q.amountOutUsd),
            minAmountIn: q.minAmountIn.toString(),
            minAmountOut: q.minAmountOut.toString(),
            deadline: plan.deadline,
            ...(stored ? { depositAddress: q.depositAddress } : {}),
            // No configured chain needs a memo beside the deposit address (Stellar would).
            depositMemo: null,
            originAsset: q.originAsset,
            destinationAsset: q.destinationAsset,
            recipient: q.recipient,
            swapType: q.swapType,
          },
        }
      : {}),
    details: {
      estimatedTime: plan.estimatedTime,
      intermediaryAddress: plan.intermediary,
      messageSigned: execution.signed,
      ...(payload ? { messageToSign: payload.messageToSign } : {}),
      networkFee: plan.networkFee.toString(),
      signingStandard: plan.standard,
      ...(payload
        ? {
            payload: {
              standard: payload.standard,
              payload_json: payload.payload_json,
              payload_bytes_base64: payload.payload_bytes_base64,
            },
          }
        : {}),
    },
  };
}

/** What POST /executions/{wallet}/submit answers: its own status set, beside the execution's. */
export type SubmitStatus = "SIGNING" | "SIGNED_PENDING_DEPOSIT" | ExecutionRecord["status"];

/**
 * The submit answer as Aurora's client reads it: anything but SIGNING makes it ask the wallet for
 * a deposit. So SIGNING for every execution that takes no deposit from the user (an
 * out-operation, whose own steps pay the deposit address; a steps-only execution), whatever its
 * status; SIGNED_PENDING_DEPOSIT for a bridge-in waiting for its deposit; a bridge-in signed again
 * later answers its status.
 */
export function renderSubmitStatus(execution: ExecutionRecord): SubmitStatus {
  if (execution.plan.direction !== "in") return "SIGNING";
  return execution.status === "DEPOSIT_PENDING" ? "SIGNED_PENDING_DEPOSIT" : execution.status;
}

/** Every listed token in the Connect API's shape; a fixed price is as of start-up, a feed's as of its last read. */
export function renderTokens(ctx: AppContext) {
  return ctx.registry.chains.flatMap((chain) =>
    chain.tokens.map((t) => ({
      assetId: assetIdOf({ slug: chain.slug, address: t.address, native: t.native }),
      blockchain: chain.slug,
      contractAddress: t.address,
      decimals: t.decimals,
      price: Number(t.price.usd),
      priceUpdatedAt: (t.price.updatedAt ?? ctx.startedAt).toISOString(),
      symbol: t.symbol,
    })),
  );
}
