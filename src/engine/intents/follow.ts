import { JunctionError } from "../../core/errors.ts";
import { announcedTo, rememberAnnouncement } from "../../store/announcements.ts";
import type { IntentRow } from "../../store/intents.ts";
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
 * A deposit transaction announced before it was mined (a wallet returns the hash at broadcast):
 * remembered, so the chain's watcher acts on it once it is mined (`followAnnouncements`).
 * `field` is the request field that carried the hash, which a refusal names.
 */
export async function followLater(
  deps: EngineDeps,
  intent: IntentRow,
  hash: string,
  field: string,
): Promise<void> {
  const followed = await announcedTo(deps.store.db, intent.origin_chain_id, intent.deposit_address);
  if (followed.length >= MAX_FOLLOWED_PER_ADDRESS && !followed.includes(hash.toLowerCase())) {
    throw new JunctionError(
      "conflict",
      `${field}: ${followed.length} transactions not mined yet are already announced for ${intent.deposit_address}; announce this one again once it is mined`,
    );
  }
  await rememberAnnouncement(deps.store.db, {
    chainId: intent.origin_chain_id,
    txHash: hash,
    depositAddress: intent.deposit_address,
    until: new Date(deps.clock.now().getTime() + ANNOUNCEMENT_TTL_MS),
  });
}
