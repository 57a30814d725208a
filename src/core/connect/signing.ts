import { sha256 } from "@noble/hashes/sha2";
import { base64 } from "@scure/base";
import { type Schema, serialize } from "borsh";
import { JunctionError } from "../errors.ts";
import type { SigningStandard } from "./wallet.ts";

// Re-exported: a payload is read together with its standard, so callers import both from here.
export type { SigningStandard } from "./wallet.ts";

/** What the server hands a wallet to sign, in each form a client may need. */
export interface SigningPayload {
  standard: SigningStandard;
  /** erc191, raw_ed25519 and sep53: the text itself; nep413: the NEP-413 request as JSON. */
  payload_json: string;
  /** base64 of the UTF-8 bytes of payload_json: for raw_ed25519, exactly the bytes to sign. */
  payload_bytes_base64: string;
  /** The text a wallet shows and signs (for nep413, the `message` of the NEP-413 request). */
  messageToSign: string;
  nep413?: { message: string; recipient: string /** base64 of 32 bytes */; nonce: string };
}

/** Where a NEP-413 signature is meant to be used, and the nonce that makes it single-use. */
export interface Nep413Context {
  recipient: string;
  nonce: Uint8Array;
}

/** The fields of a NEP-413 message, as its hash covers them. */
export interface Nep413Message extends Nep413Context {
  message: string;
  callbackUrl?: string;
}

const NEP413_NONCE_BYTES = 32;
/** NEP-461's prefix for an off-chain message, 2^31 + NEP number: no NEAR transaction starts with it. */
const NEP413_TAG = 2 ** 31 + 413;
/** The tag, then the NEP-413 `Payload` struct in its field order (borsh encodes in schema order). */
const NEP413_SCHEMA: Schema = {
  struct: {
    tag: "u32",
    message: "string",
    nonce: { array: { type: "u8", len: NEP413_NONCE_BYTES } },
    recipient: "string",
    callbackUrl: { option: "string" },
  },
};

/**
 * The payload for `text` under `standard`. Only the nep413 standard uses `nep413`: its recipient
 * and nonce become part of what the wallet signs; the others sign the text alone.
 */
export function signingPayload(
  standard: SigningStandard,
  text: string,
  nep413: Nep413Context,
): SigningPayload {
  if (standard !== "nep413") return withBytes({ standard, payload_json: text, messageToSign: text });
  const request = {
    message: text,
    recipient: nep413.recipient,
    nonce: base64.encode(checkedNonce(nep413.nonce)),
  };
  return withBytes({ standard, payload_json: JSON.stringify(request), messageToSign: text, nep413: request });
}

function withBytes(payload: Omit<SigningPayload, "payload_bytes_base64">): SigningPayload {
  return { ...payload, payload_bytes_base64: base64.encode(new TextEncoder().encode(payload.payload_json)) };
}

/** The 32-byte sha256 a NEAR wallet signs for a NEP-413 message. */
export function nep413Hash(input: Nep413Message): Uint8Array {
  const value = {
    tag: NEP413_TAG,
    message: input.message,
    nonce: checkedNonce(input.nonce),
    recipient: input.recipient,
    callbackUrl: input.callbackUrl ?? null,
  };
  return sha256(serialize(NEP413_SCHEMA, value));
}

function checkedNonce(nonce: Uint8Array): Uint8Array {
  if (nonce.length === NEP413_NONCE_BYTES) return nonce;
  throw new JunctionError(
    "invalid_argument",
    `nonce: has ${nonce.length} bytes; a NEP-413 nonce is exactly ${NEP413_NONCE_BYTES} bytes (send it base64-encoded)`,
  );
}
