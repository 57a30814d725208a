import { sha256 } from "@noble/hashes/sha2";
import { type Address, type Hex, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import type { DevnetDefaults } from "../config/load.ts";

/** The mnemonic every anvil starts with; the devnet's accounts and default keys derive from it. */
export const devnetMnemonic = "test test test test test test test test test test test junk";
export const testAccountCount = 10;
/** Anvil account indexes, after the ten test accounts, for the devnet's own roles. */
export const roleIndex = { solver: 10, relayer: 11, executor: 12, feeCollector: 13 } as const;
/** How many accounts each anvil funds with native coin. */
export const fundedAccountCount = 14;

export interface DevAccount {
  address: Address;
  privateKey: Hex;
}

export function devnetAccount(index: number): DevAccount {
  const account = mnemonicToAccount(devnetMnemonic, { addressIndex: index });
  const privateKey = account.getHdKey().privateKey;
  if (!privateKey) throw new Error(`no private key derived for index ${index}`);
  return { address: account.address, privateKey: toHex(privateKey) };
}

/** The ten well-known anvil test accounts. */
export function testAccounts(): DevAccount[] {
  return Array.from({ length: testAccountCount }, (_, i) => devnetAccount(i));
}

/**
 * The devnet's NEAR named account, listed with its public key in config/devnet.json
 * (`connect.nearAccounts`): its ed25519 secret key is the sha256 of a fixed text, so tests and
 * guides can sign as it.
 */
export const devnetNearAccount = {
  accountId: "alice.junction.near",
  secretKey: sha256(new TextEncoder().encode("junction devnet near account alice.junction.near")),
} as const;

/** The devnet's role keys and fee collector, for the configuration to default to. */
export function devnetDefaults(): DevnetDefaults {
  return {
    keys: {
      solver: devnetAccount(roleIndex.solver).privateKey,
      relayer: devnetAccount(roleIndex.relayer).privateKey,
      executor: devnetAccount(roleIndex.executor).privateKey,
    },
    feeCollector: devnetAccount(roleIndex.feeCollector).address,
  };
}
