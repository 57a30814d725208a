import { randomBytes } from "node:crypto";
import { type Address, bytesToHex, getContractAddress, type Hex } from "viem";
import { PERMIT_DEPOSIT_GAS_FALLBACK, SWEEP_GAS } from "../../chains/gas.ts";
import type { ChainRegistry, Token } from "../../chains/registry.ts";
import { TtlCache } from "../../chains/ttl-cache.ts";
import { keyFingerprint } from "../../core/access-key.ts";
import { placeholderOffset } from "../../core/calldata.ts";
import { JunctionError } from "../../core/errors.ts";
import { chargedGasFee, type GaslessFeeOption } from "../../core/gasless.ts";
import { checkParties, type PartyFields, type Sinks } from "../../core/intent/parties.ts";
import { depositSalt, type IntentPlan, type PlanToken } from "../../core/intent/plan.ts";
import { type PricedToken, pricedToken } from "../../core/price.ts";
import { checkBound, priceQuote, type QuoteBound, type TradeType } from "../../core/quote.ts";
import { reservedAmount } from "../../store/intents.ts";
import type { EngineDeps } from "../ports.ts";
import { requireFreshPrices } from "../prices.ts";
import { requireSignerGas } from "../signer-gas.ts";

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
  /** How the caller's dialect names the owner and the recipient, for messages. */
  fields?: PartyFields;
  /** The most the client will deposit (EXACT_OUTPUT) or the least it must receive (EXACT_INPUT). */
  bound?: QuoteBound;
}

const trailsFields: PartyFields = { owner: "ownerAddress", recipient: "destinationToAddress" };

/**
 * Where money would be lost: Junction's own contracts (the devnet's demo vault aside, a fine call
 * target) and the listed token contracts, on every chain.
 */
function sinksOf(registry: ChainRegistry): Sinks {
  return {
    contracts: registry.chains.flatMap((c) =>
      Object.entries(c.contracts).flatMap(([name, address]) =>
        name === "DemoVault" || !address ? [] : [address],
      ),
    ),
    tokens: registry
      .allTokens()
      .filter((t) => !t.native)
      .map((t) => t.address),
  };
}

const planToken = (t: Token): PlanToken => ({
  chainId: t.chainId,
  address: t.address,
  symbol: t.symbol,
  decimals: t.decimals,
  native: t.native,
  priceUsd: t.price.usd,
});

export const priced = (t: Token): PricedToken => pricedToken(t.decimals, t.price.usd);

/** The chain's native coin as a listed token, for pricing gas in it. */
export function nativeOf(registry: ChainRegistry, chainId: number): Token | undefined {
  const chain = registry.chain(chainId);
  const native = chain?.tokens.find((t) => t.native);
  // A chain configured without its native coin prices gas at ETH's price on the first chain that lists it.
  return native ?? registry.allTokens().find((t) => t.native && t.symbol === chain?.native.symbol);
}

/** The CREATE2 deposit address the DepositFactory derives for (intentId, owner, token). */
export async function depositAddressFor(
  deps: EngineDeps,
  chainId: number,
  intentId: Hex,
  owner: Address,
  token: Address,
): Promise<{ address: Address; salt: Hex }> {
  const salt = depositSalt(intentId, owner, token);
  const address = getContractAddress({
    opcode: "CREATE2",
    from: deps.registry.requireChain(chainId, "chainId").contracts.DepositFactory,
    salt,
    bytecodeHash: await deps.chains.sweeperCodeHash(chainId),
  });
  return { address, salt };
}

/**
 * Prices the request, checks the solver can deliver it, and records the QUOTED intent, with the
 * fingerprint of the access key it came with (that integrator may change it).
 */
export async function quoteIntent(
  deps: EngineDeps,
  req: QuoteRequest,
  accessKey: string | null,
): Promise<IntentPlan> {
  const plan = await planIntent(deps, req);
  await deps.store.insertIntent(plan, new Date(plan.createdAt), accessKey ? keyFingerprint(accessKey) : null);
  return plan;
}

/** Prices the request and checks the solver can deliver it; records nothing (a dry run's quote). */
export async function planIntent(deps: EngineDeps, req: QuoteRequest): Promise<IntentPlan> {
  const { registry, settings } = deps;
  registry.requireChain(req.originChainId, "originChainId");
  const destinationChain = registry.requireChain(req.destinationChainId, "destinationChainId");
  const from = registry.requireToken(req.originChainId, req.originToken, "originTokenAddress");
  const to = registry.requireToken(req.destinationChainId, req.destinationToken, "destinationTokenAddress");
  if (req.callData && !req.recipient) {
    throw new JunctionError(
      "invalid_argument",
      "destinationToAddress: required with destinationCallData (it is the contract called)",
    );
  }
  checkParties(
    { owner: req.owner, recipient: req.recipient ?? req.owner, call: req.callData !== undefined },
    sinksOf(registry),
    req.fields ?? trailsFields,
  );
  const originNative = nativeOf(registry, req.originChainId);
  const destinationNative = nativeOf(registry, req.destinationChainId);
  if (!originNative || !destinationNative) {
    throw new JunctionError("unsupported_network", "a chain's native coin has no configured price");
  }
  requireFreshPrices([from, to, originNative, destinationNative], deps.clock.now());
  const call = req.callData
    ? { target: req.recipient as Address, data: req.callData, amountOffset: placeholderOffset(req.callData) }
    : null;
  const [originGasPrice, destinationGasPrice, fillGas] = await Promise.all([
    deps.chains.gasPrice(req.originChainId),
    deps.chains.gasPrice(req.destinationChainId),
    deps.chains.fillGas(req.destinationChainId, to.address, call),
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
    protocolFeeBps: settings.fees.protocolFeeBps,
    slippagePpm: req.slippagePpm,
  });
  checkBound(quote, req.bound);
  const available = await availableInventory(deps, req.destinationChainId, to.address, false, () =>
    reservedForQuote(deps, req.destinationChainId, to.address),
  );
  if (quote.toAmount > available) {
    deps.log.warn(
      {
        alert: "inventory_short",
        chainId: destinationChain.chainId,
        token: to.symbol,
        available: String(available),
        asked: String(quote.toAmount),
      },
      "a quote was refused: the solver's inventory cannot cover it",
    );
    throw new JunctionError(
      "insufficient_inventory",
      `the solver can deliver at most ${available} ${to.symbol} (base units) on chain ${destinationChain.chainId} right now; ask for less`,
    );
  }
  // The solver sweeps (or refunds) on the origin chain and fills on the destination.
  await requireSignerGas(deps, [
    { role: "solver", chainId: req.originChainId },
    { role: "solver", chainId: req.destinationChainId },
  ]);
  const feeOptions = from.native ? [] : [await gaslessFeeOption(deps, from, originNative, originGasPrice)];
  const intentId = bytesToHex(randomBytes(32));
  const { address: depositAddress, salt } = await depositAddressFor(
    deps,
    req.originChainId,
    intentId,
    req.owner,
    from.address,
  );
  const now = deps.clock.now();
  return {
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
    originNativeUsd: originNative.price.usd,
    destinationNativeUsd: destinationNative.price.usd,
    request: req.raw,
    createdAt: now.toISOString(),
    expiresAt: (
      req.expiresAt ?? new Date(now.getTime() + settings.quoteLifetimeSeconds * 1000)
    ).toISOString(),
    ...(req.revivable ? { revivable: true } : {}),
  };
}

/**
 * The fee for a gasless deposit of `token`, paid in `token` to the fee collector: the relayer's
 * gas for the permit deposit (a real estimate, cached per token) at the origin gas price.
 */
async function gaslessFeeOption(
  deps: EngineDeps,
  token: Token,
  native: Token,
  gasPrice: bigint,
): Promise<GaslessFeeOption> {
  const domain = await deps.chains.permitDomain(token.chainId, token.address);
  // A token without permits cannot be deposited gaslessly; its option says so and is priced at
  // the measured cost rather than probed.
  const gasLimit = domain
    ? await deps.chains.permitDepositGas(token.chainId, token.address)
    : PERMIT_DEPOSIT_GAS_FALLBACK;
  return {
    token: token.address,
    symbol: token.symbol,
    decimals: token.decimals,
    amount: chargedGasFee(
      { gasLimit, gasPrice, native: priced(native) },
      priced(token),
      deps.settings.fees.gaslessFeeMarginBps,
    ),
    feeCollector: deps.settings.fees.feeCollector,
    is2612: domain !== null,
    gasLimit,
    gasPrice,
  };
}

/** Reservations as quotes see them, per engine (a test process may run several). */
const quoteReservations = new WeakMap<EngineDeps["store"], TtlCache<bigint>>();

/**
 * What committed, unfilled intents have reserved, as a quote sees it: up to a second old, like
 * the balance it is set against (a commit checks both afresh under the inventory lock). Under a
 * stream of quotes this spares a query each.
 */
function reservedForQuote(deps: EngineDeps, chainId: number, token: Address): Promise<bigint> {
  let cache = quoteReservations.get(deps.store);
  if (!cache) {
    cache = new TtlCache<bigint>(1_000);
    quoteReservations.set(deps.store, cache);
  }
  return cache.get(`${chainId}:${token}`, () => reservedAmount(deps.store.db, chainId, token));
}

/**
 * Settlement's balance less what committed, unfilled intents have reserved; `reserved` reads the
 * reservations (inside the caller's transaction when it holds the inventory lock).
 */
export async function availableInventory(
  deps: EngineDeps,
  chainId: number,
  token: Address,
  fresh: boolean,
  reserved: () => Promise<bigint> = () => reservedAmount(deps.store.db, chainId, token),
): Promise<bigint> {
  const [balance, taken] = await Promise.all([
    deps.chains.settlementBalance(chainId, token, fresh),
    reserved(),
  ]);
  return balance - taken;
}
