import fc from "fast-check";
import { encodeFunctionData, type Hex, parseAbi } from "viem";
import { describe, expect, it } from "vitest";
import { AMOUNT_PLACEHOLDER, NO_OFFSET, placeholderOffset } from "./calldata.ts";

const abi = parseAbi([
  "function deposit(uint256 assets, address receiver)",
  "function send(address receiver, uint256 assets)",
  "function transfer(address to, uint256 value)",
]);
const RECEIVER = "0x1111111111111111111111111111111111111111";
const WORD = AMOUNT_PLACEHOLDER.slice(2);

describe("placeholderOffset", () => {
  it("finds the placeholder as the first argument", () => {
    const data = encodeFunctionData({
      abi,
      functionName: "deposit",
      args: [BigInt(AMOUNT_PLACEHOLDER), RECEIVER],
    });
    expect(placeholderOffset(data)).toBe(4n);
  });

  it("finds the placeholder as the second argument", () => {
    const data = encodeFunctionData({
      abi,
      functionName: "send",
      args: [RECEIVER, BigInt(AMOUNT_PLACEHOLDER)],
    });
    expect(placeholderOffset(data)).toBe(36n);
  });

  it("returns NO_OFFSET when the placeholder is absent", () => {
    const data = encodeFunctionData({ abi, functionName: "transfer", args: [RECEIVER, 1000n] });
    expect(placeholderOffset(data)).toBe(NO_OFFSET);
    expect(NO_OFFSET).toBe(2n ** 256n - 1n);
  });

  it("returns NO_OFFSET for data shorter than a selector and one word", () => {
    expect(placeholderOffset("0x")).toBe(NO_OFFSET);
    expect(placeholderOffset("0x12345678")).toBe(NO_OFFSET);
    expect(placeholderOffset(`0x12345678${WORD.slice(0, 62)}`)).toBe(NO_OFFSET);
    // The placeholder without a selector in front is not an argument word.
    expect(placeholderOffset(AMOUNT_PLACEHOLDER)).toBe(NO_OFFSET);
  });

  it("ignores the pattern when it is not word-aligned", () => {
    // Shifted by one byte: the bytes are all there, but no argument word equals the placeholder.
    const shifted: Hex = `0x12345678ab${WORD}${"00".repeat(31)}`;
    expect(shifted.length).toBe(2 + 8 + 128);
    expect(shifted).toContain(WORD);
    expect(placeholderOffset(shifted)).toBe(NO_OFFSET);
    // Shifted by a nibble.
    expect(placeholderOffset(`0x123456780${WORD}${"0".repeat(63)}`)).toBe(NO_OFFSET);
    // Straddling the selector: the first four bytes of data followed by the rest of the pattern.
    expect(placeholderOffset(`0x${WORD}${"00".repeat(28)}`)).toBe(NO_OFFSET);
  });

  it("matches hex case-insensitively", () => {
    expect(placeholderOffset(`0xABCDEF01${WORD.toUpperCase()}`)).toBe(4n);
    const data = encodeFunctionData({
      abi,
      functionName: "send",
      args: [RECEIVER, BigInt(AMOUNT_PLACEHOLDER)],
    });
    expect(placeholderOffset(data.toUpperCase().replace(/^0X/, "0x") as Hex)).toBe(36n);
  });

  it("returns the first placeholder word when there are several", () => {
    expect(placeholderOffset(`0x12345678${"00".repeat(32)}${WORD}${WORD}`)).toBe(36n);
  });

  it("finds the first aligned placeholder among random words", () => {
    const wordArb = fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((bytes) => Buffer.from(bytes).toString("hex"))
      .filter((w) => w !== WORD);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.array(wordArb, { minLength: 0, maxLength: 8 }),
        fc.option(fc.nat(8), { nil: undefined }),
        fc.uint8Array({ minLength: 0, maxLength: 31 }),
        (selector, words, at, tail) => {
          const args = [...words];
          if (at !== undefined) args.splice(Math.min(at, args.length), 0, WORD);
          const data: Hex = `0x${Buffer.from(selector).toString("hex")}${args.join("")}${Buffer.from(tail).toString("hex")}`;
          const expected = at === undefined ? NO_OFFSET : 4n + 32n * BigInt(Math.min(at, words.length));
          expect(placeholderOffset(data)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
