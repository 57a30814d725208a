import type { Address, Hex } from "viem";
import { withHeadroom } from "../../chains/gas.ts";
import { depositWithPermitData, type SignedPermit, type TrailsIntentMessage } from "../../chains/gasless.ts";
import { revertReasonOf } from "../../chains/gateway.ts";
import { permitTypes, trailsIntentDomain, trailsIntentTypes } from "../../chains/typed-data.ts";
import { JunctionError } from "../../core/errors.ts";
import { checkGaslessRequest, type GaslessRequest } from "../../core/gasless.ts";
import { type IntentRow, planOf } from "../../store/intents.ts";
import type { EngineDeps } from "../ports.ts";
import { requireSignerGas } from "../signer-gas.ts";
import { requireIntent } from "./lifecycle.ts";
import type { RelayedDeposit } from "./views.ts";

/** A gasless deposit as submitted: what was chosen and signed, and the signatures. */
export interface GaslessSubmission extends GaslessRequest {
  intentSignature: Hex;
  permitSignature: Hex | null;
}

const invalid = (message: string) => new JunctionError("invalid_argument", message);

function requireCommitted(row: IntentRow): void {
  if (row.status === "COMMITTED") return;
  const detail = row.deposit_tx_hash ? ` with deposit ${row.deposit_tx_hash}` : "";
  throw new JunctionError(
    "wrong_status",
    `intent ${row.id} is ${row.status}${detail}; only a COMMITTED intent accepts a deposit`,
  );
}

/**
 * ExecuteIntent, gasless: checks everything a relayed `depositWithPermit` needs (each failure an
 * `invalid_argument` naming its field, with nothing sent), then records the relayer's transaction
 * and moves COMMITTED → EXECUTING in one database transaction, and broadcasts it. The deposit
 * then arrives like any other; the engine fails the intent if the transaction reverts.
 */
export async function relayGaslessDeposit(
  deps: EngineDeps,
  id: string,
  sub: GaslessSubmission,
): Promise<IntentRow> {
  const known = await requireIntent(deps, id);
  requireCommitted(known);
  const plan = planOf(known);
  const chainId = plan.from.chainId;
  await requireSignerGas(deps, [{ role: "relayer", chainId }]);
  const relayer = deps.senders.of("relayer", chainId);
  const entrypoint = relayer.chain.contracts.IntentEntrypoint;
  const owner = plan.owner;
  const token = plan.from.address;
  const nonce = plan.from.native ? 0n : await deps.chains.entrypointNonce(chainId, owner);
  const checked = checkGaslessRequest({
    plan,
    req: sub,
    nonce,
    now: deps.clock.now(),
    executeBy: known.commit_expires_at ?? new Date(0),
  });
  const intent: TrailsIntentMessage = {
    user: owner,
    token,
    amount: plan.quote.fromAmount,
    intentAddress: plan.depositAddress,
    deadline: sub.deadline,
    chainId: BigInt(chainId),
    nonce,
    feeAmount: checked.option.amount,
    feeCollector: checked.option.feeCollector,
  };
  const intentSigned = await deps.chains.verifyTypedData(chainId, {
    address: owner,
    domain: trailsIntentDomain(chainId, entrypoint),
    types: trailsIntentTypes,
    primaryType: "TrailsIntent",
    message: intent,
    signature: sub.intentSignature,
  });
  if (!intentSigned) {
    throw invalid(
      `intentSignature: not the owner ${owner}'s signature of this intent's TrailsIntent (amount ${intent.amount}, fee ${intent.feeAmount}, nonce ${nonce}, deadline ${intent.deadline}, intentAddress ${intent.intentAddress})`,
    );
  }
  const needed = intent.amount + intent.feeAmount;
  const permit = await checkPermit(deps, {
    chainId,
    owner,
    token,
    entrypoint,
    needed,
    checked: checked.permit,
    signature: sub.permitSignature,
  });
  const balance = await deps.chains.balanceOf(chainId, token, owner);
  if (balance < needed) {
    throw invalid(
      `the owner ${owner} holds ${balance} of ${plan.from.symbol}; the deposit and its fee need ${needed}`,
    );
  }
  const data = depositWithPermitData(intent, sub.intentSignature, permit);
  let gas: bigint;
  try {
    gas = await deps.chains.estimateGas(chainId, { from: relayer.address, to: entrypoint, data });
  } catch (err) {
    const reason = revertReasonOf(err);
    if (reason === null) {
      throw new JunctionError(
        "upstream_unavailable",
        `chain ${chainId} did not answer the deposit's simulation; try again`,
      );
    }
    throw invalid(`the deposit would fail on chain: ${reason}`);
  }
  const prepared = await relayer.prepare();
  const detail: RelayedDeposit = {
    intentSignature: sub.intentSignature,
    ...(permit
      ? { permitSignature: permit.signature, permitAmount: permit.value, permitDeadline: permit.deadline }
      : {}),
    feeAmount: intent.feeAmount,
    feeToken: token,
    feeCollector: intent.feeCollector,
    userNonce: nonce,
    deadline: intent.deadline,
  };
  const { row, tx } = await deps.store.commit(deps.clock.now(), async (uow) => {
    const locked = await uow.lockIntent(id);
    if (!locked) throw new JunctionError("not_found", `intentId: no intent ${id}`);
    requireCommitted(locked);
    const tx = await relayer.record(
      uow,
      { intentId: id, kind: "deposit", to: entrypoint, data, gas: withHeadroom(gas), detail },
      prepared,
    );
    const row = await uow.changeIntent(locked, {
      transition: "execute",
      patch: { deposit_tx_hash: tx.hash, next_action_at: uow.now },
      data: { gasless: true, depositTransactionHash: tx.hash },
    });
    return { row, tx };
  });
  await relayer.broadcast(tx);
  return row;
}

/**
 * The permit the relayer will submit, checked against the token: signed by the owner for the
 * entrypoint with the token's current nonce. Without one, the owner must already have approved
 * the entrypoint for `needed`.
 */
async function checkPermit(
  deps: EngineDeps,
  p: {
    chainId: number;
    owner: Address;
    token: Address;
    entrypoint: Address;
    needed: bigint;
    checked: { value: bigint; deadline: bigint } | null;
    signature: Hex | null;
  },
): Promise<SignedPermit | null> {
  if (!p.checked || !p.signature) {
    const allowance = await deps.chains.allowance(p.chainId, p.token, p.owner, p.entrypoint);
    if (allowance < p.needed) {
      throw invalid(
        `permitSignature: required: the owner has approved the entrypoint for ${allowance}, and the deposit and its fee need ${p.needed}`,
      );
    }
    return null;
  }
  const domain = await deps.chains.permitDomain(p.chainId, p.token);
  if (!domain) throw invalid(`permitSignature: token ${p.token} does not support ERC-2612 permits`);
  const nonce = await deps.chains.permitNonce(p.chainId, p.token, p.owner);
  const signed = await deps.chains.verifyTypedData(p.chainId, {
    address: p.owner,
    domain,
    types: permitTypes,
    primaryType: "Permit",
    message: {
      owner: p.owner,
      spender: p.entrypoint,
      value: p.checked.value,
      nonce,
      deadline: p.checked.deadline,
    },
    signature: p.signature,
  });
  if (!signed) {
    throw invalid(
      `permitSignature: not the owner ${p.owner}'s ERC-2612 permit for spender ${p.entrypoint}, value ${p.checked.value}, nonce ${nonce}, deadline ${p.checked.deadline}`,
    );
  }
  return { ...p.checked, signature: p.signature };
}
