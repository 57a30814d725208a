import { randomBytes } from "node:crypto";
import type { Transaction } from "kysely";
import {
  type Address,
  bytesToHex,
  encodeAbiParameters,
  getContractAddress,
  type Hex,
  keccak256,
  parseEventLogs,
  TransactionReceiptNotFoundError,
  zeroAddress,
} from "viem";
import { devTokenAbi } from "../chains/abi.gen.ts";
import type { ChainRegistry, Token } from "../chains/registry.ts";
import { placeholderOffset } from "../core/calldata.ts";
import { JunctionError } from "../core/errors.ts";
import { chargedGasFee, type GaslessFeeOption } from "../core/gasless.ts";
import type { IntentPlan, PlanToken } from "../core/plan.ts";
import { parsePrice } from "../core/price.ts";
import { priceQuote, type TradeType } from "../core/quote.ts";
import { depositsOf, type NewDeposit, recordDeposits } from "../store/deposits.ts";
import {
  findIntent,
  type IntentRow,
  insertQuotedIntent,
  lockIntent,
  lockInventory,
  patchIntent,
  reservedAmount,
  transitionIntent,
} from "../store/intents.ts";
import type { Schema } from "../store/schema.ts";
import type { EngineContext } from "./context.ts";
import { PERMIT_DEPOSIT_GAS_FALLBACK, SWEEP_GAS } from "./gas.ts";

export interface QuoteRequest {
  owner: Address;
  originChainId: number;
  originToken: Address;
  destinationChainId: number;
  destinationToken: Address;
  /** Who receives, or the contract called when `callData` is set; defaults to the owner. */
  recipient?: Address;
  callData?: Hex;
  tradeType: TradeType;
  amount: bigint;
  slippagePpm: bigint;
  /** The request as sent, kept for dialects that echo it. */
  raw: Record<string, unknown>;
  /** Until when the quote may be committed; default: the configured quote lifetime. */
  expiresAt?: Date;
  /** A deposit after the commit deadline revives the intent instead of being refunded (Intents Connect). */
  revivable?: boolean;
}

/** The configured chain, or `unsupported_network` naming `field` and the chains there are. */
export function requireChain(registry: ChainRegistry, chainId: number, field: string) {
  const chain = registry.chain(chainId);
  if (!chain) {
    const known = registry.chains.map((c) => c.chainId).join(", ");
    throw new JunctionError(
      "unsupported_network",
      `${field}: chain ${chainId} is not supported; supported chains: ${known}`,
    );
  }
  return chain;
}

/** The listed token, or `invalid_argument` naming `field` and the tokens listed on that chain. */
export function requireToken(
  registry: ChainRegistry,
  chainId: number,
  address: string,
  field: string,
): Token {
  const token = registry.token(chainId, address);
  if (!token) {
    const listed = registry.chain(chainId)?.tokens.map((t) => `${t.symbol} ${t.address}`) ?? [];
    throw new JunctionError(
      "invalid_argument",
      `${field}: ${address} is not a token Junction lists on chain ${chainId}; listed: ${listed.join(", ")}`,
    );
  }
  return token;
}

const planToken = (t: Token): PlanToken => ({
  chainId: t.chainId,
  address: t.address,
  symbol: t.symbol,
  decimals: t.decimals,
  native: t.native,
  priceUsd: Number(t.price.usd),
});

const priced = (t: Token) => ({ decimals: t.decimals, price: parsePrice(t.price.usd) });

export function nativeOf(e: EngineContext, chainId: number) {
  const chain = e.registry.chain(chainId);
  const native = chain?.tokens.find((t) => t.native);
  // A chain configured without its native coin prices gas at ETH's price on the first chain that lists it.
  return native ?? e.registry.allTokens().find((t) => t.native && t.symbol === chain?.native.symbol);
}

/** The CREATE2 deposit address the DepositFactory derives for (intentId, owner, token). */
export async function depositAddressFor(
  e: EngineContext,
  chainId: number,
  intentId: Hex,
  owner: Address,
  token: Address,
): Promise<{ address: Address; salt: Hex }> {
  const salt = keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "address" }, { type: "address" }],
      [intentId, owner, token],
    ),
  );
  const address = getContractAddress({
    opcode: "CREATE2",
    from: e.market.depositFactory(chainId),
    salt,
    bytecodeHash: await e.market.sweeperCodeHash(chainId),
  });
  return { address, salt };
}

/** Prices the request, checks the solver can deliver it, and records the QUOTED intent. */
export async function quoteIntent(e: EngineContext, req: QuoteRequest): Promise<IntentPlan> {
  const plan = await planIntent(e, req);
  await insertQuotedIntent(e.db, plan, new Date(plan.createdAt));
  return plan;
}

/** Prices the request and checks the solver can deliver it; records nothing (a dry run's quote). */
export async function planIntent(e: EngineContext, req: QuoteRequest): Promise<IntentPlan> {
  requireChain(e.registry, req.originChainId, "originChainId");
  const destinationChain = requireChain(e.registry, req.destinationChainId, "destinationChainId");
  const from = requireToken(e.registry, req.originChainId, req.originToken, "originTokenAddress");
  const to = requireToken(
    e.registry,
    req.destinationChainId,
    req.destinationToken,
    "destinationTokenAddress",
  );
  if (req.callData && !req.recipient) {
    throw new JunctionError(
      "invalid_argument",
      "destinationToAddress: required with destinationCallData (it is the contract called)",
    );
  }
  const originNative = nativeOf(e, req.originChainId);
  const destinationNative = nativeOf(e, req.destinationChainId);
  if (!originNative || !destinationNative) {
    throw new JunctionError("unsupported_network", "a chain's native coin has no configured price");
  }
  const call = req.callData
    ? { target: req.recipient as Address, data: req.callData, amountOffset: placeholderOffset(req.callData) }
    : null;
  const [originGasPrice, destinationGasPrice, fillGas] = await Promise.all([
    e.market.gasPrice(req.originChainId),
    e.market.gasPrice(req.destinationChainId),
    e.market.fillGas(req.destinationChainId, to.address, call),
  ]);
  const quote = priceQuote({
    tradeType: req.tradeType,
    amount: req.amount,
    from: priced(from),
    to: priced(to),
    originGas: {
      gasLimit: from.native ? SWEEP_GAS.native : SWEEP_GAS.erc20,
      gasPrice: originGasPrice,
      native: priced(originNative),
    },
    destinationGas: { gasLimit: fillGas, gasPrice: destinationGasPrice, native: priced(destinationNative) },
    protocolFeeBps: e.config.fees.protocolFeeBps,
    slippagePpm: req.slippagePpm,
  });
  const available = await availableInventory(e, req.destinationChainId, to.address, false);
  if (quote.toAmount > available) {
    throw new JunctionError(
      "insufficient_inventory",
      `the solver can deliver at most ${available} ${to.symbol} (base units) on chain ${destinationChain.chainId} right now; ask for less`,
    );
  }
  const feeOptions = from.native ? [] : [await gaslessFeeOption(e, from, originNative, originGasPrice)];
  const intentId = bytesToHex(randomBytes(32));
  const { address: depositAddress, salt } = await depositAddressFor(
    e,
    req.originChainId,
    intentId,
    req.owner,
    from.address,
  );
  const now = e.now();
  const plan: IntentPlan = {
    intentId,
    owner: req.owner,
    tradeType: req.tradeType,
    from: planToken(from),
    to: planToken(to),
    depositAddress,
    salt,
    recipient: req.recipient ?? req.owner,
    call,
    slippagePpm: req.slippagePpm,
    quote,
    feeOptions,
    originNativeUsd: Number(originNative.price.usd),
    destinationNativeUsd: Number(destinationNative.price.usd),
    request: req.raw,
    createdAt: now.toISOString(),
    expiresAt: (
      req.expiresAt ?? new Date(now.getTime() + e.config.quoteLifetimeSeconds * 1000)
    ).toISOString(),
    ...(req.revivable ? { revivable: true } : {}),
  };
  return plan;
}

/**
 * The fee for a gasless deposit of `token`, paid in `token` to the fee collector: the relayer's
 * gas for the permit deposit (a real estimate, cached per token) at the origin gas price.
 */
async function gaslessFeeOption(
  e: EngineContext,
  token: Token,
  native: Token,
  gasPrice: bigint,
): Promise<GaslessFeeOption> {
  const domain = await e.market.permitDomain(token.chainId, token.address);
  // A token without permits cannot be deposited gaslessly; its option says so and is priced at
  // the measured cost rather than probed.
  const gasLimit = domain
    ? await e.market.permitDepositGas(token.chainId, token.address)
    : PERMIT_DEPOSIT_GAS_FALLBACK;
  return {
    token: token.address,
    symbol: token.symbol,
    decimals: token.decimals,
    amount: chargedGasFee(
      { gasLimit, gasPrice, native: priced(native) },
      priced(token),
      e.config.fees.gaslessFeeMarginBps,
    ),
    feeCollector: e.config.fees.feeCollector,
    is2612: domain !== null,
    gasLimit,
    gasPrice,
  };
}

/** Settlement's balance less what committed, unfilled intents have reserved. */
export async function availableInventory(
  e: EngineContext,
  chainId: number,
  token: Address,
  fresh: boolean,
  db = e.db,
): Promise<bigint> {
  const [balance, reserved] = await Promise.all([
    e.market.settlementBalance(chainId, token, fresh),
    reservedAmount(db, chainId, token),
  ]);
  return balance - reserved;
}

export async function requireIntent(e: EngineContext, id: string): Promise<IntentRow> {
  const row = await findIntent(e.db, id);
  if (!row) throw new JunctionError("not_found", `intentId: no intent ${id}`);
  return row;
}

/**
 * QUOTED → COMMITTED: reserves the destination amount against the solver's inventory (read fresh,
 * under a lock that fills' releases also take) and starts the commit deadline. Committing again
 * is a no-op.
 */
export async function commitIntent(e: EngineContext, id: string): Promise<IntentRow> {
  const known = await requireIntent(e, id);
  if (known.status === "COMMITTED") return known;
  const row = await e.db.transaction().execute((trx) => commitIntentIn(e, trx, known, e.now()));
  e.changes.notify(id);
  return row;
}

/**
 * `commitIntent` within the caller's database transaction, with a deadline of the caller's
 * choosing (default: the configured commit lifetime). The caller notifies once it commits.
 */
export async function commitIntentIn(
  e: EngineContext,
  trx: Transaction<Schema>,
  known: IntentRow,
  now: Date,
  deadline = new Date(now.getTime() + e.config.commitLifetimeSeconds * 1000),
): Promise<IntentRow> {
  await lockInventory(trx, known.destination_chain_id, known.destination_token);
  const row = await lockIntent(trx, known.id);
  if (!row) throw new JunctionError("not_found", `intentId: no intent ${known.id}`);
  if (row.status === "QUOTED" && now >= row.quote_expires_at) {
    throw new JunctionError(
      "quote_expired",
      `the quote expired at ${row.quote_expires_at.toISOString()}; request a new one with QuoteIntent`,
    );
  }
  if (row.status === "COMMITTED") return row;
  const available = await availableInventory(
    e,
    row.destination_chain_id,
    row.destination_token as Address,
    true,
    trx,
  );
  if (BigInt(row.to_amount) > available) {
    throw new JunctionError(
      "insufficient_inventory",
      `the solver can no longer deliver ${row.to_amount} of ${row.destination_token} on chain ${row.destination_chain_id}; request a new quote`,
    );
  }
  return transitionIntent(
    trx,
    row,
    "commit",
    { stage: "await_deposit", reserved: true, commit_expires_at: deadline, next_action_at: deadline },
    { deadline: deadline.toISOString() },
    now,
  );
}

/** QUOTED/COMMITTED → ABORTED; the reservation is released and the deposit address keeps being watched. */
export async function abortIntent(e: EngineContext, id: string): Promise<IntentRow> {
  const known = await requireIntent(e, id);
  const row = await e.db.transaction().execute((trx) => abortIntentIn(trx, known, e.now()));
  e.changes.notify(id);
  e.work.wake();
  return row;
}

/** `abortIntent` within the caller's database transaction; the caller notifies once it commits. */
export async function abortIntentIn(
  trx: Transaction<Schema>,
  known: IntentRow,
  now: Date,
): Promise<IntentRow> {
  await lockInventory(trx, known.destination_chain_id, known.destination_token);
  const row = await lockIntent(trx, known.id);
  if (!row) throw new JunctionError("not_found", `intentId: no intent ${known.id}`);
  // Anything already sent to the deposit address is refunded by the worker.
  return transitionIntent(
    trx,
    row,
    "abort",
    { stage: "watch", reserved: false, next_action_at: now },
    {},
    now,
  );
}

/** Transfers into `depositAddress` that a mined transaction made, read from its receipt. */
async function depositsInReceipt(e: EngineContext, row: IntentRow, hash: Hex): Promise<NewDeposit[]> {
  const client = e.market.client(row.origin_chain_id);
  const receipt = await client.getTransactionReceipt({ hash }).catch((err: unknown) => {
    if (err instanceof TransactionReceiptNotFoundError) {
      throw new JunctionError(
        "invalid_argument",
        `depositTransactionHash: no mined transaction ${hash} on chain ${row.origin_chain_id}; call ExecuteIntent once it is mined`,
      );
    }
    throw err;
  });
  if (receipt.status !== "success") {
    throw new JunctionError("invalid_argument", `depositTransactionHash: transaction ${hash} reverted`);
  }
  const base = {
    intent_id: row.id,
    chain_id: row.origin_chain_id,
    block_number: receipt.blockNumber,
    block_hash: receipt.blockHash,
    tx_hash: hash,
    at: e.now(),
  };
  const to = row.deposit_address.toLowerCase();
  const tokens = new Set(e.registry.chain(row.origin_chain_id)?.tokens.map((t) => t.address.toLowerCase()));
  const logs = parseEventLogs({ abi: devTokenAbi, eventName: "Transfer", logs: receipt.logs }).filter(
    (log) => log.args.to.toLowerCase() === to && tokens.has(log.address.toLowerCase()),
  );
  const deposits: NewDeposit[] = logs.map((log) => ({
    ...base,
    log_index: log.logIndex,
    token: log.address,
    from_address: log.args.from,
    amount: log.args.value.toString(),
  }));
  const tx = await client.getTransaction({ hash });
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
 * ExecuteIntent with a deposit transaction: checks on chain that it transferred the intent's token
 * into the deposit address, records it, and moves COMMITTED → EXECUTING. The same hash again is
 * answered with the current state, as is the deposit the watcher already acted on (the engine may
 * start executing before the client calls); another hash once executing is refused.
 */
export async function announceDeposit(e: EngineContext, id: string, hash: Hex): Promise<IntentRow> {
  const known = await requireIntent(e, id);
  const same = (other: string | null) => other?.toLowerCase() === hash.toLowerCase();
  if (same(known.deposit_tx_hash)) return known;
  const alreadyActedOn =
    known.deposit_tx_hash === null &&
    (await depositsOf(e.db, id)).some(
      (d) => same(d.tx_hash) && d.token.toLowerCase() === known.origin_token.toLowerCase(),
    );
  if (known.status !== "COMMITTED" && !alreadyActedOn) {
    const detail = known.deposit_tx_hash ? ` with deposit ${known.deposit_tx_hash}` : "";
    throw new JunctionError(
      "wrong_status",
      `intent ${id} is ${known.status}${detail}; only a COMMITTED intent accepts a deposit transaction`,
    );
  }
  const deposits = await depositsInReceipt(e, known, hash);
  const right = deposits.filter((d) => d.token.toLowerCase() === known.origin_token.toLowerCase());
  await recordDeposits(e.db, deposits);
  if (right.length === 0) {
    const sent = deposits.length > 0 ? "transfers another token" : "transfers nothing";
    throw new JunctionError(
      "invalid_argument",
      `depositTransactionHash: ${hash} ${sent} to the deposit address ${known.deposit_address}; send ${known.origin_token}`,
    );
  }
  const now = e.now();
  const row = await e.db.transaction().execute(async (trx) => {
    const row = await lockIntent(trx, id);
    if (!row) throw new JunctionError("not_found", `intentId: no intent ${id}`);
    if (same(row.deposit_tx_hash)) return row;
    if (
      row.status !== "COMMITTED" &&
      row.deposit_tx_hash === null &&
      (alreadyActedOn || row.status === "EXECUTING")
    ) {
      // The worker executed on this deposit first: only the hash is news.
      return patchIntent(trx, id, { deposit_tx_hash: hash }, now);
    }
    return transitionIntent(
      trx,
      row,
      "execute",
      { deposit_tx_hash: hash, next_action_at: now },
      { depositTransactionHash: hash },
      now,
    );
  });
  e.changes.notify(id);
  e.work.wake();
  return row;
}
