import { type Address, encodeFunctionData, type Hex } from "viem";
import { depositFactoryAbi, settlementAbi } from "../../chains/abi.gen.ts";
import type { RuntimeChain } from "../../chains/registry.ts";
import type { PlannedTx } from "../../core/intent/decide.ts";
import { fillRecipient, type IntentPlan } from "../../core/intent/plan.ts";
import { TerminalError } from "../errors.ts";
import type { EngineDeps } from "../ports.ts";

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
          fillRecipient(plan),
          plan.call.target,
          plan.call.data,
          plan.call.amountOffset,
        ],
      })
    : encodeFunctionData({
        abi: settlementAbi,
        functionName: "fill",
        args: [plan.intentId, plan.to.address, plan.quote.toAmount, fillRecipient(plan)],
      });
}

/**
 * Several intents' fills as one `Settlement.fillBatch` (each order guarded on chain by its own
 * record, one that cannot be paid skipped), or their sweeps as one `DepositFactory.sweepBatch`.
 */
export function batchCalldata(
  kind: "fill" | "sweep",
  orders: readonly { plan: IntentPlan; tx: PlannedTx; gasLimit: bigint }[],
): Hex {
  if (kind === "sweep") {
    const sweeps = orders.map(({ plan, tx }) => {
      if (tx.kind !== "sweep") throw new Error(`a ${tx.kind} in a batch of sweeps`);
      return { intentId: plan.intentId, owner: plan.owner, token: plan.from.address, amount: tx.amount };
    });
    return encodeFunctionData({ abi: depositFactoryAbi, functionName: "sweepBatch", args: [sweeps] });
  }
  const fills = orders
    .filter(({ plan }) => !plan.call)
    .map(({ plan }) => ({
      intentId: plan.intentId,
      token: plan.to.address,
      amount: plan.quote.toAmount,
      recipient: fillRecipient(plan),
    }));
  // A fill with a call may use the gas it would be sent with alone, and no more.
  const callFills = orders.flatMap(({ plan, gasLimit }) =>
    plan.call
      ? [
          {
            intentId: plan.intentId,
            token: plan.to.address,
            amount: plan.quote.toAmount,
            fallbackRecipient: fillRecipient(plan),
            target: plan.call.target,
            data: plan.call.data,
            amountOffset: plan.call.amountOffset,
            gas: gasLimit,
          },
        ]
      : [],
  );
  return encodeFunctionData({ abi: settlementAbi, functionName: "fillBatch", args: [fills, callFills] });
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

/** A chain the plan names: one missing from the configuration is a misconfiguration, not a passing fault. */
export function configuredChain(deps: Pick<EngineDeps, "registry">) {
  return (chainId: number): RuntimeChain => {
    const chain = deps.registry.chain(chainId);
    if (!chain) throw new TerminalError(`chain ${chainId} is not configured`);
    return chain;
  };
}

/**
 * Where a planned transaction goes: the fill to the destination chain's Settlement, the sweep to
 * the origin chain's DepositFactory, a refund to the DepositFactory of the chain the money is on.
 */
export function plannedCall(
  plan: IntentPlan,
  tx: PlannedTx,
  chainOf: (chainId: number) => RuntimeChain,
): { chainId: number; to: Address; data: Hex; asset?: Address } {
  if (tx.kind === "fill") {
    return {
      chainId: plan.to.chainId,
      to: chainOf(plan.to.chainId).contracts.Settlement,
      data: fillCalldata(plan),
    };
  }
  if (tx.kind === "sweep") {
    const to = chainOf(plan.from.chainId).contracts.DepositFactory;
    return { chainId: plan.from.chainId, to, data: sweepCalldata(plan, tx.amount) };
  }
  // The deposit address is the factory's CREATE2 address for the intent's salt, the same on every
  // chain with the factory at the same address: a refund there works on any of them.
  const to = chainOf(tx.chainId).contracts.DepositFactory;
  return { chainId: tx.chainId, to, data: refundCalldata(plan, tx.asset), asset: tx.asset };
}
