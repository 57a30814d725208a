import type { Db } from "./database.ts";

/** A deposit transaction announced before it was mined, followed until `until`. */
export interface Announcement {
  chainId: number;
  txHash: string;
  depositAddress: string;
  until: Date;
}

/** Remembers an announcement; announcing the same transaction again keeps the first deadline. */
export async function rememberAnnouncement(db: Db, a: Announcement): Promise<void> {
  await db
    .insertInto("deposit_announcements")
    .values({
      chain_id: a.chainId,
      tx_hash: a.txHash.toLowerCase(),
      deposit_address: a.depositAddress,
      until: a.until,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** The announcements followed on `chainId`. */
export async function announcementsOn(db: Db, chainId: number): Promise<Announcement[]> {
  const rows = await db
    .selectFrom("deposit_announcements")
    .selectAll()
    .where("chain_id", "=", chainId)
    .execute();
  return rows.map((r) => ({
    chainId: r.chain_id,
    txHash: r.tx_hash,
    depositAddress: r.deposit_address,
    until: r.until,
  }));
}

/** The transactions announced for one deposit address, still followed. */
export async function announcedTo(db: Db, chainId: number, depositAddress: string): Promise<string[]> {
  const rows = await db
    .selectFrom("deposit_announcements")
    .select("tx_hash")
    .where("chain_id", "=", chainId)
    .where("deposit_address", "=", depositAddress)
    .execute();
  return rows.map((r) => r.tx_hash);
}

export async function forgetAnnouncement(db: Db, a: Announcement): Promise<void> {
  await db
    .deleteFrom("deposit_announcements")
    .where("chain_id", "=", a.chainId)
    .where("tx_hash", "=", a.txHash)
    .where("deposit_address", "=", a.depositAddress)
    .execute();
}
