import { base32nopad } from "@scure/base";
import { concatBytes } from "viem";

/**
 * Stellar account ids (StrKey "G…" addresses): base32 (RFC 4648, no padding) of a version byte
 * (6 << 3, which makes the first letter G), the 32-byte ed25519 public key, and a CRC16-XModem
 * checksum of both, little-endian: 56 characters in all.
 */

const ACCOUNT_VERSION = 6 << 3;
const KEY_BYTES = 32;
const ACCOUNT_LENGTH = 56;
const STRKEY = /^G[A-Z2-7]{55}$/;

/** CRC-16/XMODEM (polynomial 0x1021, initial value 0), as StrKey checksums its bytes. */
function crc16Xmodem(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The public key a Stellar account id names, or undefined when `id` is not one (checksum included). */
export function stellarAccountKey(id: string): Uint8Array | undefined {
  if (id.length !== ACCOUNT_LENGTH || !STRKEY.test(id)) return undefined;
  const bytes = base32nopad.decode(id);
  const body = bytes.subarray(0, 1 + KEY_BYTES);
  const checksum = (bytes[1 + KEY_BYTES] as number) | ((bytes[2 + KEY_BYTES] as number) << 8);
  if (bytes[0] !== ACCOUNT_VERSION || checksum !== crc16Xmodem(body)) return undefined;
  return body.slice(1);
}

/** The Stellar account id of an ed25519 public key. */
export function stellarAccountId(key: Uint8Array): string {
  if (key.length !== KEY_BYTES)
    throw new Error(`a Stellar account key has ${KEY_BYTES} bytes, not ${key.length}`);
  const body = concatBytes([Uint8Array.of(ACCOUNT_VERSION), key]);
  const crc = crc16Xmodem(body);
  return base32nopad.encode(concatBytes([body, Uint8Array.of(crc & 0xff, crc >> 8)]));
}
