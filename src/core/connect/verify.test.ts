import { ed25519 } from "@noble/curves/ed25519";
import { base58, base64 } from "@scure/base";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it, vi } from "vitest";
import { type Nep413Context, nep413Hash } from "./signing.ts";
import { stellarAccountId } from "./stellar.ts";
import {
  parseEd25519PublicKey,
  parseEd25519Signature,
  parseSecp256k1Signature,
  verifyWalletSignature,
  type WalletSignatureInput,
} from "./verify.ts";
import { parseWallet } from "./wallet.ts";

const MESSAGE = '{"execution":"swap","amount":"1000000","memo":"café"}';
const OTHER_MESSAGE = '{"execution":"swap","amount":"9000000","memo":"café"}';
const NEP413: Nep413Context = { recipient: "junction.example", nonce: new Uint8Array(32).fill(7) };
const N = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

const noNearKeys = async (): Promise<Uint8Array[]> => [];
const nearText = (bytes: Uint8Array) => `ed25519:${base58.encode(bytes)}`;

interface Ed25519Signer {
  secret: Uint8Array;
  key: Uint8Array;
}

function ed25519Signer(): Ed25519Signer {
  const secret = ed25519.utils.randomSecretKey();
  return { secret, key: ed25519.getPublicKey(secret) };
}

/** What a NEAR wallet returns for signMessage: ed25519 over the NEP-413 hash. */
function nearSign(signer: Ed25519Signer, message: string, context = NEP413): string {
  return nearText(ed25519.sign(nep413Hash({ message, ...context }), signer.secret));
}

/** What a Solana wallet returns for signMessage: ed25519 over the UTF-8 bytes. */
function solanaSign(signer: Ed25519Signer, message: string): string {
  return nearText(ed25519.sign(new TextEncoder().encode(message), signer.secret));
}

/** r‖s‖v with v the bare recovery id (0/1) instead of Ethereum's 27/28. */
function withRecoveryId(signature: Hex): Uint8Array {
  const bytes = hexToBytes(signature);
  bytes[64] = (bytes[64] ?? 0) - 27;
  return bytes;
}

/** The NEAR Intents wire form of an EVM signature. */
const nearIntentsSecp256k1 = (signature: Hex) => `secp256k1:${base58.encode(withRecoveryId(signature))}`;

async function verdict(
  input: Partial<WalletSignatureInput> & Pick<WalletSignatureInput, "wallet" | "signature">,
) {
  return verifyWalletSignature({ message: MESSAGE, nearKeysOf: noNearKeys, ...input });
}

describe("wire parsers", () => {
  const key = ed25519Signer().key;
  const signature = ed25519.sign(new Uint8Array(1), ed25519.utils.randomSecretKey());

  it("parses an ed25519 public key and signature", () => {
    expect(parseEd25519PublicKey(nearText(key))).toEqual(key);
    expect(parseEd25519Signature(nearText(signature))).toEqual(signature);
  });

  it.each([
    ["no prefix", base58.encode(key)],
    ["another curve's prefix", `secp256k1:${base58.encode(key)}`],
    ["not base58", "ed25519:0OIl"],
    ["31 bytes", nearText(key.subarray(1))],
    ["a signature's length", nearText(signature)],
  ])("rejects a public key with %s, naming publicKey", (_, wire) => {
    expect(() => parseEd25519PublicKey(wire)).toThrowError(
      expect.objectContaining({
        kind: "invalid_argument",
        message: expect.stringMatching(/^publicKey: .*32 bytes/),
      }),
    );
  });

  it.each([
    ["no prefix", base58.encode(signature)],
    ["not base58", "ed25519:0OIl"],
    ["a key's length", nearText(key)],
  ])("rejects an ed25519 signature with %s, naming signature", (_, wire) => {
    expect(() => parseEd25519Signature(wire)).toThrowError(/^signature: .*64 bytes/);
  });

  const r = "11".repeat(32);
  const s = "22".repeat(32);
  const rsBytes = hexToBytes(`0x${r}${s}`);
  const near = (v: number) => `secp256k1:${base58.encode(new Uint8Array([...rsBytes, v]))}`;

  it.each([
    ["0x with v 27", `0x${r}${s}1b`, `0x${r}${s}1b`],
    ["0x with v 28", `0x${r}${s}1c`, `0x${r}${s}1c`],
    ["0x with v 0", `0x${r}${s}00`, `0x${r}${s}1b`],
    ["0x with v 1", `0x${r}${s}01`, `0x${r}${s}1c`],
    ["uppercase hex", `0x${r}${s.toUpperCase()}1B`, `0x${r}${s}1b`],
    ["secp256k1: with v 0", near(0), `0x${r}${s}1b`],
    ["secp256k1: with v 1", near(1), `0x${r}${s}1c`],
  ])("parses a secp256k1 signature as %s", (_, wire, expected) => {
    expect(parseSecp256k1Signature(wire)).toBe(expected);
  });

  it.each([
    ["0x with v 2", `0x${r}${s}02`],
    ["0x with v 29", `0x${r}${s}1d`],
    ["0x one byte short", `0x${r}${s}`],
    ["0x one byte long", `0x${r}${s}1b00`],
    ["odd hex", `0x${r}${s}1`],
    ["no 0x", `${r}${s}1b`],
    ["secp256k1: with v 27", near(27)],
    ["secp256k1: not base58", "secp256k1:0OIl"],
    ["an ed25519 signature", nearText(signature)],
  ])("rejects a secp256k1 signature as %s, naming signature", (_, wire) => {
    expect(() => parseSecp256k1Signature(wire)).toThrowError(
      expect.objectContaining({ kind: "invalid_argument", message: expect.stringMatching(/^signature: /) }),
    );
  });
});

describe("verifyWalletSignature: erc191 (EVM)", () => {
  const account = privateKeyToAccount(generatePrivateKey());
  const wallet = parseWallet(account.address);

  it("accepts personal_sign in each wire form", async () => {
    const signature = await account.signMessage({ message: MESSAGE });
    for (const wire of [signature, bytesToHex(withRecoveryId(signature)), nearIntentsSecp256k1(signature)]) {
      expect(await verdict({ wallet, signature: wire })).toEqual({ ok: true });
    }
  });

  it("accepts the wallet however its address was cased", async () => {
    const signature = await account.signMessage({ message: MESSAGE });
    const lowercase = parseWallet(account.address.toLowerCase());
    expect(await verdict({ wallet: lowercase, signature })).toEqual({ ok: true });
  });

  // A signed intent published as a test case in defuse-protocol/sdk-monorepo
  // (packages/intents-sdk/src/intents/intent-hash.test.ts), signed by a real wallet.
  it("accepts a published NEAR Intents erc191 signature in the secp256k1: form", async () => {
    const published = {
      wallet: parseWallet("0x5a95b4a393f0a8def7ac46907e1fb0782cd3538a"),
      message:
        '{"signer_id":"0x5a95b4a393f0a8def7ac46907e1fb0782cd3538a","verifying_contract":"intents.near","deadline":"2025-07-30T12:57:16.264Z","nonce":"ZSqiEM8mCXluSxIrG03jw6th7vMfKNLRmYKaAkKb1xk=","intents":[]}',
      signature:
        "secp256k1:CvkU692XuyALYxSDvrpFviJozq5DPrwADzqqV6DA1DDAPy93PaBvWPEngZzREqJetbLpBEmYSV7Joo61yXKXAoJ3i",
    };
    expect(await verdict(published)).toEqual({ ok: true });
  });

  it("names the signer when another wallet signed", async () => {
    const other = privateKeyToAccount(generatePrivateKey());
    const signature = await other.signMessage({ message: MESSAGE });
    expect(await verdict({ wallet, signature })).toEqual({
      ok: false,
      reason: `signature: this payload was signed by ${other.address}, not by the wallet ${account.address}; sign exactly the payload you were given with that wallet`,
    });
  });

  it("refuses a signature of another message", async () => {
    const signature = await account.signMessage({ message: OTHER_MESSAGE });
    const result = await verdict({ wallet, signature });
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^signature: this payload was signed by 0x/),
    });
  });

  it.each([
    ["garbage", "not a signature"],
    ["an ed25519 signature", nearText(new Uint8Array(64))],
    ["r = 0", `0x${"00".repeat(64)}1b`],
    ["r and s = n", `0x${N}${N}1b`],
  ])("refuses %s, naming signature", async (_, signature) => {
    expect(await verdict({ wallet, signature })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^signature: /),
    });
  });
});

describe("verifyWalletSignature: nep413 (NEAR implicit account)", () => {
  const signer = ed25519Signer();
  const wallet = parseWallet(bytesToHex(signer.key).slice(2));

  it("accepts the account's own key, with or without publicKey", async () => {
    const signature = nearSign(signer, MESSAGE);
    expect(await verdict({ wallet, nep413: NEP413, signature })).toEqual({ ok: true });
    expect(await verdict({ wallet, nep413: NEP413, signature, publicKey: nearText(signer.key) })).toEqual({
      ok: true,
    });
  });

  // A signed intent published as a test case in defuse-protocol/sdk-monorepo
  // (packages/intents-sdk/src/intents/intent-hash.test.ts), signed by a real NEAR wallet.
  it("accepts a published NEAR Intents nep413 signature", async () => {
    const published = {
      wallet: parseWallet("d3b7f5e2041835a9329d9ab0fcf29685a63f40f43ae92b31808529b39da19743"),
      message:
        '{"deadline":"2025-07-30T13:01:54.991Z","intents":[],"signer_id":"d3b7f5e2041835a9329d9ab0fcf29685a63f40f43ae92b31808529b39da19743"}',
      nep413: {
        recipient: "intents.near",
        nonce: base64.decode("Bw6gXE7I/iTjzSRraN/TOZRPFr/8E4Y19NI7f4pj7Js="),
      },
      publicKey: "ed25519:FFTikSK68qzR3tbsWgvm4pZQExb1SmaLzf9Q8EGQ5X9C",
      signature:
        "ed25519:2NL2GDuo1YRBbknqZ8AP7dVHusZuNLn5pDk2ikDag9cnJgnqR2xk46inN3WwG5bn6ahm8rBevVqnxQc5waNS8DwK",
    };
    expect(await verdict(published)).toEqual({ ok: true });
    expect(
      await verdict({ ...published, nep413: { ...published.nep413, recipient: "junction.near" } }),
    ).toMatchObject({ ok: false });
  });

  it("refuses a publicKey that is not the account's", async () => {
    const other = ed25519Signer();
    const signature = nearSign(other, MESSAGE);
    expect(await verdict({ wallet, nep413: NEP413, signature, publicKey: nearText(other.key) })).toEqual({
      ok: false,
      reason: `publicKey: ${nearText(other.key)} is not the key of ${wallet.id}, which is ${nearText(signer.key)}; send that key or omit publicKey`,
    });
  });

  it("refuses another signer", async () => {
    const signature = nearSign(ed25519Signer(), MESSAGE);
    expect(await verdict({ wallet, nep413: NEP413, signature })).toEqual({
      ok: false,
      reason: `signature: not a signature of this payload by ${nearText(signer.key)} (wallet ${wallet.id}); sign exactly the payload you were given with that key`,
    });
  });

  it.each<[string, string, Nep413Context]>([
    ["another message", OTHER_MESSAGE, NEP413],
    ["another recipient", MESSAGE, { ...NEP413, recipient: "evil.example" }],
    ["another nonce", MESSAGE, { ...NEP413, nonce: new Uint8Array(32).fill(8) }],
  ])("refuses a signature over %s", async (_, message, context) => {
    const signature = nearSign(signer, message, context);
    expect(await verdict({ wallet, nep413: NEP413, signature })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^signature: not a signature of this payload/),
    });
  });

  it("refuses a raw ed25519 signature of the text: NEAR wallets sign the NEP-413 hash", async () => {
    const signature = solanaSign(signer, MESSAGE);
    expect(await verdict({ wallet, nep413: NEP413, signature })).toMatchObject({ ok: false });
  });

  it.each<[string, Partial<WalletSignatureInput>, RegExp]>([
    ["a malformed signature", { signature: "ed25519:abc" }, /^signature: /],
    ["a secp256k1 signature", { signature: `0x${"11".repeat(64)}1b` }, /^signature: /],
    ["a malformed publicKey", { publicKey: "ed25519:abc" }, /^publicKey: /],
    ["a short nonce", { nep413: { ...NEP413, nonce: new Uint8Array(31) } }, /^nonce: /],
    ["no recipient and nonce", { nep413: undefined }, /^nep413: /],
  ])("refuses %s, naming the field", async (_, change, reason) => {
    const input = { wallet, nep413: NEP413, signature: nearSign(signer, MESSAGE), ...change };
    expect(await verdict(input)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
  });
});

describe("verifyWalletSignature: nep413 (NEAR named account)", () => {
  const fullAccess = ed25519Signer();
  const secondKey = ed25519Signer();
  const wallet = parseWallet("alice.near");
  const registry: Record<string, Uint8Array[]> = { "alice.near": [secondKey.key, fullAccess.key] };
  const nearKeysOf = async (accountId: string) => registry[accountId] ?? [];

  it("accepts any of the account's keys", async () => {
    for (const signer of [fullAccess, secondKey]) {
      const input = { wallet, nep413: NEP413, nearKeysOf, publicKey: nearText(signer.key) };
      expect(await verdict({ ...input, signature: nearSign(signer, MESSAGE) })).toEqual({ ok: true });
    }
  });

  it("verifies delete_execution with the request's own recipient and nonce", async () => {
    const message = "delete_execution:0x1234";
    const context = { recipient: "junction.example", nonce: new Uint8Array(32).fill(9) };
    const input = { wallet, message, nep413: context, nearKeysOf, publicKey: nearText(fullAccess.key) };
    expect(await verdict({ ...input, signature: nearSign(fullAccess, message, context) })).toEqual({
      ok: true,
    });
    expect(await verdict({ ...input, signature: nearSign(fullAccess, message) })).toMatchObject({
      ok: false,
    });
  });

  it("requires publicKey", async () => {
    const signature = nearSign(fullAccess, MESSAGE);
    expect(await verdict({ wallet, nep413: NEP413, nearKeysOf, signature })).toEqual({
      ok: false,
      reason:
        "publicKey: required for the NEAR account alice.near; send the ed25519:<base58> key that signed",
    });
  });

  it("refuses a key that is not on the account, even with a valid signature", async () => {
    const stranger = ed25519Signer();
    const input = { wallet, nep413: NEP413, nearKeysOf, publicKey: nearText(stranger.key) };
    expect(await verdict({ ...input, signature: nearSign(stranger, MESSAGE) })).toEqual({
      ok: false,
      reason: `publicKey: ${nearText(stranger.key)} is not a full-access key of alice.near; sign with one of the account's full-access keys`,
    });
  });

  it("refuses a signature by another of the account's keys than publicKey names", async () => {
    const input = { wallet, nep413: NEP413, nearKeysOf, publicKey: nearText(fullAccess.key) };
    expect(await verdict({ ...input, signature: nearSign(secondKey, MESSAGE) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^signature: /),
    });
  });

  it("refuses an unknown account", async () => {
    const input = { wallet: parseWallet("nobody.near"), nep413: NEP413, nearKeysOf };
    const signature = nearSign(fullAccess, MESSAGE);
    expect(await verdict({ ...input, signature, publicKey: nearText(fullAccess.key) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^publicKey: .* is not a full-access key of nobody\.near/),
    });
  });

  it("lets a failing key lookup throw, and skips it for a malformed signature", async () => {
    const failing = vi.fn(async (): Promise<Uint8Array[]> => {
      throw new Error("NEAR RPC could not be reached");
    });
    const input = { wallet, nep413: NEP413, nearKeysOf: failing, publicKey: nearText(fullAccess.key) };
    await expect(verdict({ ...input, signature: nearSign(fullAccess, MESSAGE) })).rejects.toThrowError(
      "NEAR RPC could not be reached",
    );
    expect(await verdict({ ...input, signature: "ed25519:abc" })).toMatchObject({ ok: false });
    expect(failing).toHaveBeenCalledTimes(1);
  });
});

describe("verifyWalletSignature: raw_ed25519 (Solana)", () => {
  const signer = ed25519Signer();
  const wallet = parseWallet(base58.encode(signer.key));

  it("accepts the wallet's signature of the UTF-8 payload, with or without publicKey", async () => {
    const signature = solanaSign(signer, MESSAGE);
    expect(await verdict({ wallet, signature })).toEqual({ ok: true });
    expect(await verdict({ wallet, signature, publicKey: nearText(signer.key) })).toEqual({ ok: true });
  });

  it("refuses another signer", async () => {
    const signature = solanaSign(ed25519Signer(), MESSAGE);
    expect(await verdict({ wallet, signature })).toEqual({
      ok: false,
      reason: `signature: not a signature of this payload by ${nearText(signer.key)} (wallet ${wallet.id}); sign exactly the payload you were given with that key`,
    });
  });

  it("refuses a signature of another message", async () => {
    const signature = solanaSign(signer, OTHER_MESSAGE);
    expect(await verdict({ wallet, signature })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^signature: /),
    });
  });

  it("refuses a publicKey that is not the wallet's", async () => {
    const other = ed25519Signer();
    const signature = solanaSign(other, MESSAGE);
    expect(await verdict({ wallet, signature, publicKey: nearText(other.key) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^publicKey: .* is not the key of /),
    });
  });

  it.each([
    ["a malformed signature", { signature: "0xdeadbeef" }, /^signature: /],
    [
      "a malformed publicKey",
      { signature: solanaSign(signer, MESSAGE), publicKey: base58.encode(signer.key) },
      /^publicKey: /,
    ],
  ])("refuses %s, naming the field", async (_, change, reason) => {
    expect(await verdict({ wallet, ...change })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(reason),
    });
  });
});

describe("verifyWalletSignature: sep53 (Stellar)", () => {
  // SEP-53's own test vectors (stellar-protocol, ecosystem/sep-0053.md): the account of the seed
  // SAKICEVQLYWGSOJS4WW7HZJWAHZVEEBS527LHK5V4MLJALYKICQCJXMW and its signatures of two messages.
  const wallet = parseWallet("GBXFXNDLV4LSWA4VB7YIL5GBD7BVNR22SGBTDKMO2SBZZHDXSKZYCP7L");
  const key = "ed25519:8Rnx9t35CLs3zKcHdQyKJPTnnkXGz9RB5R83CiWGpoXN";
  const vectors = [
    [
      "Hello, World!",
      "fO5dbYhXUhBMhe6kId/cuVq/AfEnHRHEvsP8vXh03M1uLpi5e46yO2Q8rEBzu3feXQewcQE5GArp88u6ePK6BA==",
    ],
    [
      "こんにちは、世界！",
      "CDU265Xs8y3OWbB/56H9jPgUss5G9A0qFuTqH2zs2YDgTm+++dIfmAEceFqB7bhfN3am59lCtDXrCtwH2k1GBA==",
    ],
  ] as const;
  const wire = (b64: string) => nearText(base64.decode(b64));

  it.each(vectors)(
    "accepts the published signature of %j, with or without publicKey",
    async (message, b64) => {
      const signature = wire(b64);
      expect(await verdict({ wallet, message, signature })).toEqual({ ok: true });
      expect(await verdict({ wallet, message, signature, publicKey: key })).toEqual({ ok: true });
    },
  );

  it("refuses it for another message, or from another account", async () => {
    const [[, first], [second]] = vectors;
    expect(await verdict({ wallet, message: second, signature: wire(first) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^signature: not a signature of this payload/),
    });
    const other = ed25519Signer();
    expect(
      await verdict({
        wallet,
        message: "Hello, World!",
        signature: wire(first),
        publicKey: nearText(other.key),
      }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/^publicKey: .* is not the key of G/) });
  });

  it("is not a plain ed25519 signature of the message: the SEP-53 prefix and hash are required", async () => {
    const signer = ed25519Signer();
    const stellar = parseWallet(stellarAccountId(signer.key));
    const plain = nearText(ed25519.sign(new TextEncoder().encode(MESSAGE), signer.secret));
    expect((await verdict({ wallet: stellar, signature: plain })).ok).toBe(false);
  });
});
