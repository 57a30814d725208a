import { z } from "zod";
import { addressField, baseUnitsField } from "../../core/fields.ts";

/** Trails request fields beyond the shared ones (core/fields.ts); messages say what a valid value looks like. */

/** webrpc's bigint: a decimal string, or a JSON number that is a safe integer. */
export const amountField = baseUnitsField({ numbers: true });

export const hexField = z
  .string({ error: "expected 0x-prefixed hex bytes" })
  .regex(/^0x([0-9a-fA-F]{2})*$/, "expected 0x-prefixed hex bytes (an even number of hex digits)")
  .transform((s) => s.toLowerCase() as `0x${string}`);

export const intentIdField = z
  .string({ error: "expected an intent id (0x-prefixed 32-byte hex)" })
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected an intent id (0x-prefixed 32-byte hex)")
  .transform((s) => s.toLowerCase());

export const signatureField = z
  .string({ error: "expected a 0x-prefixed hex signature" })
  .regex(/^0x([0-9a-fA-F]{2})+$/, "expected a 0x-prefixed hex signature")
  .transform((s) => s.toLowerCase() as `0x${string}`);

const uintMessage = "expected a non-negative integer (a JSON number or a decimal string)";

/** A nonce or a unix time in seconds: a safe-integer JSON number or a decimal string. */
export const uintField = z.union([z.number(), z.string()], { error: uintMessage }).transform((v, ctx) => {
  const text = typeof v === "number" ? (Number.isSafeInteger(v) && v >= 0 ? String(v) : "") : v.trim();
  if (!/^\d+$/.test(text)) {
    ctx.addIssue({ code: "custom", message: `${uintMessage}, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return BigInt(text);
});

/** A fee option from QuoteIntent's `gasFeeOptions.feeOptions`, sent back as it was offered. */
export const feeOptionField = z.looseObject(
  {
    tokenAddress: addressField,
    amount: amountField,
    feeCollectorAddress: addressField.optional(),
  },
  { error: "expected a fee option from QuoteIntent's gasFeeOptions.feeOptions" },
);
