import { base58 } from "@scure/base";
import { encodeAbiParameters, getAddress, type Hex, isAddress, keccak256 } from "viem";
import { JunctionError } from "../errors.ts";
import { stellarAccountKey } from "./stellar.ts";

/** The chain family of a user's origin wallet. */
export type WalletType = "evm" | "near" | "solana" | "stellar";

/**
 * A user's origin wallet. `id` is normalised: an EVM address in its EIP-55 checksum form, a NEAR
 * account id, a Solana public key or a Stellar account id as given.
 */
export interface Wallet {
  type: WalletType;
  /** NEAR splits in two because a named account's keys must be looked up, an implicit one's are its id. */
  kind: "evm" | "near-named" | "near-implicit" | "solana" | "stellar";
  id: string;
}

/** How a wallet of each type signs the payload it is handed. */
export type SigningStandard = "erc191" | "nep413" | "raw_ed25519" | "sep53";

const EVM_UPPERCASE = /^0x[0-9A-F]{40}$/;
const NEAR_IMPLICIT = /^[0-9a-f]{64}$/;
/**
 * NEAR account-id rules (nearcore's `near-account-id`): dot-separated parts of lowercase letters and
 * digits, a single `-` or `_` only between two alphanumerics; the length is checked apart.
 */
const NEAR_NAMED = /^(?:[a-z\d]+[-_])*[a-z\d]+(?:\.(?:[a-z\d]+[-_])*[a-z\d]+)*$/;
const NEAR_NAMED_LENGTH = { min: 2, max: 64 };
const SOLANA_KEY_BYTES = 32;

/**
 * The wallet `raw` names. The forms overlap (a lowercase base58 key can also read as a NEAR name),
 * so they are tried in a fixed order: EVM, NEAR implicit, Stellar, Solana, NEAR named.
 */
export function parseWallet(raw: string): Wallet {
  if (isEvmAddress(raw)) return { type: "evm", kind: "evm", id: getAddress(raw) };
  if (NEAR_IMPLICIT.test(raw)) return { type: "near", kind: "near-implicit", id: raw };
  if (stellarAccountKey(raw)) return { type: "stellar", kind: "stellar", id: raw };
  if (isSolanaKey(raw)) return { type: "solana", kind: "solana", id: raw };
  if (isNearNamed(raw)) return { type: "near", kind: "near-named", id: raw };
  throw new JunctionError(
    "invalid_argument",
    `wallet: ${JSON.stringify(raw)} is not a wallet id; expected an EVM address (0x + 40 hex), a NEAR account (alice.near), a NEAR implicit account (64 lowercase hex), a Solana public key (base58, 32 bytes) or a Stellar account (G…, 56 characters)`,
  );
}

/**
 * EIP-55: all-lowercase and all-uppercase hex carry no checksum, mixed case must be one. viem's
 * strict check covers lowercase and checksums but rejects all-uppercase, so that form is added here.
 */
function isEvmAddress(raw: string): boolean {
  return isAddress(raw, { strict: true }) || EVM_UPPERCASE.test(raw);
}

function isSolanaKey(raw: string): boolean {
  return decodeBase58(raw)?.length === SOLANA_KEY_BYTES;
}

/** The bytes `text` encodes in base58 (Bitcoin alphabet), or undefined when it is not base58. */
export function decodeBase58(text: string): Uint8Array | undefined {
  try {
    return base58.decode(text);
  } catch {
    return undefined;
  }
}

function isNearNamed(raw: string): boolean {
  return raw.length >= NEAR_NAMED_LENGTH.min && raw.length <= NEAR_NAMED_LENGTH.max && NEAR_NAMED.test(raw);
}

/**
 * The user's identity across Junction: keccak256(abi.encode(string walletType, string id)). It is
 * the CREATE2 salt of the user's on-chain IntermediaryAccount, so it must never change for the
 * same wallet: an EVM id enters it lowercased, so the checksum casing a client sends does not
 * lead to another account. The type is part of it so equal strings on two chain families stay
 * two users.
 */
export function walletIdentity(wallet: Wallet): Hex {
  const id = wallet.type === "evm" ? wallet.id.toLowerCase() : wallet.id;
  return keccak256(encodeAbiParameters([{ type: "string" }, { type: "string" }], [wallet.type, id]));
}

const STANDARD_OF: Record<WalletType, SigningStandard> = {
  evm: "erc191",
  near: "nep413",
  solana: "raw_ed25519",
  stellar: "sep53",
};

/** The signing standard a wallet of this type uses: personal_sign, NEP-413, plain ed25519, or SEP-53. */
export function signingStandardOf(wallet: Wallet): SigningStandard {
  return STANDARD_OF[wallet.type];
}
