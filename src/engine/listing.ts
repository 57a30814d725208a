import type { Address, Hex } from "viem";
import { keyFingerprint } from "../core/access-key.ts";
import type { Wallet } from "../core/connect/wallet.ts";
import { JunctionError } from "../core/errors.ts";
import {
  checkListingDeadline,
  executionListingMessage,
  intentListingMessage,
  isRestricted,
  type ListingScope,
  ownScope,
} from "../core/listing.ts";
import { requireSigned, type WalletSignature } from "./executions/authorize.ts";
import type { EngineDeps } from "./ports.ts";

/** Who asks for a listing of intents: its access key, and an owner's signature if it sent one. */
export interface IntentListingCaller {
  accessKey: string | null;
  ownerSignature?: { signature: Hex; deadline: number };
}

/** Who asks for a wallet's executions: its `x-api-key`, and the wallet's signature if it sent one. */
export interface ExecutionListingCaller {
  apiKey: string | null;
  walletSignature?: WalletSignature & { deadline: number };
}

const fingerprintOf = (key: string | null) => (key ? keyFingerprint(key) : null);

/**
 * What `caller` may see of an intent query (`owner` is the one it names, if any). Under the
 * "own" mode a listing needs the caller's access key or the owner's signature, checked here.
 */
export async function intentListingScope(
  deps: EngineDeps,
  query: { lookup: boolean; owner?: string },
  caller: IntentListingCaller,
): Promise<ListingScope> {
  if (!isRestricted(deps.settings.listings, query)) return "all";
  const signed = caller.ownerSignature;
  let signedOwner: string | null = null;
  if (signed) {
    const owner = query.owner;
    if (owner === undefined) {
      throw new JunctionError(
        "invalid_argument",
        "byOwnerAddress: an ownerSignature lists one owner's intents; name that owner in byOwnerAddress",
      );
    }
    checkListingDeadline(signed.deadline, deps.clock.now(), "ownerSignatureDeadline");
    const message = intentListingMessage(owner, signed.deadline);
    const chainId = deps.registry.chains[0]?.chainId;
    const valid =
      chainId !== undefined &&
      (await deps.chains.verifyMessage(chainId, {
        address: owner as Address,
        message,
        signature: signed.signature,
      }));
    if (!valid) {
      throw new JunctionError(
        "unauthorized",
        `ownerSignature: not ${owner}'s signature (EIP-191) of ${JSON.stringify(message)}`,
      );
    }
    signedOwner = owner;
  }
  return ownScope(
    { keyFingerprint: fingerprintOf(caller.accessKey), signedOwner },
    'the owner\'s EIP-191 signature of "Junction: list intents of <byOwnerAddress, lowercase> until <deadline, unix seconds>" as ownerSignature, with ownerSignatureDeadline',
  );
}

/**
 * What `caller` may see of a wallet's executions: under the "own" mode, without ids, those
 * created with its `x-api-key`, or all of the wallet's with the wallet's signature.
 */
export async function executionListingScope(
  deps: EngineDeps,
  wallet: Wallet,
  query: { lookup: boolean },
  caller: ExecutionListingCaller,
): Promise<ListingScope> {
  if (!isRestricted(deps.settings.listings, query)) return "all";
  const signed = caller.walletSignature;
  if (signed) {
    checkListingDeadline(signed.deadline, deps.clock.now(), "x-signature-deadline");
    await requireSigned(deps, wallet, executionListingMessage(wallet.id, signed.deadline), signed);
    return "all";
  }
  if (caller.apiKey !== null && !deps.settings.connect.apiKeys.includes(caller.apiKey)) {
    throw new JunctionError("unauthorized", "x-api-key: not a key this server accepts");
  }
  return ownScope(
    { keyFingerprint: fingerprintOf(caller.apiKey), signedOwner: null },
    "the wallet's signature of list_executions:<wallet>:<deadline, unix seconds> in x-signature, with x-signature-deadline (and x-public-key, x-nep413-recipient, x-nep413-nonce as its standard needs)",
  );
}
