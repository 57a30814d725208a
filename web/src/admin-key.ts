import { devnetAdminKey } from "./api.ts";

/** Where the operator page keeps the admin key it was given, for this tab's session. */
export const ADMIN_KEY_STORAGE = "junction-admin-key";

/** The admin key this tab knows: the one the operator typed, else the devnet's own. */
export async function knownAdminKey(): Promise<string | undefined> {
  return sessionStorage.getItem(ADMIN_KEY_STORAGE) ?? (await devnetAdminKey());
}
