import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";

/**
 * What the database keeps of the access key (Trails `X-Access-Key`, Connect `x-api-key`) an
 * intent or execution was created with: enough to recognise the key, never the key itself.
 */
export const keyFingerprint = (accessKey: string) =>
  bytesToHex(sha256(new TextEncoder().encode(`junction access key:${accessKey}`)));
