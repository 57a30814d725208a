import { base64 } from "@scure/base";
import { checkDeletable, type ExecutionStatus } from "../../core/connect/execution-status.ts";
import { verifyWalletSignature } from "../../core/connect/verify.ts";
import { parseWallet, type Wallet } from "../../core/connect/wallet.ts";
import { JunctionError } from "../../core/errors.ts";
import type { UnitOfWork } from "../../store/commit.ts";
import { type ExecutionRow, executionPlanOf, findExecution } from "../../store/executions.ts";
import { findIntent, type IntentRow } from "../../store/intents.ts";
import { abortIntentIn, commitIntentIn } from "../intents/lifecycle.ts";
import type { EngineDeps } from "../ports.ts";

/** The wallet's execution, or `not_found`. */
async function requireExecution(deps: EngineDeps, wallet: Wallet, id: string): Promise<ExecutionRow> {
  const row = await findExecution(deps.store.db, wallet.id, id);
  if (!row) throw new JunctionError("not_found", `executionId: wallet ${wallet.id} has no execution ${id}`);
  return row;
}

/** A wallet's signature as a client sends it: NEAR wallets add the NEP-413 recipient and nonce (base64). */
export interface WalletSignature extends Signature {
  nep413?: { recipient: string; nonce: string };
}

/** Checks `auth` is the wallet's signature of `message`; a NEAR key lookup that fails is the upstream's fault. */
export async function requireSigned(
  deps: EngineDeps,
  wallet: Wallet,
  message: string,
  auth: WalletSignature,
): Promise<void> {
  const nep413 = auth.nep413 && { recipient: auth.nep413.recipient, nonce: decodeNonce(auth.nep413.nonce) };
  let verdict: Awaited<ReturnType<typeof verifyWalletSignature>>;
  try {
    verdict = await verifyWalletSignature({
      wallet,
      message,
      signature: auth.signature,
      ...(auth.publicKey !== undefined ? { publicKey: auth.publicKey } : {}),
      ...(nep413 ? { nep413 } : {}),
      nearKeysOf: (id) => deps.nearKeys.keysOf(id),
    });
  } catch (err) {
    if (err instanceof JunctionError) throw err;
    throw new JunctionError(
      "upstream_unavailable",
      `the NEAR account's keys could not be looked up: ${(err as Error).message}`,
    );
  }
  if (!verdict.ok) throw new JunctionError("invalid_argument", verdict.reason);
}

function decodeNonce(text: string): Uint8Array {
  try {
    return base64.decode(text);
  } catch {
    throw new JunctionError("invalid_argument", "nep413.nonce: expected 32 bytes in base64");
  }
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
  deps: EngineDeps,
  rawWallet: string,
  executionId: string,
  sig: Signature,
): Promise<ExecutionRow> {
  const wallet = parseWallet(rawWallet);
  const known = await requireExecution(deps, wallet, executionId);
  if (known.signature !== null) {
    if (known.signature === sig.signature) return known;
    throw new JunctionError("conflict", `execution ${executionId} is already signed; it is ${known.status}`);
  }
  const plan = executionPlanOf(known);
  const payload = plan.payload;
  if (!payload) throw new Error(`execution ${executionId} has no signing payload`);
  await requireSigned(deps, wallet, payload.messageToSign, {
    ...sig,
    ...(payload.nep413 ? { nep413: payload.nep413 } : {}),
  });
  return deps.store.commit(deps.clock.now(), async (uow) => {
    const { execution: locked, intent } = await lockForChange(uow, known);
    if (locked.signature !== null)
      throw new JunctionError("conflict", `execution ${executionId} is already signed`);
    if (uow.now >= locked.deadline) {
      throw new JunctionError(
        "wrong_status",
        `execution ${executionId} passed its deadline ${locked.deadline.toISOString()}; create a new one`,
      );
    }
    if (intent) await commitIntentIn(deps, uow, intent, locked.deadline);
    return uow.changeExecution(locked, {
      transitions: [plan.direction === "in" ? "signForDeposit" : "signForOperation"],
      patch: {
        signature: sig.signature,
        public_key: sig.publicKey ?? null,
        signed_at: uow.now,
        // A bridge-in now waits for its deposit (its intent wakes it); the others run at once.
        next_action_at: plan.direction === "in" ? locked.deadline : uow.now,
      },
    });
  });
}

/**
 * Locks an execution for a client's change, with its intent (and that intent's inventory) first:
 * every transaction takes its locks in the order inventory, intent, execution, so none waits on
 * another in a circle. `not_found` once the execution is deleted.
 */
async function lockForChange(
  uow: UnitOfWork,
  known: ExecutionRow,
): Promise<{ execution: ExecutionRow; intent: IntentRow | undefined }> {
  // An intent's destination chain and token never change: read unlocked, they name its inventory lock.
  const seen = known.intent_id ? await findIntent(uow.trx, known.intent_id) : undefined;
  if (seen) await uow.lockInventory(seen.destination_chain_id, seen.destination_token);
  const intent = seen ? await uow.lockIntent(seen.id) : undefined;
  const execution = await uow.lockExecution(known.id);
  if (!execution || execution.deleted_at)
    throw new JunctionError("not_found", `executionId: no execution ${known.id}`);
  return { execution, intent };
}

/**
 * DELETE /executions/{wallet}/{id}: with the wallet's signature over `delete_execution:<id>`,
 * cancels an execution where nothing is in flight (core's rule); its intent, if still open, is
 * aborted, so a deposit made anyway is refunded.
 */
export async function deleteExecution(
  deps: EngineDeps,
  rawWallet: string,
  executionId: string,
  auth: WalletSignature,
): Promise<void> {
  const wallet = parseWallet(rawWallet);
  const known = await requireExecution(deps, wallet, executionId);
  await requireSigned(deps, wallet, `delete_execution:${executionId}`, auth);
  await deps.store.commit(deps.clock.now(), async (uow) => {
    const { execution: locked, intent } = await lockForChange(uow, known);
    checkDeletable(locked.status as ExecutionStatus);
    if (intent && (intent.status === "QUOTED" || intent.status === "COMMITTED"))
      await abortIntentIn(uow, intent);
    await uow.changeExecution(locked, {
      transitions: [],
      event: "execution.deleted",
      patch: { deleted_at: uow.now, next_action_at: null },
    });
  });
}
