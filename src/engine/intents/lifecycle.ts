import { type Address, type Hex, type TransactionReceipt, zeroAddress } from "viem";
import { transfersIn } from "../../chains/gateway.ts";
import { JunctionError } from "../../core/errors.ts";
import { abortMessage, quotedWith } from "../../core/intent/authority.ts";
import type { UnitOfWork } from "../../store/commit.ts";
import { depositsOf, type NewDeposit } from "../../store/deposits.ts";
import { findIntent, type IntentRow, isRetired } from "../../store/intents.ts";
import type { EngineDeps } from "../ports.ts";
import { followLater } from "./follow.ts";
import { availableInventory } from "./quote.ts";

/**
 * What clients do to an intent: commit, abort, announce a deposit. Each checks what it can
 * outside a transaction, then re-checks and changes the locked row through the commit point.
 */

/** The intent as clients may see it: a retired quote is not found (only the engine still steps it). */
async function findShown(deps: EngineDeps, id: string): Promise<IntentRow | undefined> {
  const row = await findIntent(deps.store.db, id);
  return row && !isRetired(row) ? row : undefined;
}

export async function requireIntent(deps: EngineDeps, id: string): Promise<IntentRow> {
  const row = await findShown(deps, id);
  if (!row) throw new JunctionError("not_found", `intentId: no intent ${id}`);
  return row;
}

async function lockedIntent(uow: UnitOfWork, id: string): Promise<IntentRow> {
  const row = await uow.lockIntent(id);
  if (!row) throw new JunctionError("not_found", `intentId: no intent ${id}`);
  return row;
}

/**
 * QUOTED → COMMITTED: reserves the destination amount against the solver's inventory (read fresh,
 * under a lock that fills' releases also take) and starts the commit deadline. Committing again
 * is a no-op.
 */
export async function commitIntent(deps: EngineDeps, id: string): Promise<IntentRow> {
  const known = await requireIntent(deps, id);
  if (known.status === "COMMITTED") return known;
  return deps.store.commit(deps.clock.now(), (uow) => commitIntentIn(deps, uow, known));
}

/**
 * `commitIntent` within the caller's unit of work, with a deadline of the caller's choosing
 * (default: the configured commit lifetime).
 */
export async function commitIntentIn(
  deps: EngineDeps,
  uow: UnitOfWork,
  known: IntentRow,
  deadline = new Date(uow.now.getTime() + deps.settings.commitLifetimeSeconds * 1000),
): Promise<IntentRow> {
  await uow.lockInventory(known.destination_chain_id, known.destination_token);
  const row = await lockedIntent(uow, known.id);
  if (row.status === "QUOTED" && uow.now >= row.quote_expires_at) {
    throw new JunctionError(
      "quote_expired",
      `the quote expired at ${row.quote_expires_at.toISOString()}; request a new quote`,
    );
  }
  if (row.status === "COMMITTED") return row;
  const available = await availableInventory(
    deps,
    row.destination_chain_id,
    row.destination_token as Address,
    true,
    () => uow.reservedAmount(row.destination_chain_id, row.destination_token),
  );
  if (BigInt(row.to_amount) > available) {
    throw new JunctionError(
      "insufficient_inventory",
      `the solver can no longer deliver ${row.to_amount} of ${row.destination_token} on chain ${row.destination_chain_id}; request a new quote`,
    );
  }
  return uow.changeIntent(row, {
    transition: "commit",
    patch: { stage: "await_deposit", reserved: true, commit_expires_at: deadline, next_action_at: deadline },
    data: { deadline: deadline.toISOString() },
  });
}

/** What a caller shows to change an intent: the access key it called with, the owner's signature. */
export interface Authority {
  accessKey: string | null;
  ownerSignature?: Hex;
}

/**
 * The intent, if `authority` may change it: the access key that quoted it, or the owner's EIP-191
 * signature of `message`. Refused alike whether the intent exists or not, so a refusal reveals
 * nothing about it.
 */
async function requireAuthority(
  deps: EngineDeps,
  id: string,
  authority: Authority,
  action: { name: string; message: string },
): Promise<IntentRow> {
  const row = await findShown(deps, id);
  const allowed =
    row !== undefined &&
    (quotedWith(row.quoted_by, authority.accessKey) ||
      (authority.ownerSignature !== undefined &&
        (await deps.chains.verifyMessage(row.origin_chain_id, {
          address: row.owner as Address,
          message: action.message,
          signature: authority.ownerSignature,
        }))));
  if (row && allowed) return row;
  throw new JunctionError(
    "unauthorized",
    `intentId: only the integrator that quoted intent ${id} (with its access key) or its owner may ${action.name} it; the owner signs (EIP-191) ${JSON.stringify(action.message)} and sends it as ownerSignature`,
  );
}

/**
 * QUOTED/COMMITTED → ABORTED, on the word of the intent's integrator or owner; the reservation is
 * released and the deposit address keeps being watched.
 */
export async function abortIntent(deps: EngineDeps, id: string, authority: Authority): Promise<IntentRow> {
  const known = await requireAuthority(deps, id, authority, { name: "abort", message: abortMessage(id) });
  return deps.store.commit(deps.clock.now(), (uow) => abortIntentIn(uow, known));
}

/** `abortIntent` within the caller's unit of work. */
export async function abortIntentIn(uow: UnitOfWork, known: IntentRow): Promise<IntentRow> {
  await uow.lockInventory(known.destination_chain_id, known.destination_token);
  const row = await lockedIntent(uow, known.id);
  // Anything already sent to the deposit address is refunded by the worker.
  return uow.changeIntent(row, {
    transition: "abort",
    patch: { stage: "watch", reserved: false, next_action_at: uow.now },
  });
}

/** Transfers into the intent's deposit address that a mined transaction made, read from its receipt. */
async function depositsInReceipt(
  deps: EngineDeps,
  row: IntentRow,
  hash: Address,
  receipt: TransactionReceipt,
  field: string,
): Promise<NewDeposit[]> {
  const chainId = row.origin_chain_id;
  if (receipt.status !== "success") {
    throw new JunctionError("invalid_argument", `${field}: transaction ${hash} reverted`);
  }
  const base = {
    intent_id: row.id,
    chain_id: chainId,
    block_number: receipt.blockNumber,
    block_hash: receipt.blockHash,
    tx_hash: hash,
    at: deps.clock.now(),
  };
  const to = row.deposit_address.toLowerCase();
  const tokens = new Set(deps.registry.chain(chainId)?.tokens.map((t) => t.address.toLowerCase()));
  const transfers = transfersIn(receipt.logs).filter(
    (log) => log.to.toLowerCase() === to && tokens.has(log.token.toLowerCase()),
  );
  const deposits: NewDeposit[] = transfers.map((log) => ({
    ...base,
    log_index: log.logIndex,
    token: log.token,
    from_address: log.from,
    amount: log.value.toString(),
  }));
  const tx = await deps.chains.transaction(chainId, hash);
  if (tx.to?.toLowerCase() === to && tx.value > 0n) {
    deposits.push({
      ...base,
      log_index: -1,
      token: zeroAddress,
      from_address: tx.from,
      amount: tx.value.toString(),
    });
  }
  return deposits;
}

/**
 * A deposit that does not meet the quote does not make the intent execute: it is returned to the
 * owner while the intent keeps waiting for its real deposit (so a stranger's dust announced with
 * ExecuteIntent cannot push someone's intent to a refund).
 */
async function requireEnough(deps: EngineDeps, row: IntentRow, field: string): Promise<void> {
  const held = await deps.chains.balanceOf(
    row.origin_chain_id,
    row.origin_token as Address,
    row.deposit_address as Address,
  );
  const min = BigInt(row.from_amount_min);
  if (held >= min) return;
  const by = row.commit_expires_at ? ` before ${row.commit_expires_at.toISOString()}` : "";
  throw new JunctionError(
    "invalid_argument",
    `${field}: the deposit address holds ${held} of the ${min} the quote needs; a deposit that falls short is returned to the owner, and the intent waits for one transfer of ${row.from_amount}${by}`,
  );
}

/**
 * A deposit transaction announced (Trails ExecuteIntent, Connect deposit/submit): checks on chain
 * that it transferred the intent's token into the deposit address, records it, and moves COMMITTED
 * → EXECUTING. One not mined yet (a wallet announces at broadcast) is followed and acted on once
 * mined (`followLater`), the intent answered as it is. The same hash again is answered with the
 * current state, as is the deposit the watcher already acted on (the engine may start executing
 * before the client calls); another hash once executing is refused.
 */
export async function announceDeposit(
  deps: EngineDeps,
  id: string,
  hash: Address,
  /** The request field that carries the hash, which errors name (each dialect has its own). */
  field = "depositTransactionHash",
): Promise<IntentRow> {
  const known = await requireIntent(deps, id);
  const same = (other: string | null) => other?.toLowerCase() === hash.toLowerCase();
  if (same(known.deposit_tx_hash)) return known;
  const alreadyActedOn =
    known.deposit_tx_hash === null &&
    (await depositsOf(deps.store.db, id)).some(
      (dep) => same(dep.tx_hash) && dep.token.toLowerCase() === known.origin_token.toLowerCase(),
    );
  if (known.status !== "COMMITTED" && !alreadyActedOn) {
    const detail = known.deposit_tx_hash ? ` with deposit ${known.deposit_tx_hash}` : "";
    throw new JunctionError(
      "wrong_status",
      `intent ${id} is ${known.status}${detail}; only a COMMITTED intent accepts a deposit transaction`,
    );
  }
  const receipt = await deps.chains.receipt(known.origin_chain_id, hash);
  if (!receipt) {
    // Announced at broadcast, as wallets do: acted on once mined.
    await followLater(deps, known, hash, field);
    return known;
  }
  const deposits = await depositsInReceipt(deps, known, hash, receipt, field);
  const right = deposits.filter((dep) => dep.token.toLowerCase() === known.origin_token.toLowerCase());
  // Recorded whatever they are: the engine returns what the intent cannot use.
  await deps.store.commit(deps.clock.now(), (uow) => uow.recordDeposits(deposits));
  if (right.length === 0) {
    const sent = deposits.length > 0 ? "transfers another token" : "transfers nothing";
    throw new JunctionError(
      "invalid_argument",
      `${field}: ${hash} ${sent} to the deposit address ${known.deposit_address}; send ${known.origin_token}`,
    );
  }
  if (known.status === "COMMITTED") await requireEnough(deps, known, field);
  return deps.store.commit(deps.clock.now(), async (uow) => {
    const row = await lockedIntent(uow, id);
    if (same(row.deposit_tx_hash)) return row;
    if (
      row.status !== "COMMITTED" &&
      row.deposit_tx_hash === null &&
      (alreadyActedOn || row.status === "EXECUTING")
    ) {
      // The worker executed on this deposit first: only the hash is news.
      return uow.changeIntent(row, { patch: { deposit_tx_hash: hash } });
    }
    return uow.changeIntent(row, {
      transition: "execute",
      patch: { deposit_tx_hash: hash, next_action_at: uow.now },
      data: { depositTransactionHash: hash },
    });
  });
}
