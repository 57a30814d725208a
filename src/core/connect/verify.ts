import { ed25519 } from "@noble/curves/ed25519";
import { equalBytes } from "@noble/curves/utils";
import { sha256 } from "@noble/hashes/sha2";
import { base58 } from "@scure/base";
import {
  type Address,
  bytesToHex,
  concatBytes,
  type Hex,
  hexToBytes,
  isAddressEqual,
  isHex,
  recoverMessageAddress,
} from "viem";
import { JunctionError } from "../errors.ts";
import { type Nep413Context, nep413Hash } from "./signing.ts";
import { stellarAccountKey } from "./stellar.ts";
import { decodeBase58, type SigningStandard, signingStandardOf, type Wallet } from "./wallet.ts";

/** A signature check's verdict; `reason` names the field at fault and what did not match. */
export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

export interface WalletSignatureInput {
  wallet: Wallet;
  /** The text the wallet was asked to sign (for nep413, the NEP-413 `message`). */
  message: string;
  /** What a NEP-413 signature also covers; required for NEAR wallets. */
  nep413?: Nep413Context;
  signature: string;
  /** The signing key as `ed25519:<base58>`: required for NEAR named accounts, optional otherwise. */
  publicKey?: string;
  /** The full-access keys of a NEAR named account; it may do I/O, and its failures propagate. */
  nearKeysOf: (accountId: string) => Promise<Uint8Array[]>;
}

const ED25519_PREFIX = "ed25519:";
const SECP256K1_PREFIX = "secp256k1:";
const ED25519_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
const SECP256K1_SIGNATURE_BYTES = 65;
/** Ethereum's v is 27 + the recovery id; NEAR-style secp256k1 signatures carry the bare id. */
const ETHEREUM_V_OFFSET = 27;

/** A NEAR public key `ed25519:<base58 of 32 bytes>` as its bytes. */
export function parseEd25519PublicKey(wire: string): Uint8Array {
  return prefixedBase58(wire, ED25519_KEY_BYTES, "publicKey", "an ed25519 public key");
}

/** An ed25519 signature `ed25519:<base58 of 64 bytes>` as its bytes. */
export function parseEd25519Signature(wire: string): Uint8Array {
  return prefixedBase58(wire, ED25519_SIGNATURE_BYTES, "signature", "an ed25519 signature");
}

function prefixedBase58(wire: string, length: number, field: string, what: string): Uint8Array {
  const bytes = wire.startsWith(ED25519_PREFIX) ? decodeBase58(wire.slice(ED25519_PREFIX.length)) : undefined;
  if (bytes?.length === length) return bytes;
  throw new JunctionError(
    "invalid_argument",
    `${field}: ${JSON.stringify(wire)} is not ${what}; expected ${ED25519_PREFIX}<base58 of ${length} bytes>`,
  );
}

/**
 * A secp256k1 signature r‖s‖v as viem takes it: 0x + 65 bytes with v 27 or 28. The wire forms are
 * `0x` + 65 bytes with v 27/28 (personal_sign) or 0/1, and `secp256k1:<base58>` with v 0/1 (the
 * NEAR Intents form).
 */
export function parseSecp256k1Signature(wire: string): Hex {
  const nearForm = wire.startsWith(SECP256K1_PREFIX);
  const bytes = nearForm ? decodeBase58(wire.slice(SECP256K1_PREFIX.length)) : hexBytes(wire);
  const v = bytes?.length === SECP256K1_SIGNATURE_BYTES ? bytes[64] : undefined;
  const recoveryId = v !== undefined && !nearForm && v >= ETHEREUM_V_OFFSET ? v - ETHEREUM_V_OFFSET : v;
  if (bytes && (recoveryId === 0 || recoveryId === 1)) {
    return bytesToHex(concatBytes([bytes.subarray(0, 64), Uint8Array.of(recoveryId + ETHEREUM_V_OFFSET)]));
  }
  throw new JunctionError(
    "invalid_argument",
    `signature: ${JSON.stringify(wire)} is not a secp256k1 signature; expected 0x + 65 bytes hex (r‖s‖v, v 27 or 28) or ${SECP256K1_PREFIX}<base58 of r‖s‖v> (v 0 or 1)`,
  );
}

function hexBytes(wire: string): Uint8Array | undefined {
  return isHex(wire, { strict: true }) ? hexToBytes(wire) : undefined;
}

/**
 * Whether `signature` is the wallet's signature of `message` under its signing standard. Used
 * for the execution payload and for `delete_execution:<executionId>` alike. A malformed or
 * mismatched signature is a verdict, not an error; only a failing `nearKeysOf` throws.
 */
export async function verifyWalletSignature(input: WalletSignatureInput): Promise<SignatureVerdict> {
  try {
    await CHECKS[signingStandardOf(input.wallet)](input);
    return { ok: true };
  } catch (error) {
    if (error instanceof JunctionError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Each check returns when the signature holds and throws a JunctionError saying why it does not. */
const CHECKS: Record<SigningStandard, (input: WalletSignatureInput) => Promise<void>> = {
  erc191: checkErc191,
  nep413: checkNep413,
  raw_ed25519: checkRawEd25519,
  sep53: checkSep53,
};

async function checkErc191({ wallet, message, signature }: WalletSignatureInput): Promise<void> {
  const parsed = parseSecp256k1Signature(signature);
  const signer = await recoverMessageAddress({ message, signature: parsed }).catch(() =>
    reject(
      `signature: ${JSON.stringify(signature)} is not a valid secp256k1 signature: no signer can be recovered from it`,
    ),
  );
  if (!isAddressEqual(signer, wallet.id as Address)) {
    reject(
      `signature: this payload was signed by ${signer}, not by the wallet ${wallet.id}; sign exactly the payload you were given with that wallet`,
    );
  }
}

async function checkNep413(input: WalletSignatureInput): Promise<void> {
  const context =
    input.nep413 ??
    reject(
      "nep413: a NEAR wallet's signature covers a recipient and a nonce; send the recipient and nonce it signed",
    );
  // Parsed before the key lookup, so a malformed signature costs no RPC call.
  const signature = parseEd25519Signature(input.signature);
  const key =
    input.wallet.kind === "near-implicit" ? implicitAccountKey(input) : await namedAccountKey(input);
  checkEd25519(input.wallet, signature, nep413Hash({ message: input.message, ...context }), key);
}

async function checkRawEd25519(input: WalletSignatureInput): Promise<void> {
  const signature = parseEd25519Signature(input.signature);
  checkEd25519(input.wallet, signature, new TextEncoder().encode(input.message), solanaKey(input));
}

/** SEP-53's prefix: a signed message can never be a Stellar transaction. */
const SEP53_PREFIX = "Stellar Signed Message:\n";

/** SEP-53: ed25519 over SHA-256 of the prefix and the message, by the account's own key. */
async function checkSep53(input: WalletSignatureInput): Promise<void> {
  const signature = parseEd25519Signature(input.signature);
  const key = ownKey(input.wallet, stellarAccountKey(input.wallet.id) as Uint8Array, input.publicKey);
  checkEd25519(input.wallet, signature, sha256(new TextEncoder().encode(SEP53_PREFIX + input.message)), key);
}

/** An implicit account's id is the hex of its only key; a publicKey sent along must be that key. */
function implicitAccountKey({ wallet, publicKey }: WalletSignatureInput): Uint8Array {
  return ownKey(wallet, hexToBytes(`0x${wallet.id}`), publicKey);
}

/** A Solana wallet's address is its public key; a publicKey sent along must be that key. */
function solanaKey({ wallet, publicKey }: WalletSignatureInput): Uint8Array {
  return ownKey(wallet, base58.decode(wallet.id), publicKey);
}

function ownKey(wallet: Wallet, key: Uint8Array, publicKey: string | undefined): Uint8Array {
  if (publicKey === undefined || equalBytes(parseEd25519PublicKey(publicKey), key)) return key;
  reject(
    `publicKey: ${publicKey} is not the key of ${wallet.id}, which is ${nearKeyText(key)}; send that key or omit publicKey`,
  );
}

/** A named account signs with any of its full-access keys, so the client must say which one. */
async function namedAccountKey({ wallet, publicKey, nearKeysOf }: WalletSignatureInput): Promise<Uint8Array> {
  if (publicKey === undefined) {
    reject(
      `publicKey: required for the NEAR account ${wallet.id}; send the ${ED25519_PREFIX}<base58> key that signed`,
    );
  }
  const key = parseEd25519PublicKey(publicKey);
  const accountKeys = await nearKeysOf(wallet.id);
  if (accountKeys.some((accountKey) => equalBytes(accountKey, key))) return key;
  reject(
    `publicKey: ${publicKey} is not a full-access key of ${wallet.id}; sign with one of the account's full-access keys`,
  );
}

function checkEd25519(wallet: Wallet, signature: Uint8Array, signed: Uint8Array, key: Uint8Array): void {
  if (ed25519.verify(signature, signed, key)) return;
  reject(
    `signature: not a signature of this payload by ${nearKeyText(key)} (wallet ${wallet.id}); sign exactly the payload you were given with that key`,
  );
}

function nearKeyText(key: Uint8Array): string {
  return `${ED25519_PREFIX}${base58.encode(key)}`;
}

function reject(reason: string): never {
  throw new JunctionError("invalid_argument", reason);
}
