import { getAddress, isAddress } from "viem";
import { z } from "zod";

/** Request field schemas shared by the Trails methods; messages say what a valid value looks like. */
export const chainIdField = z
  .number({ error: "expected a chain id (a positive integer)" })
  .int("expected a chain id (a positive integer)")
  .positive("expected a chain id (a positive integer)");

export const addressField = z
  .string({ error: "expected an 0x-prefixed 20-byte hex address" })
  .refine((s) => isAddress(s, { strict: false }), "expected an 0x-prefixed 20-byte hex address")
  .transform((s) => getAddress(s));
