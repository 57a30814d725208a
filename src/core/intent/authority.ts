import { keyFingerprint } from "../access-key.ts";

/**
 * Who may change an intent other than by announcing a deposit: the integrator whose access key
 * quoted it, or its owner, by signing the intent's id.
 */

/**
 * What an owner signs (EIP-191 `personal_sign`) to abort an intent: names the action and the
 * intent, so the signature authorises nothing else.
 */
export const abortMessage = (intentId: string) => `Junction: abort intent ${intentId.toLowerCase()}`;

/** Whether `accessKey` is the one that quoted the intent (whose fingerprint is `quotedBy`). */
export const quotedWith = (quotedBy: string | null, accessKey: string | null) =>
  quotedBy !== null && accessKey !== null && keyFingerprint(accessKey) === quotedBy;
