import type { Hex } from "viem";
import { JunctionError } from "../../core/errors.ts";
import { type ExecutionRow, executionById } from "../../store/executions.ts";
import { findIntentByDepositAddress } from "../../store/intents.ts";
import { followLater } from "../intents/follow.ts";
import { announceDeposit } from "../intents/lifecycle.ts";
import type { EngineDeps } from "../ports.ts";

/**
 * POST /executions/deposit/submit: the deposit transaction for an execution's deposit address,
 * acted on at once rather than when the watcher gets to it. A wallet announces the hash as soon as
 * it has broadcast it, so a transaction not mined yet (or not even seen by the node yet) is
 * remembered and followed until it is mined (`followLater`); what can be judged now is judged now
 * (an unknown deposit address, an unsigned execution, a mined transaction that pays something
 * else). Only a signed execution's address takes deposits.
 */
export async function announceExecutionDeposit(
  deps: EngineDeps,
  depositAddress: string,
  txHash: Hex,
): Promise<ExecutionRow> {
  const intent = await findIntentByDepositAddress(deps.store.db, depositAddress);
  const execution = intent?.execution_id
    ? await executionById(deps.store.db, intent.execution_id)
    : undefined;
  if (!intent || !execution || execution.deleted_at) {
    throw new JunctionError(
      "not_found",
      `depositAddress: no execution has the deposit address ${depositAddress}`,
    );
  }
  if (execution.status === "CREATED") {
    throw new JunctionError(
      "conflict",
      `execution ${execution.id} is not signed yet: sign before depositing; the deposit address is only usable once the signature is stored`,
    );
  }
  if (!(await deps.chains.receipt(intent.origin_chain_id, txHash))) {
    await followLater(deps, intent, txHash, "txHash");
    return execution;
  }
  if (intent.status === "COMMITTED" || (intent.status === "EXECUTING" && intent.deposit_tx_hash === null)) {
    await announceDeposit(deps, intent.id, txHash, "txHash");
  } else {
    // Past its deadline (a late deposit revives it) or already on its way: let the engine look now.
    await deps.store.commit(deps.clock.now(), (uow) => uow.wake("intents", [intent.id]));
  }
  return (await executionById(deps.store.db, execution.id)) ?? execution;
}
