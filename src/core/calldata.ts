import type { Hex } from "viem";

/** The 32-byte word a caller puts where the delivered amount belongs (the Executor's placeholder). */
export const AMOUNT_PLACEHOLDER = `0x${"deadbeef".repeat(8)}` as const;
/** The Executor's "no placeholder" offset: type(uint256).max. */
export const NO_OFFSET = 2n ** 256n - 1n;

/**
 * Byte offset of the first ABI argument word (after the 4-byte selector) that is the placeholder,
 * or NO_OFFSET. Only whole argument words count, so a placeholder-looking run inside other bytes
 * is never overwritten.
 */
export function placeholderOffset(data: Hex): bigint {
  const body = data.slice(2).toLowerCase();
  const word = AMOUNT_PLACEHOLDER.slice(2);
  for (let at = 8; at + 64 <= body.length; at += 64) {
    if (body.slice(at, at + 64) === word) return BigInt(at / 2);
  }
  return NO_OFFSET;
}
