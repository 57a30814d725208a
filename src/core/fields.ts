import { getAddress, isAddress } from "viem";
import { z } from "zod";

/**
 * The field rules every edge shares (both API dialects and the configuration): one schema per
 * kind of value, each message saying what a valid value looks like.
 */

const addressMessage = "expected an 0x-prefixed 20-byte hex address";

/** An EVM address in any case, read as its EIP-55 checksum form. */
export const addressField = z
  .string({ error: addressMessage })
  .refine((s) => isAddress(s, { strict: false }), addressMessage)
  .transform((s) => getAddress(s));

const chainIdMessage = "expected a chain id (a positive integer)";

export const chainIdField = z.number({ error: chainIdMessage }).int(chainIdMessage).positive(chainIdMessage);

const amountMessage = "expected a positive integer amount in base units, as a decimal string";

/**
 * A token amount in base units: a decimal string, and with `numbers` also a JSON number that is a
 * safe integer (webrpc's bigint form allows either). Zero, negative, fractional and non-numeric
 * values are refused naming the field. One transform rather than a check and a refinement: zod
 * runs refinements even after a failed check, and BigInt("1.5") would throw.
 */
export function baseUnitsField({ numbers }: { numbers: boolean }) {
  const input = numbers
    ? z.union([z.string(), z.number()], { error: amountMessage })
    : z.string({ error: amountMessage });
  return input.transform((v: string | number, ctx) => {
    const text = typeof v === "number" ? (Number.isSafeInteger(v) ? String(v) : "") : v.trim();
    if (!/^\d+$/.test(text) || BigInt(text) === 0n) {
      ctx.addIssue({ code: "custom", message: `${amountMessage}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return BigInt(text);
  });
}

/** A transaction hash, lowercased. */
export const txHashField = z
  .string({ error: "expected a 0x-prefixed 32-byte transaction hash" })
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte transaction hash")
  .transform((s) => s.toLowerCase() as `0x${string}`);

/**
 * The path of the first string in `value` (any JSON: keys included) that text storage cannot hold
 * (PostgreSQL refuses a NUL character, and an unpaired UTF-16 surrogate is not valid Unicode), or
 * null. Such input is refused at the edge, naming the field, instead of failing deep down. Walks
 * without recursion: a body may nest deeper than the call stack.
 */
export function unstorableTextAt(value: unknown, root = "(body)"): string | null {
  const pending: { value: unknown; path: string }[] = [{ value, path: root }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value === "string") {
      if (!storable(next.value)) return next.path;
      continue;
    }
    if (typeof next.value !== "object" || next.value === null) continue;
    for (const [key, item] of Object.entries(next.value)) {
      const path = next.path === "(body)" ? key : `${next.path}.${key}`;
      if (!storable(key)) return path;
      pending.push({ value: item, path });
    }
  }
  return null;
}

const storable = (text: string) => !text.includes("\u0000") && text.isWellFormed();

export const unstorableTextMessage = (path: string) =>
  `${path}: contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored; remove it`;
