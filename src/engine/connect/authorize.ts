import { base64 } from "@scure/base";
import type { Hex } from "viem";
import { checkDeletable, type ExecutionStatus } from "../../core/connect/execution-status.ts";
import type { ExecutionPlan } from "../../core/connect/plan.ts";
import { verifyWalletSignature } from "../../core/connect/verify.ts";
import { parseWallet, type Wallet } from "../../core/connect/wallet.ts";
import { JunctionError } from "../../core/errors.ts";
import { fromJson } from "../../core/json.ts";
import {
  type ExecutionRow,
  executionOfIntent,
  findExecution,
  lockExecution,
  patchExecution,
  transitionExecution,
} from "../../store/executions.ts";
import { findIntent, findIntentByDepositAddress } from "../../store/intents.ts";
import { wake } from "../../store/work-queue.ts";
import type { EngineContext } from "../context.ts";
import { abortIntentIn, announceDeposit, commitIntentIn } from "../intents.ts";

export const executionPlanOf = (row: ExecutionRow): ExecutionPlan => fromJson<ExecutionPlan>(row.plan);

/** The wallet's execution, or `not_found`. */
async function requireExecution(e: EngineContext, wallet: Wallet, id: string): Promise<ExecutionRow> {
  const row = await findExecution(e.db, wallet.id, id);
  if (!row) throw new JunctionError("not_found", `executionId: wallet ${wallet.id} has no execution ${id}`);
  return row;
}

/** Checks `signature` is the wallet's over `message`; a NEAR key lookup that fails is the upstream's fault. */
async function requireSigned(
  e: EngineContext,
  wallet: Wallet,
  input: {
    message: string;
    signature: string;
    publicKey?: string;
    nep413?: { recipient: string; nonce: Uint8Array };
  },
): Promise<void> {
  let verdict: Awaited<ReturnType<typeof verifyWalletSignature>>;
  try {
    verdict = await verifyWalletSignature({ wallet, ...input, nearKeysOf: (id) => e.nearKeys.keysOf(id) });
  } catch (err) {
    if (err instanceof JunctionError) throw err;
    throw new JunctionError(
      "upstream_unavailable",
      `the NEAR account's keys could not be looked up: ${(err as Error).message}`,
    );
  }
  if (!verdict.ok) throw new JunctionError("invalid_argument", verdict.reason);
}

export interface Signature {
  signature: string;
  publicKey?: string;
}

/**
 * POST /executions/{wallet}/submit: checks the wallet signed this execution's payload and stores
 * the signature. A quote-backed execution's intent is committed at the same moment, to the
 * execution's deadline: for a bridge-in the deposit address is usable from now on; an
 * out-operation's and a steps-only execution's steps are queued. Submitting the stored signature
 * again answers the current status.
 */
export async function submitSignature(
  e: EngineContext,
  rawWallet: string,
  executionId: string,
  sig: Signature,
): Promise<ExecutionRow> {
  const wallet = parseWallet(rawWallet);
  const known = await requireExecution(e, wallet, executionId);
  if (known.signature !== null) {
    if (known.signature === sig.signature) return known;
    throw new JunctionError("conflict", `execution ${executionId} is already signed; it is ${known.status}`);
  }
  const plan = executionPlanOf(known);
  const payload = plan.payload;
  if (!payload) throw new Error(`execution ${executionId} has no signing payload`);
  await requireSigned(e, wallet, {
    message: payload.messageToSign,
    signature: sig.signature,
    ...(sig.publicKey !== undefined ? { publicKey: sig.publicKey } : {}),
    ...(payload.nep413
      ? { nep413: { recipient: payload.nep413.recipient, nonce: base64.decode(payload.nep413.nonce) } }
      : {}),
  });
  const now = e.now();
  const row = await e.db.transaction().execute(async (trx) => {
    const locked = await lockExecution(trx, executionId);
    if (!locked || locked.deleted_at)
      throw new JunctionError("not_found", `executionId: no execution ${executionId}`);
    if (locked.signature !== null)
      throw new JunctionError("conflict", `execution ${executionId} is already signed`);
    if (now >= locked.deadline) {
      throw new JunctionError(
        "wrong_status",
        `execution ${executionId} passed its deadline ${locked.deadline.toISOString()}; create a new one`,
      );
    }
    if (locked.intent_id) {
      const intent = await findIntent(trx, locked.intent_id);
      if (intent) await commitIntentIn(e, trx, intent, now, locked.deadline);
    }
    return transitionExecution(
      trx,
      locked,
      plan.direction === "in" ? "signForDeposit" : "signForOperation",
      {
        signature: sig.signature,
        public_key: sig.publicKey ?? null,
        signed_at: now,
        // A bridge-in now waits for its deposit (its intent wakes it); the others run at once.
        next_action_at: plan.direction === "in" ? locked.deadline : now,
      },
      {},
      now,
    );
  });
  if (row.intent_id) e.changes.notify(row.intent_id);
  e.executionWork.wake();
  return row;
}

export interface DeleteAuthorization extends Signature {
  nep413?: { recipient: string; nonce: string };
}

/**
 * DELETE /executions/{wallet}/{id}: with the wallet's signature over `delete_execution:<id>`,
 * cancels an execution where nothing is in flight (core's rule); its intent, if still open, is
 * aborted, so a deposit made anyway is refunded.
 */
export async function deleteExecution(
  e: EngineContext,
  rawWallet: string,
  executionId: string,
  auth: DeleteAuthorization,
): Promise<void> {
  const wallet = parseWallet(rawWallet);
  await requireExecution(e, wallet, executionId);
  await requireSigned(e, wallet, {
    message: `delete_execution:${executionId}`,
    signature: auth.signature,
    ...(auth.publicKey !== undefined ? { publicKey: auth.publicKey } : {}),
    ...(auth.nep413
      ? { nep413: { recipient: auth.nep413.recipient, nonce: base64.decode(auth.nep413.nonce) } }
      : {}),
  });
  const now = e.now();
  const intentId = await e.db.transaction().execute(async (trx) => {
    const locked = await lockExecution(trx, executionId);
    if (!locked || locked.deleted_at)
      throw new JunctionError("not_found", `executionId: no execution ${executionId}`);
    checkDeletable(locked.status as ExecutionStatus);
    const intent = locked.intent_id ? await findIntent(trx, locked.intent_id) : undefined;
    if (intent && (intent.status === "QUOTED" || intent.status === "COMMITTED"))
      await abortIntentIn(trx, intent, now);
    await patchExecution(trx, executionId, { deleted_at: now, next_action_at: null }, now);
    return intent?.id;
  });
  if (intentId) {
    e.changes.notify(intentId);
    e.work.wake();
  }
}

/**
 * POST /executions/deposit/submit: the deposit transaction for an execution's deposit address,
 * checked and recorded at once rather than when the watcher gets to it. Only a signed execution's
 * address takes deposits.
 */
export async function announceExecutionDeposit(
  e: EngineContext,
  depositAddress: string,
  txHash: Hex,
): Promise<ExecutionRow> {
  const intent = await findIntentByDepositAddress(e.db, depositAddress);
  const execution = intent ? await executionOfIntent(e.db, intent.id) : undefined;
  if (!intent || !execution || execution.deleted_at) {
    throw new JunctionError(
      "not_found",
      `depositAddress: no execution has the deposit address ${depositAddress}`,
    );
  }
  if (execution.status === "CREATED") {
    throw new JunctionError(
      "conflict",
      `execution ${execution.id} is not signed yet: sign before depositing; the deposit address is only usable once the signature is stored`,
    );
  }
  if (intent.status === "COMMITTED" || (intent.status === "EXECUTING" && intent.deposit_tx_hash === null)) {
    await announceDeposit(e, intent.id, txHash);
  } else {
    // Past its deadline (a late deposit revives it) or already on its way: let the engine look now.
    await wake(e.db, "intents", [intent.id], e.now());
    e.work.wake();
  }
  return (await findExecution(e.db, execution.wallet, execution.id)) ?? execution;
}
