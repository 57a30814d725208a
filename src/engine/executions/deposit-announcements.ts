import type { Hex } from "viem";
import { JunctionError } from "../../core/errors.ts";
import {
  type Announcement,
  announcedTo,
  announcementsOn,
  forgetAnnouncement,
  rememberAnnouncement,
} from "../../store/announcements.ts";
import { type ExecutionRow, executionById } from "../../store/executions.ts";
import { findIntentByDepositAddress } from "../../store/intents.ts";
import { announceDeposit } from "../intents/lifecycle.ts";
import type { EngineDeps } from "../ports.ts";

/**
 * How long a deposit transaction announced before it was mined is followed. A transaction a node
 * has not mined within the hour was most likely dropped; if it is mined later after all, the
 * deposit watcher still finds the transfer it makes, so forgetting it loses nothing.
 */
export const ANNOUNCEMENT_TTL_MS = 3_600_000;

/**
 * Unmined announcements followed per deposit address: a wallet announces one deposit, perhaps
 * again after a fee bump; every one costs a receipt read at each block, so a client may not make
 * the watcher follow any number of made-up hashes.
 */
export const MAX_FOLLOWED_PER_ADDRESS = 4;

/**
 * POST /executions/deposit/submit: the deposit transaction for an execution's deposit address,
 * acted on at once rather than when the watcher gets to it. A wallet announces the hash as soon as
 * it has broadcast it, so a transaction not mined yet (or not even seen by the node yet) is
 * remembered and followed until it is mined (`followAnnouncements`); what can be judged now is
 * judged now (an unknown deposit address, an unsigned execution, a mined transaction that pays
 * something else). Only a signed execution's address takes deposits.
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
    const followed = await announcedTo(deps.store.db, intent.origin_chain_id, intent.deposit_address);
    if (followed.length >= MAX_FOLLOWED_PER_ADDRESS && !followed.includes(txHash.toLowerCase())) {
      throw new JunctionError(
        "conflict",
        `txHash: ${followed.length} transactions not mined yet are already announced for ${intent.deposit_address}; announce this one again once it is mined`,
      );
    }
    await rememberAnnouncement(deps.store.db, {
      chainId: intent.origin_chain_id,
      txHash,
      depositAddress: intent.deposit_address,
      until: new Date(deps.clock.now().getTime() + ANNOUNCEMENT_TTL_MS),
    });
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

/**
 * The announced transactions on `chainId` that are now mined are acted on as if announced just
 * now, then forgotten; so are those past their time. Run by the chain's deposit watcher at each
 * new block. A mined transaction that pays something else is forgotten with a warning: the client
 * that announced it has its answer in the execution's status.
 */
export async function followAnnouncements(deps: EngineDeps, chainId: number): Promise<void> {
  for (const a of await announcementsOn(deps.store.db, chainId)) {
    if (deps.clock.now() >= a.until) {
      deps.log.info(
        { chainId, txHash: a.txHash },
        "an announced deposit transaction was never mined; forgotten",
      );
      await forgetAnnouncement(deps.store.db, a);
      continue;
    }
    if (!(await deps.chains.receipt(chainId, a.txHash as Hex))) continue;
    await actOn(deps, a);
    await forgetAnnouncement(deps.store.db, a);
  }
}

async function actOn(deps: EngineDeps, a: Announcement): Promise<void> {
  try {
    await announceExecutionDeposit(deps, a.depositAddress, a.txHash as Hex);
  } catch (err) {
    // Only a client's mistake is forgotten; anything else (a node or database failure, a signer
    // short of gas) is tried again at the next block.
    if (!(err instanceof JunctionError) || err.kind === "unavailable") throw err;
    deps.log.warn(
      { chainId: a.chainId, txHash: a.txHash, depositAddress: a.depositAddress, err: err.message },
      "an announced deposit transaction, now mined, was not a deposit for its execution",
    );
  }
}
