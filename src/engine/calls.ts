import { type Address, encodeFunctionData, type Hex } from "viem";
import { depositFactoryAbi, settlementAbi } from "../chains/abi.gen.ts";
import type { IntentPlan } from "../core/plan.ts";

/** The solver's fill on the destination chain: a plain payment, or the payment through the Executor's call. */
export function fillCalldata(plan: IntentPlan): Hex {
  return plan.call
    ? encodeFunctionData({
        abi: settlementAbi,
        functionName: "fillWithCall",
        args: [
          plan.intentId,
          plan.to.address,
          plan.quote.toAmount,
          plan.owner,
          plan.call.target,
          plan.call.data,
          plan.call.amountOffset,
        ],
      })
    : encodeFunctionData({
        abi: settlementAbi,
        functionName: "fill",
        args: [plan.intentId, plan.to.address, plan.quote.toAmount, plan.recipient],
      });
}

/** The sweep of `amount` from the deposit address into Settlement (anything above it goes to the owner). */
export function sweepCalldata(plan: IntentPlan, amount: bigint): Hex {
  return encodeFunctionData({
    abi: depositFactoryAbi,
    functionName: "sweep",
    args: [plan.intentId, plan.owner, plan.from.address, amount],
  });
}

/** Everything of `asset` at the deposit address (and any native coin) back to the owner. */
export function refundCalldata(plan: IntentPlan, asset: Address): Hex {
  return encodeFunctionData({
    abi: depositFactoryAbi,
    functionName: "refund",
    args: [plan.intentId, plan.owner, plan.from.address, asset],
  });
}
