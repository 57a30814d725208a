import { type Address, encodeFunctionData, type Hex } from "viem";
import { intermediaryAccountFactoryAbi } from "../../chains/abi.gen.ts";
import type { Token } from "../../chains/registry.ts";
import type { StepCall } from "../../core/connect/steps.ts";
import { chargedGasFee } from "../../core/gasless.ts";
import { nativeOf, priced } from "../intents/quote.ts";
import type { EngineDeps } from "../ports.ts";

/** Gas for a batch that cannot be simulated (its steps depend on state not there yet). */
const FALLBACK_GAS = { base: 120_000n, perCall: 80_000n } as const;

/** `IntermediaryAccountFactory.execute(identity, calls)`: how the executor runs a wallet's steps. */
export function executeStepsData(identity: Hex, calls: readonly StepCall[]): Hex {
  return encodeFunctionData({
    abi: intermediaryAccountFactoryAbi,
    functionName: "execute",
    args: [identity, calls.map((c) => ({ to: c.to, value: c.value, data: c.data }))],
  });
}

/**
 * Gas the executor spends running `calls` for `identity` on `chainId`: a real eth_estimateGas of
 * the factory call, with the intermediary given `fund` (the tokens the steps will have once
 * delivered) by state override; a batch the chain cannot simulate yet is budgeted per call.
 */
async function stepsGas(
  deps: EngineDeps,
  p: {
    chainId: number;
    identity: Hex;
    intermediary: Address;
    calls: readonly StepCall[];
    fund: { token: Address; amount: bigint } | null;
  },
): Promise<bigint> {
  const executor = deps.senders.of("executor", p.chainId);
  const stateOverride = p.fund
    ? await deps.chains.balanceOverride(p.chainId, p.fund.token, p.intermediary, p.fund.amount)
    : null;
  try {
    return await deps.chains.estimateGas(p.chainId, {
      from: executor.address,
      to: executor.chain.contracts.IntermediaryAccountFactory,
      data: executeStepsData(p.identity, p.calls),
      ...(stateOverride ? { stateOverride } : {}),
    });
  } catch {
    return FALLBACK_GAS.base + FALLBACK_GAS.perCall * BigInt(p.calls.length);
  }
}

/**
 * The network fee for running `calls`, charged in `token` (the fee step pays it to the fee
 * collector): the executor's gas at the chain's gas price, converted, plus the configured margin.
 */
export async function stepsNetworkFee(
  deps: EngineDeps,
  token: Token,
  p: Parameters<typeof stepsGas>[1],
): Promise<bigint> {
  const native = nativeOf(deps.registry, p.chainId);
  if (!native) throw new Error(`chain ${p.chainId} has no priced native coin`);
  const [gas, gasPrice] = await Promise.all([stepsGas(deps, p), deps.chains.gasPrice(p.chainId)]);
  return chargedGasFee(
    { gasLimit: gas, gasPrice, native: priced(native) },
    priced(token),
    deps.settings.connect.stepsFeeMarginBps,
  );
}
