import type { Hex } from "viem";
import { z } from "zod";
import { JunctionError } from "../../../core/errors.ts";
import { addressField, chainIdField, txHashField } from "../../../core/fields.ts";
import { DEFAULT_SLIPPAGE, type QuoteBound, slippageToPpm, type TradeType } from "../../../core/quote.ts";
import type { GaslessSubmission, IntentListingCaller, IntentSearch } from "../../../engine/engine.ts";
import type { AppContext } from "../../context.ts";
import { type Caller, method } from "../method.ts";
import {
  economicFields,
  firstDifference,
  renderGasFeeOptions,
  renderIntent,
  renderReceipt,
  renderSummary,
} from "../render.ts";
import {
  amountField,
  feeOptionField,
  hexField,
  intentIdField,
  signatureField,
  uintField,
} from "../schemas.ts";
import { tokenInfo } from "./catalog.ts";

/** WaitIntentReceipt answers within this long even if nothing changed. */
export const WAIT_LIMIT_MS = 30_000;

const tradeTypes = ["EXACT_INPUT", "EXACT_OUTPUT"] as const;

const quoteRequest = z.object({
  ownerAddress: addressField,
  originChainId: chainIdField,
  originTokenAddress: addressField,
  destinationChainId: chainIdField,
  destinationTokenAddress: addressField,
  destinationToAddress: addressField.optional(),
  destinationCallData: hexField.optional(),
  /** The spelling in Trails' API documentation. */
  destinationCalldata: hexField.optional(),
  destinationCallValue: z.union([z.string(), z.number()]).optional(),
  originTokenAmount: amountField.optional(),
  destinationTokenAmount: amountField.optional(),
  tradeType: z.enum(tradeTypes, { error: "expected EXACT_INPUT or EXACT_OUTPUT" }).optional(),
  onlyNativeGasFee: z.boolean().optional(),
  options: z
    .object({
      slippageTolerance: z.number({ error: "expected a decimal fraction, e.g. 0.005 for 0.5%" }).optional(),
      swapProvider: z.string().optional(),
      bridgeProvider: z.string().optional(),
      trailsAddressOverrides: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});

/**
 * Which side is fixed, by tradeType (or, without it, by the one amount given). The other amount,
 * when sent too (a wallet sends the payer's balance beside an EXACT_OUTPUT amount), bounds the
 * quote: the most to deposit, or the least to receive.
 */
function tradeOf(req: z.output<typeof quoteRequest>): {
  tradeType: TradeType;
  amount: bigint;
  bound?: QuoteBound;
} {
  const input = req.originTokenAmount;
  const output = req.destinationTokenAmount;
  if (input !== undefined && output !== undefined && req.tradeType === undefined) {
    throw new JunctionError(
      "invalid_argument",
      "tradeType: required when both originTokenAmount and destinationTokenAmount are given (EXACT_INPUT fixes the first, EXACT_OUTPUT the second)",
    );
  }
  const tradeType = req.tradeType ?? (output !== undefined ? "EXACT_OUTPUT" : "EXACT_INPUT");
  const [amount, other, otherField] =
    tradeType === "EXACT_INPUT"
      ? [input, output, "destinationTokenAmount"]
      : [output, input, "originTokenAmount"];
  if (amount === undefined) {
    const field = tradeType === "EXACT_INPUT" ? "originTokenAmount" : "destinationTokenAmount";
    throw new JunctionError("invalid_argument", `${field}: required for tradeType ${tradeType}`);
  }
  return {
    tradeType,
    amount,
    ...(other !== undefined ? { bound: { amount: other, field: otherField } } : {}),
  };
}

function callDataOf(req: z.output<typeof quoteRequest>) {
  const data = req.destinationCallData ?? req.destinationCalldata;
  if (data === undefined || data === "0x") return undefined;
  if (data.length < 10) {
    throw new JunctionError(
      "invalid_argument",
      "destinationCallData: expected a 4-byte selector and its arguments",
    );
  }
  return data;
}

/** Native value on the destination call is the delivered amount itself; any other value is refused. */
function checkCallValue(value: string | number | undefined): void {
  if (value === undefined || value === "0" || value === 0) return;
  throw new JunctionError(
    "invalid_argument",
    "destinationCallValue: not supported; to send native coin with the call, choose the native coin as the destination token and it is sent as the call's value",
  );
}

async function quote(req: z.output<typeof quoteRequest>, ctx: AppContext, caller: Caller) {
  const { tradeType, amount, bound } = tradeOf(req);
  checkCallValue(req.destinationCallValue);
  const slippage = req.options?.slippageTolerance ?? DEFAULT_SLIPPAGE;
  const callData = callDataOf(req);
  const plan = await ctx.engine.quote(
    {
      owner: req.ownerAddress,
      originChainId: req.originChainId,
      originToken: req.originTokenAddress,
      destinationChainId: req.destinationChainId,
      destinationToken: req.destinationTokenAddress,
      ...(req.destinationToAddress ? { recipient: req.destinationToAddress } : {}),
      ...(callData ? { callData } : {}),
      tradeType,
      amount,
      ...(bound ? { bound } : {}),
      slippagePpm: slippageToPpm(slippage),
      raw: {
        ownerAddress: req.ownerAddress,
        originChainId: req.originChainId,
        originTokenAddress: req.originTokenAddress,
        destinationChainId: req.destinationChainId,
        destinationTokenAddress: req.destinationTokenAddress,
        destinationToAddress: req.destinationToAddress ?? req.ownerAddress,
        ...(callData ? { destinationCallData: callData } : {}),
        tradeType,
        [tradeType === "EXACT_INPUT" ? "originTokenAmount" : "destinationTokenAmount"]: amount.toString(),
        options: { slippageTolerance: slippage },
      },
    },
    caller.accessKey,
  );
  const now = new Date(plan.createdAt);
  const intent = renderIntent(ctx, { plan, status: "QUOTED", createdAt: now, updatedAt: now });
  const gasFeeOptions = renderGasFeeOptions(ctx, plan);
  return { intent, gasFeeOptions, feeOptions: gasFeeOptions.feeOptions };
}

const intentRef = z.object({ intentId: intentIdField });

const commitRequest = z.object({
  intent: z.looseObject(
    { intentId: intentIdField },
    { error: "expected the intent object QuoteIntent returned" },
  ),
});

async function commit(req: z.output<typeof commitRequest>, ctx: AppContext) {
  const known = await ctx.engine.intent(req.intent.intentId);
  const quoted = renderIntent(ctx, known) as Record<string, unknown>;
  for (const field of economicFields) {
    const diff = firstDifference(quoted[field], req.intent[field], `intent.${field}`);
    if (diff) {
      throw new JunctionError(
        "invalid_argument",
        `${diff} differs from the quote; send the intent back exactly as QuoteIntent returned it`,
      );
    }
  }
  const committed = await ctx.engine.commit(known.id);
  return { intentId: committed.id };
}

/** Method B as the 0.9.4 client sends it: one `depositSignature` object. */
const clientDepositSignature = z.object({
  intentSignature: signatureField,
  permitSignature: signatureField.optional(),
  permitDeadline: uintField.optional(),
  permitAmount: amountField.optional(),
  selectedGasFeeOption: feeOptionField,
  userNonce: uintField,
  deadline: uintField,
});

const executeRequest = z.object({
  intentId: intentIdField,
  depositTransactionHash: txHashField.optional(),
  // Method B: the client's object, or in the flat shape of Trails' API documentation the signature authorising the deposit.
  depositSignature: z
    .union([clientDepositSignature, signatureField], {
      error:
        "expected the client's depositSignature object, or (the flat shape of Trails' API documentation) a signature",
    })
    .optional(),
  // The flat method-B fields of Trails' API documentation.
  feeOption: feeOptionField.optional(),
  intentSignature: signatureField.optional(),
  permitSignature: signatureField.optional(),
  nonce: uintField.optional(),
  deadline: uintField.optional(),
});
type ExecuteRequest = z.output<typeof executeRequest>;

const required = (field: string, why: string) =>
  new JunctionError("invalid_argument", `${field}: required ${why}`);

/**
 * The gasless deposit in either request shape, or null for method A. The flat shape of Trails' API documentation names
 * one `deadline` for the intent and the permit, and its `depositSignature` string is the intent
 * signature under another name (when both are sent they must agree).
 */
function gaslessOf(req: ExecuteRequest): GaslessSubmission | null {
  const d = req.depositSignature;
  if (d !== undefined && typeof d === "object") {
    return {
      feeOption: d.selectedGasFeeOption,
      userNonce: d.userNonce,
      deadline: d.deadline,
      intentSignature: d.intentSignature,
      permitSignature: d.permitSignature ?? null,
      permit: d.permitSignature
        ? {
            ...(d.permitAmount !== undefined ? { amount: d.permitAmount } : {}),
            ...(d.permitDeadline !== undefined ? { deadline: d.permitDeadline } : {}),
          }
        : null,
    };
  }
  const flat = [req.feeOption, req.intentSignature, req.permitSignature, req.nonce, req.deadline, d];
  if (flat.every((v) => v === undefined)) return null;
  const why = "for a gasless deposit (the flat shape of Trails' API documentation)";
  const intentSignature = req.intentSignature ?? d;
  if (req.intentSignature && d && req.intentSignature !== d) {
    throw new JunctionError(
      "invalid_argument",
      "depositSignature: differs from intentSignature; in the flat shape both are the TrailsIntent signature",
    );
  }
  if (!req.feeOption) throw required("feeOption", why);
  if (!intentSignature) throw required("intentSignature", why);
  if (req.nonce === undefined) throw required("nonce", why);
  if (req.deadline === undefined) throw required("deadline", why);
  return {
    feeOption: req.feeOption,
    userNonce: req.nonce,
    deadline: req.deadline,
    intentSignature,
    permitSignature: req.permitSignature ?? null,
    permit: req.permitSignature ? {} : null,
  };
}

async function execute(req: ExecuteRequest, ctx: AppContext) {
  const gasless = gaslessOf(req);
  if (gasless && req.depositTransactionHash) {
    throw new JunctionError(
      "invalid_argument",
      "depositTransactionHash: send either a deposit transaction (method A) or signatures (method B), not both",
    );
  }
  if (gasless) {
    const intent = await ctx.engine.relayGaslessDeposit(req.intentId, gasless);
    return { intentId: intent.id, intentStatus: intent.status };
  }
  if (!req.depositTransactionHash) {
    throw new JunctionError(
      "invalid_argument",
      "depositTransactionHash: required (the hash of your transfer to intent.depositTransaction.toAddress), or depositSignature for a gasless deposit",
    );
  }
  const intent = await ctx.engine.announceDeposit(req.intentId, req.depositTransactionHash);
  return { intentId: intent.id, intentStatus: intent.status };
}

const abortRequest = z.object({
  intentId: intentIdField,
  chainId: z.number().optional(),
  abortTransactionHash: z.string().optional(),
  /** The owner's EIP-191 signature of `Junction: abort intent <intentId>`, unless the caller's access key quoted it. */
  ownerSignature: signatureField.optional(),
});

const waitRequest = z.object({
  intentId: intentIdField,
  lastReceiptStates: z.array(z.string()).optional(),
});

async function waitReceipt(req: z.output<typeof waitRequest>, ctx: AppContext, { signal }: Caller) {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  const last = JSON.stringify(req.lastReceiptStates ?? []);
  for (;;) {
    const { receipt, states, done } = renderReceipt(ctx, await ctx.engine.intentView(req.intentId));
    const remaining = deadline - Date.now();
    if (done || JSON.stringify(states) !== last || remaining <= 0 || signal.aborted) {
      return { intentReceipt: receipt, receiptStates: states, done };
    }
    // Woken by the intent's next change, from any process (see IntentChanges): no re-reads meanwhile.
    await ctx.engine.waitForChange(req.intentId, remaining, signal);
  }
}

/**
 * Junction's extra fields on a listing, needed only where the operator restricts listings to the
 * caller's own (`listings: own`): the owner's EIP-191 signature of
 * `Junction: list intents of <byOwnerAddress, lowercase> until <ownerSignatureDeadline>`.
 */
const listingProof = {
  ownerSignature: signatureField.optional(),
  ownerSignatureDeadline: z.number().int().positive().optional(),
};
const signatureHasDeadline = (req: { ownerSignature?: unknown; ownerSignatureDeadline?: unknown }) =>
  req.ownerSignature === undefined || req.ownerSignatureDeadline !== undefined;
const deadlineMissing = {
  path: ["ownerSignatureDeadline"],
  message: "required with ownerSignature: the deadline (unix seconds) the owner signed",
};

function listingCaller(
  req: { ownerSignature?: Hex | undefined; ownerSignatureDeadline?: number | undefined },
  caller: Caller,
): IntentListingCaller {
  const { ownerSignature: signature, ownerSignatureDeadline: deadline } = req;
  return {
    accessKey: caller.accessKey,
    ...(signature && deadline ? { ownerSignature: { signature, deadline } } : {}),
  };
}

const searchRequest = z
  .object({
    byIntentId: intentIdField.optional(),
    byProjectId: z.number().optional(),
    byTransactionHash: txHashField.optional(),
    byOwnerAddress: addressField.optional(),
    byOriginIntentAddress: addressField.optional(),
    byDestinationIntentAddress: addressField.optional(),
    byQueryString: z.string().optional(),
    ...listingProof,
  })
  .refine(signatureHasDeadline, deadlineMissing);

const SEARCH_LIMIT = 100;

async function search(req: z.output<typeof searchRequest>, ctx: AppContext, caller: Caller) {
  const q = req.byQueryString?.trim().toLowerCase();
  const txHash = req.byTransactionHash ?? (q && /^0x[0-9a-f]{64}$/.test(q) ? q : undefined);
  const filter: IntentSearch = {
    ...(req.byIntentId ? { id: req.byIntentId } : {}),
    ...(req.byOwnerAddress ? { owner: req.byOwnerAddress } : {}),
    ...(req.byOriginIntentAddress ? { depositAddress: req.byOriginIntentAddress } : {}),
    // Junction's destination intent address is the destination chain's Settlement.
    ...(req.byDestinationIntentAddress
      ? {
          destinationChainIds: ctx.registry.chains
            .filter((c) => c.contracts.Settlement === req.byDestinationIntentAddress)
            .map((c) => c.chainId),
        }
      : {}),
    ...(txHash ? { txHash } : q ? { text: q } : {}),
  };
  const intents = await ctx.engine.searchIntents(filter, SEARCH_LIMIT, listingCaller(req, caller));
  return { intents: intents.map((intent) => renderIntent(ctx, intent)) };
}

const pageRequest = z
  .object({
    page: z
      .object({
        pageSize: z.number().int().min(1).max(100).optional(),
        before: z.number().int().positive().optional(),
        column: z.string().optional(),
        after: z.number().optional(),
        sort: z.array(z.unknown()).optional(),
        more: z.boolean().optional(),
      })
      .optional(),
    byProjectId: z.number().optional(),
    byOwnerAddress: addressField.optional(),
    ...listingProof,
  })
  .refine(signatureHasDeadline, deadlineMissing);

/** Newest first; `nextPage.before` continues after the last one returned. */
async function historyPage(req: z.output<typeof pageRequest>, ctx: AppContext, caller: Caller) {
  const size = req.page?.pageSize ?? 20;
  const { views, more } = await ctx.engine.intentHistory(
    {
      ...(req.byOwnerAddress ? { owner: req.byOwnerAddress } : {}),
      ...(req.page?.before ? { before: req.page.before } : {}),
    },
    size,
    listingCaller(req, caller),
  );
  const last = views.at(-1);
  return { views, nextPage: { pageSize: size, more, ...(more && last ? { before: last.seq } : {}) } };
}

const routesRequest = (fixed: "origin" | "destination") =>
  z.object({
    originChainId: fixed === "origin" ? chainIdField : chainIdField.optional(),
    originTokenAddress: fixed === "origin" ? addressField : addressField.optional(),
    destinationChainId: fixed === "destination" ? chainIdField : chainIdField.optional(),
    destinationTokenAddress: fixed === "destination" ? addressField : addressField.optional(),
    ownerAddress: addressField.optional(),
  });

/** Every listed token is reachable from every other: the solver holds inventory of each. */
function routes(
  ctx: AppContext,
  from: { chainId: number; token: string; side: "origin" | "destination" },
  other: { chainId?: number; token?: string },
) {
  ctx.registry.requireChain(from.chainId, `${from.side}ChainId`);
  ctx.registry.requireToken(from.chainId, from.token, `${from.side}TokenAddress`);
  const tokens = ctx.registry
    .allTokens()
    .filter((t) => other.chainId === undefined || t.chainId === other.chainId)
    .filter((t) => other.token === undefined || t.address === other.token)
    .filter((t) => !(t.chainId === from.chainId && t.address === from.token));
  return { tokens: tokens.map(tokenInfo) };
}

export const intentMethods = {
  QuoteIntent: method(quoteRequest, quote),
  CommitIntent: method(commitRequest, commit),
  ExecuteIntent: method(executeRequest, execute),
  AbortIntent: method(abortRequest, async (req, ctx, caller) => {
    const intent = await ctx.engine.abort(req.intentId, {
      accessKey: caller.accessKey,
      ...(req.ownerSignature ? { ownerSignature: req.ownerSignature } : {}),
    });
    return { intentId: intent.id, status: intent.status };
  }),
  GetIntent: method(intentRef, async (req, ctx) => ({
    intent: renderIntent(ctx, await ctx.engine.intent(req.intentId)),
  })),
  GetIntentReceipt: method(intentRef, async (req, ctx) => ({
    intentReceipt: renderReceipt(ctx, await ctx.engine.intentView(req.intentId)).receipt,
  })),
  WaitIntentReceipt: method(waitRequest, waitReceipt),
  SearchIntents: method(searchRequest, search),
  GetIntentHistory: method(pageRequest, async (req, ctx, caller) => {
    const { views, nextPage } = await historyPage(req, ctx, caller);
    return {
      intents: views.map((view) => ({
        intentId: view.id,
        status: view.status,
        expiresAt: view.plan.expiresAt,
        createdAt: view.createdAt.toISOString(),
        updatedAt: view.updatedAt.toISOString(),
        receipt: renderReceipt(ctx, view).receipt,
      })),
      nextPage,
    };
  }),
  /** Deprecated in Trails; kept for clients that still call it. */
  GetIntentTransactionHistory: method(pageRequest, async (req, ctx, caller) => {
    const { views, nextPage } = await historyPage(req, ctx, caller);
    return { intents: views.map((view) => renderSummary(ctx, view)), nextPage };
  }),
  GetExactInputRoutes: method(routesRequest("origin"), (req, ctx) =>
    routes(
      ctx,
      { chainId: req.originChainId as number, token: req.originTokenAddress as string, side: "origin" },
      { chainId: req.destinationChainId, token: req.destinationTokenAddress },
    ),
  ),
  GetExactOutputRoutes: method(routesRequest("destination"), (req, ctx) =>
    routes(
      ctx,
      {
        chainId: req.destinationChainId as number,
        token: req.destinationTokenAddress as string,
        side: "destination",
      },
      { chainId: req.originChainId, token: req.originTokenAddress },
    ),
  ),
};
