import { describe, expect, it } from "vitest";
import { JunctionError } from "../errors.ts";
import { parseWallet, signingStandardOf, type Wallet, walletIdentity } from "./wallet.ts";

const CHECKSUMMED = "0x5a95B4a393f0a8DEf7AC46907e1fb0782Cd3538A";
const IMPLICIT = "d3b7f5e2041835a9329d9ab0fcf29685a63f40f43ae92b31808529b39da19743";
const USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";

const STELLAR = "GBXFXNDLV4LSWA4VB7YIL5GBD7BVNR22SGBTDKMO2SBZZHDXSKZYCP7L";

describe("parseWallet", () => {
  it.each<[string, string, Wallet]>([
    ["a lowercase EVM address", CHECKSUMMED.toLowerCase(), { type: "evm", kind: "evm", id: CHECKSUMMED }],
    [
      "an all-uppercase EVM address",
      `0x${CHECKSUMMED.slice(2).toUpperCase()}`,
      { type: "evm", kind: "evm", id: CHECKSUMMED },
    ],
    ["a checksummed EVM address", CHECKSUMMED, { type: "evm", kind: "evm", id: CHECKSUMMED }],
    ["a NEAR implicit account", IMPLICIT, { type: "near", kind: "near-implicit", id: IMPLICIT }],
    ["a Solana public key", USDC_MINT, { type: "solana", kind: "solana", id: USDC_MINT }],
    ["a Stellar account", STELLAR, { type: "stellar", kind: "stellar", id: STELLAR }],
    // 32 zero bytes; "1" is a digit, so this reads as a NEAR name too, and Solana wins by precedence.
    [
      "the Solana system program (also a valid NEAR name)",
      "11111111111111111111111111111111",
      { type: "solana", kind: "solana", id: "11111111111111111111111111111111" },
    ],
    ["a NEAR named account", "alice.near", { type: "near", kind: "near-named", id: "alice.near" }],
    ["a top-level NEAR name", "near", { type: "near", kind: "near-named", id: "near" }],
    ["a two-character NEAR name", "ab", { type: "near", kind: "near-named", id: "ab" }],
    [
      "a NEAR name with separators",
      "my-app_v2.sub.testnet",
      { type: "near", kind: "near-named", id: "my-app_v2.sub.testnet" },
    ],
    [
      "a 64-character NEAR name",
      `${"a".repeat(59)}.near`,
      { type: "near", kind: "near-named", id: `${"a".repeat(59)}.near` },
    ],
  ])("accepts %s", (_, raw, wallet) => {
    expect(parseWallet(raw)).toEqual(wallet);
  });

  it.each([
    ["an EVM address with a wrong checksum", "0x5a95b4a393f0a8def7ac46907e1fb0782cd3538A"],
    ["an EVM address one byte short", CHECKSUMMED.slice(0, -2)],
    ["uppercase implicit hex", IMPLICIT.toUpperCase()],
    ["a one-character NEAR name", "a"],
    ["a 65-character NEAR name", `${"a".repeat(60)}.near`],
    ["uppercase in a NEAR name", "Alice.near"],
    ["a leading dot", ".near"],
    ["a trailing dot", "alice."],
    ["two dots in a row", "alice..near"],
    ["two separators in a row", "al--ice.near"],
    ["a leading separator", "-alice.near"],
    ["a trailing separator", "alice_.near"],
    ["a separator before a dot", "alice-.near"],
    ["a foreign character", "alice@near"],
    ["an empty string", ""],
    ["base58 of 31 bytes", "3cpvoZKJ28f1CDBboEmfEXMVVMcSQzBhTEMtecGWQ6v"],
    ["base58 of 33 bytes", "szpHvMPBKt4t9PagDS68oqS8dUc1gZTUPFV5p9Wgh4rF4"],
    ["an uppercase 0X prefix", `0X${CHECKSUMMED.slice(2).toLowerCase()}`],
  ])("rejects %s", (_, raw) => {
    expect(() => parseWallet(raw)).toThrowError(JunctionError);
  });

  it("names the field and every accepted form", () => {
    expect(() => parseWallet("abc!")).toThrowError(
      expect.objectContaining({
        kind: "invalid_argument",
        message:
          'wallet: "abc!" is not a wallet id; expected an EVM address (0x + 40 hex), a NEAR account (alice.near), a NEAR implicit account (64 lowercase hex), a Solana public key (base58, 32 bytes) or a Stellar account (G…, 56 characters)',
      }),
    );
  });
});

describe("walletIdentity", () => {
  it("is pinned: it is the IntermediaryAccount salt, so a change would move every user's account", () => {
    expect(walletIdentity(parseWallet(CHECKSUMMED))).toBe(
      "0x6c2bf824b63c56947ac0cf56d2695ecca8a8e92d26e98d50179f4cd562d16986",
    );
    expect(walletIdentity(parseWallet("alice.near"))).toBe(
      "0x0d3fc2e7671b4cae5be20ff035031b78533198acce6b359909908780e897fcbf",
    );
  });

  it("does not depend on EVM checksum casing", () => {
    const lowercase: Wallet = { type: "evm", kind: "evm", id: CHECKSUMMED.toLowerCase() };
    expect(walletIdentity(lowercase)).toBe(walletIdentity(parseWallet(CHECKSUMMED)));
  });

  it("keeps the same id on two chain families apart", () => {
    const id = "11111111111111111111111111111111";
    const onSolana: Wallet = { type: "solana", kind: "solana", id };
    const onNear: Wallet = { type: "near", kind: "near-named", id };
    expect(walletIdentity(onSolana)).not.toBe(walletIdentity(onNear));
  });

  it("differs between wallets", () => {
    expect(walletIdentity(parseWallet("alice.near"))).not.toBe(walletIdentity(parseWallet("bob.near")));
  });
});

describe("signingStandardOf", () => {
  it.each([
    [CHECKSUMMED, "erc191"],
    [IMPLICIT, "nep413"],
    ["alice.near", "nep413"],
    [USDC_MINT, "raw_ed25519"],
    [STELLAR, "sep53"],
  ])("%s signs with %s", (raw, standard) => {
    expect(signingStandardOf(parseWallet(raw))).toBe(standard);
  });
});
