import type { Hex } from "viem";
import { JunctionError } from "../core/errors.ts";
import { type Announcement, announcementsOn, forgetAnnouncement } from "../store/announcements.ts";
import { findIntentByDepositAddress } from "../store/intents.ts";
import { announceExecutionDeposit } from "./executions/deposit-announcements.ts";
import { announceDeposit } from "./intents/lifecycle.ts";
import type { EngineDeps } from "./ports.ts";

/**
 * The deposit transactions announced on `chainId` before they were mined (Trails ExecuteIntent,
 * Connect deposit/submit) that are now mined are acted on as if announced just now, then
 * forgotten; so are those past their time. Run by the chain's deposit watcher at each new block. A
 * mined transaction that pays something else is forgotten with a warning: the client that
 * announced it has its answer in the intent's or execution's status.
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

/** Announces the mined transaction again, through the dialect's own path. */
async function actOn(deps: EngineDeps, a: Announcement): Promise<void> {
  try {
    const intent = await findIntentByDepositAddress(deps.store.db, a.depositAddress);
    if (intent?.execution_id) await announceExecutionDeposit(deps, a.depositAddress, a.txHash as Hex);
    else if (intent) await announceDeposit(deps, intent.id, a.txHash as Hex);
  } catch (err) {
    // Only a client's mistake is forgotten; anything else (a node or database failure, a signer
    // short of gas) is tried again at the next block.
    if (!(err instanceof JunctionError) || err.kind === "unavailable") throw err;
    deps.log.warn(
      { chainId: a.chainId, txHash: a.txHash, depositAddress: a.depositAddress, err: err.message },
      "an announced deposit transaction, now mined, was not a deposit for its intent",
    );
  }
}
