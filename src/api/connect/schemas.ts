import { base64 } from "@scure/base";
import { z } from "zod";
import { executionStatuses } from "../../core/connect/execution-status.ts";
import { STEP_LIMITS } from "../../core/connect/steps.ts";
import { addressField, baseUnitsField, txHashField } from "../../core/fields.ts";

/**
 * The Intents Connect request schemas: they check a request's shape (the rules that need the
 * chains and the engine, and the steps, are the engine's and core's, checked once there) and are
 * the source of the OpenAPI document.
 */

const amount = baseUnitsField({ numbers: false }).meta({
  description: "Base units of the asset, as a decimal string",
  example: "100000000",
});

const isoDate = z.iso
  .datetime({ offset: true, error: "expected an ISO 8601 date-time, e.g. 2026-11-23T12:00:00Z" })
  .transform((s) => new Date(s));

const metadata = z
  .record(z.string(), z.unknown())
  .default({})
  .meta({ description: "Kept as sent; yours to use" });

/**
 * One EVM step, for the documentation: requests and responses show this shape. A request's steps
 * are checked by core's `parseSteps` alone (exactly these keys, canonical signatures, ABI
 * encoding, placeholders, the limits), so each fault has one message.
 */
export const stepDoc = z
  .strictObject({
    to: z.string().meta({ description: "The contract the intermediary account calls", example: "0x…" }),
    functionSignature: z
      .string()
      .max(STEP_LIMITS.maxFunctionSignatureBytes)
      .meta({
        description: `Canonical Solidity signature, at most ${STEP_LIMITS.maxFunctionSignatureBytes} bytes and ${STEP_LIMITS.maxTypeNesting} levels of tuple and array nesting`,
        example: "deposit(uint256,address)",
      }),
    parameters: z.array(z.unknown()).meta({
      description: "Strings; tuples and arrays as nested arrays; placeholders allowed",
      example: ["{MIN_AMOUNT_OUT}", "0x…"],
    }),
    value: z.string().meta({ description: "Native value in wei, as a decimal string", example: "0" }),
    metadata: z
      .looseObject({ name: z.string().optional(), description: z.string().optional() })
      .optional()
      .meta({ description: "Shown to the user; not part of the call" }),
  })
  .meta({ id: "Step" });

/** Passed as sent to core's step rules; documented as the array of steps it must be. */
const steps = z.unknown().meta({
  type: "array",
  items: { $ref: "#/components/schemas/Step" },
  maxItems: STEP_LIMITS.maxSteps,
  description: `At most ${STEP_LIMITS.maxSteps} steps, run in order by the intermediary account`,
});

export const createExecutionRequest = z
  .strictObject({
    version: z.literal("1.0", { error: 'expected "1.0"' }),
    type: z.enum(["evm", "solana"], { error: 'expected "evm"' }),
    dry: z.boolean().default(false).meta({ description: "Price only: nothing is stored, nothing to sign" }),
    outOperation: z
      .boolean()
      .default(false)
      .meta({ description: "Steps first on the origin chain, then the swap" }),
    metadata,
    quote: z.strictObject({
      originAsset: z
        .string()
        .meta({ example: "nep141:alpha-0x58c1c343c185aa5cd3c2cc1c2b7d7bd055f1bf98.omft.near" }),
      destinationAsset: z.string(),
      amount,
      swapType: z.enum(["EXACT_INPUT", "EXACT_OUTPUT"], { error: "expected EXACT_INPUT or EXACT_OUTPUT" }),
      slippageTolerance: z
        .number({ error: "expected integer basis points, e.g. 50 for 0.5%" })
        .int("expected integer basis points, e.g. 50 for 0.5%")
        .min(0)
        .max(5_000)
        .meta({ description: "Integer basis points (50 = 0.5%)" }),
      deadline: isoDate.meta({ description: "Sign and deposit before this" }),
      recipient: addressField
        .optional()
        .meta({ description: "Out-operation only: who receives; default the wallet" }),
    }),
    steps: steps.default([]),
  })
  .meta({ id: "CreateExecutionRequest" });

export const createStepsRequest = z
  .strictObject({
    version: z.literal("1.0", { error: 'expected "1.0"' }),
    type: z.enum(["evm", "solana"], { error: 'expected "evm"' }),
    metadata,
    destinationAsset: z.string().meta({ description: "The asset the intermediary account holds and spends" }),
    deadline: isoDate.optional().meta({ description: "Sign before this; default 10 minutes" }),
    steps,
  })
  .meta({ id: "CreateStepsRequest" });

const signature = z
  .string({ error: "expected the wallet's signature" })
  .min(1, "expected the wallet's signature");
/** A NEP-413 nonce: 32 bytes in canonical base64 (the decoder that checks signatures refuses any other). */
const nep413Nonce = z.string().refine((text) => {
  try {
    return base64.decode(text).length === 32;
  } catch {
    return false;
  }
}, "expected 32 bytes in base64");
const publicKey = z.string().optional().meta({ description: "NEAR: ed25519:<base58>; optional otherwise" });

export const submitRequest = z
  .strictObject({ executionId: z.uuid({ error: "expected an execution id (a UUID)" }), signature, publicKey })
  .meta({ id: "SubmitSignatureRequest" });

export const deleteRequest = z
  .strictObject({
    signature,
    publicKey,
    nep413: z
      .strictObject({
        recipient: z.string().min(1),
        nonce: nep413Nonce,
      })
      .optional()
      .meta({ description: "NEAR wallets: the recipient and nonce they signed delete_execution:<id> with" }),
  })
  .meta({ id: "DeleteExecutionRequest" });

export const depositSubmitRequest = z
  .strictObject({
    txHash: txHashField,
    depositAddress: addressField,
    memo: z.string().optional(),
  })
  .meta({ id: "DepositSubmitRequest" });

export const listQuery = z.object({
  id: z.string().optional().meta({ description: "Comma-separated execution ids" }),
  status: z
    .string()
    .optional()
    .meta({ description: `Comma-separated statuses: ${executionStatuses.join(", ")}` }),
});

const unixSeconds = z
  .string()
  .regex(/^\d{1,12}$/, "expected a deadline in unix seconds")
  .transform(Number);

/**
 * The headers a restricted listing (`listings: own`) reads: the integrator's key, or the wallet's
 * signature of `list_executions:<wallet>:<deadline>`.
 */
export const listHeaders = z
  .object({
    "x-api-key": z
      .string()
      .min(1)
      .optional()
      .meta({ description: "listings: own: lists the executions created with this key" }),
    "x-signature": signature
      .optional()
      .meta({ description: "listings: own: the wallet's signature of list_executions:<wallet>:<deadline>" }),
    "x-signature-deadline": unixSeconds
      .optional()
      .meta({ description: "The deadline the wallet signed (unix seconds, at most a day ahead)" }),
    "x-public-key": z.string().min(1).optional().meta({ description: "NEAR: the key that signed" }),
    "x-nep413-recipient": z
      .string()
      .min(1)
      .optional()
      .meta({ description: "NEAR: the NEP-413 recipient signed with" }),
    "x-nep413-nonce": nep413Nonce
      .optional()
      .meta({ description: "NEAR: the NEP-413 nonce signed with (base64)" }),
  })
  .refine((h) => h["x-signature"] === undefined || h["x-signature-deadline"] !== undefined, {
    path: ["x-signature-deadline"],
    message: "required with x-signature: the deadline (unix seconds) the wallet signed",
  })
  .refine((h) => (h["x-nep413-recipient"] === undefined) === (h["x-nep413-nonce"] === undefined), {
    path: ["x-nep413-nonce"],
    message: "x-nep413-recipient and x-nep413-nonce go together",
  });

export const supportedTokensQuery = z.object({
  flow: z
    .enum(["inOperation", "outOperation"], { error: "expected inOperation or outOperation" })
    .default("inOperation"),
});

export const walletParam = z.object({
  wallet: z.string().meta({
    description:
      "EVM address, NEAR account, NEAR implicit account (64 hex), Solana public key (base58) or Stellar account (G…)",
  }),
});

/** What the responses look like, for the OpenAPI document. */
export const executionDoc = z
  .object({
    id: z.uuid(),
    status: z.enum(executionStatuses),
    statusReason: z.string().optional(),
    executionMode: z.enum(["quote_with_steps", "steps_only"]),
    type: z.literal("evm"),
    version: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    steps: z
      .array(stepDoc)
      .meta({ description: "As they will run: placeholders filled in, fee step included" }),
    createdAt: z.string(),
    quote: z
      .object({
        amount: z.string(),
        amountIn: z.string(),
        amountInUsd: z.string(),
        amountOut: z.string(),
        amountOutUsd: z.string(),
        minAmountIn: z.string(),
        minAmountOut: z.string(),
        deadline: z.string(),
        depositAddress: z.string().optional(),
        depositMemo: z
          .null()
          .meta({ description: "Always null: no configured chain needs a memo beside the deposit address" }),
        originAsset: z.string(),
        destinationAsset: z.string(),
        recipient: z.string(),
        swapType: z.enum(["EXACT_INPUT", "EXACT_OUTPUT"]),
      })
      .optional(),
    details: z.object({
      estimatedTime: z.string(),
      intermediaryAddress: z.string(),
      messageSigned: z.boolean(),
      messageToSign: z.string().optional(),
      networkFee: z.string(),
      signingStandard: z.enum(["erc191", "nep413", "raw_ed25519", "sep53"]),
      payload: z
        .object({ standard: z.string(), payload_json: z.string(), payload_bytes_base64: z.string() })
        .optional(),
    }),
  })
  .meta({ id: "Execution" });

export const tokenDoc = z
  .object({
    assetId: z.string(),
    blockchain: z.string(),
    contractAddress: z.string(),
    decimals: z.number(),
    price: z.number(),
    priceUpdatedAt: z.string(),
    symbol: z.string(),
  })
  .meta({ id: "Token" });

export const errorDoc = z.object({ error: z.string() }).meta({ id: "Error" });
