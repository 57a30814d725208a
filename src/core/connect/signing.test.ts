import { sha256 } from "@noble/hashes/sha2";
import { base58, base64 } from "@scure/base";
import { concatBytes, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import { nep413Hash, signingPayload } from "./signing.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const NONCE = Uint8Array.from({ length: 32 }, (_, i) => i);
const TEXT = '{"intent":"swap","memo":"café ☕"}';

/** A borsh string: u32 little-endian byte length, then the UTF-8 bytes. */
function borshString(text: string): Uint8Array {
  const bytes = utf8(text);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, bytes.length, true);
  return concatBytes([length, bytes]);
}

describe("nep413Hash", () => {
  // A signed intent published as a test case in defuse-protocol/sdk-monorepo
  // (packages/intents-sdk/src/intents/intent-hash.test.ts), whose hash is the NEP-413 hash.
  it("matches the hash of a published NEAR Intents NEP-413 payload", () => {
    const hash = nep413Hash({
      message:
        '{"deadline":"2025-07-30T13:01:54.991Z","intents":[],"signer_id":"d3b7f5e2041835a9329d9ab0fcf29685a63f40f43ae92b31808529b39da19743"}',
      recipient: "intents.near",
      nonce: base64.decode("Bw6gXE7I/iTjzSRraN/TOZRPFr/8E4Y19NI7f4pj7Js="),
    });
    expect(base58.encode(hash)).toBe("9gsq212UbkVifADMGC3Mdj7Gdhy7W7bw9ipnCqMtap5C");
  });

  // The example of the NEP itself (neps/nep-0413.md): tag 2^31 + 413 as a little-endian u32, then
  // Payload { message, nonce: [u8; 32], recipient, callbackUrl: Option<string> } in that order.
  it("hashes the tag and the payload fields in the NEP's layout", () => {
    const tag = Uint8Array.of(0x9d, 0x01, 0x00, 0x80);
    const fields = (callbackUrl: Uint8Array) =>
      concatBytes([tag, borshString("hi"), NONCE, borshString("myapp.com"), callbackUrl]);
    const none = Uint8Array.of(0);
    const some = concatBytes([Uint8Array.of(1), borshString("myapp.com/callback")]);

    expect(nep413Hash({ message: "hi", recipient: "myapp.com", nonce: NONCE })).toEqual(sha256(fields(none)));
    expect(
      nep413Hash({ message: "hi", recipient: "myapp.com", nonce: NONCE, callbackUrl: "myapp.com/callback" }),
    ).toEqual(sha256(fields(some)));
    expect(toBytes(2 ** 31 + 413).reverse()).toEqual(tag);
  });

  it.each([0, 31, 33])("rejects a nonce of %i bytes, naming the field", (length) => {
    expect(() =>
      nep413Hash({ message: "hi", recipient: "myapp.com", nonce: new Uint8Array(length) }),
    ).toThrowError(
      expect.objectContaining({
        kind: "invalid_argument",
        message: expect.stringMatching(/^nonce: .*32 bytes/),
      }),
    );
  });
});

describe("signingPayload", () => {
  const nep413 = { recipient: "junction.example", nonce: NONCE };

  it.each(["erc191", "raw_ed25519"] as const)("hands %s wallets the text itself", (standard) => {
    const payload = signingPayload(standard, TEXT, nep413);
    expect(payload).toEqual({
      standard,
      payload_json: TEXT,
      payload_bytes_base64: base64.encode(utf8(TEXT)),
      messageToSign: TEXT,
    });
  });

  it("hands nep413 wallets the NEP-413 request, the text as its message", () => {
    const payload = signingPayload("nep413", TEXT, nep413);
    const request = { message: TEXT, recipient: "junction.example", nonce: base64.encode(NONCE) };
    expect(payload).toEqual({
      standard: "nep413",
      payload_json: JSON.stringify(request),
      payload_bytes_base64: base64.encode(utf8(JSON.stringify(request))),
      messageToSign: TEXT,
      nep413: request,
    });
  });

  it("encodes payload_json as UTF-8, not Latin-1", () => {
    const payload = signingPayload("raw_ed25519", TEXT, nep413);
    expect(new TextDecoder().decode(base64.decode(payload.payload_bytes_base64))).toBe(TEXT);
  });

  it("rejects a nonce that is not 32 bytes for nep413 only", () => {
    const short = { recipient: "junction.example", nonce: new Uint8Array(16) };
    expect(() => signingPayload("nep413", TEXT, short)).toThrowError(/^nonce: /);
    expect(signingPayload("erc191", TEXT, short).messageToSign).toBe(TEXT);
  });
});
