import { type Address, isAddressEqual } from "viem";
import { JunctionError } from "../errors.ts";
import type { AssetToken } from "./assets.ts";
import type { Direction } from "./plan.ts";
import type { Placeholder, Step } from "./steps.ts";
import type { Wallet } from "./wallet.ts";

/** The rules a new execution must meet before anything is priced or stored. */

/** The longest an execution may wait for its signature and deposit. */
export const MAX_DEADLINE_MS = 24 * 60 * 60 * 1000;

/** The placeholders each kind of execution can fill when its steps run. */
export const PLACEHOLDERS: Record<Direction, ReadonlySet<Placeholder>> = {
  in: new Set(["{MIN_AMOUNT_OUT}", "{INTERMEDIARY}"]),
  out: new Set(["{DEPOSIT_ADDRESS}", "{AMOUNT_IN}", "{INTERMEDIARY}"]),
  steps: new Set(["{INTERMEDIARY}"]),
};

export const ESTIMATED_TIME: Record<Direction, string> = { in: "60s", out: "60s", steps: "15s" };

const invalid = (message: string) => new JunctionError("invalid_argument", message);

/** Steps run on EVM chains only: Junction has no Solana chain to run them on (yet). */
export function requireEvm(type: string): void {
  if (type !== "evm") {
    throw invalid(
      `type: ${JSON.stringify(type)} is not supported: Junction runs steps on EVM chains only; send "evm"`,
    );
  }
}

/** A deadline in the future, at most MAX_DEADLINE_MS ahead. */
export function checkDeadline(deadline: Date, now: Date, field: string): void {
  if (deadline <= now) throw invalid(`${field}: ${deadline.toISOString()} has passed; send a later one`);
  if (deadline.getTime() - now.getTime() > MAX_DEADLINE_MS) {
    throw invalid(
      `${field}: at most 24 hours ahead (${new Date(now.getTime() + MAX_DEADLINE_MS).toISOString()})`,
    );
  }
}

/** The steps spend an ERC-20: the fee step transfers it, and the steps must be able to. */
export function requireErc20(asset: AssetToken, field: string): void {
  if (asset.native) {
    throw invalid(
      `${field}: steps spend an ERC-20 here; ${asset.symbol} is the chain's native coin, which steps cannot spend yet`,
    );
  }
}

/**
 * The shape rules of a quote-backed execution's steps: a real (not dry) one has some; a bridge-in
 * names no recipient (its intermediary receives) and uses what is delivered; an out-operation's
 * last step is the deposit into the swap.
 */
export function checkQuoteSteps(p: {
  direction: Direction;
  dry: boolean;
  steps: readonly Step[];
  recipient: string | undefined;
  origin: AssetToken;
  destination: AssetToken;
}): void {
  if (!p.dry && p.steps.length === 0)
    throw invalid("steps: at least one step is required (dry runs may omit them)");
  if (p.direction === "in") {
    if (p.recipient !== undefined) {
      throw invalid(
        "quote.recipient: not allowed for a bridge-in: the intermediary account receives the swap; remove it",
      );
    }
    if (p.steps.length > 0) requireTouches(p.steps, p.destination.address);
  } else if (p.steps.length > 0 || !p.dry) {
    requireDepositLast(p.steps, p.origin.address);
  }
}

/** A bridge-in's steps must use what is delivered: some step calls the token or passes its address. */
function requireTouches(steps: readonly Step[], token: Address): void {
  const mentions = (p: unknown): boolean =>
    Array.isArray(p) ? p.some(mentions) : typeof p === "string" && p.toLowerCase() === token.toLowerCase();
  if (steps.some((s) => isAddressEqual(s.to, token) || s.parameters.some(mentions))) return;
  throw invalid(
    `steps: no step uses the destination token ${token}; add one that does (for example approve it to the contract you call)`,
  );
}

/** An out-operation's last step hands the tokens to the swap: transfer({DEPOSIT_ADDRESS}, amount) on the origin token. */
function requireDepositLast(steps: readonly Step[], token: Address): void {
  const last = steps.at(-1);
  const ok =
    last !== undefined &&
    isAddressEqual(last.to, token) &&
    last.functionSignature === "transfer(address,uint256)" &&
    last.parameters[0] === "{DEPOSIT_ADDRESS}";
  if (!ok) {
    throw invalid(
      `steps[${Math.max(steps.length - 1, 0)}]: the last step of an out-operation must be transfer({DEPOSIT_ADDRESS}, {AMOUNT_IN}) on the origin token ${token}`,
    );
  }
}

/** The step that pays the network fee to the collector, in the steps' token. */
export function feeStep(token: Address, collector: Address, fee: bigint): Step {
  return {
    to: token,
    functionSignature: "transfer(address,uint256)",
    parameters: [collector, fee.toString()],
    value: 0n,
    metadata: { name: "Fee Transfer", description: "the network fee for running these steps" },
  };
}

/** Where the fee step goes: last, except in an out-operation, whose last step must stay the deposit. */
export function withFeeStep(direction: Direction, steps: readonly Step[], fee: Step): Step[] {
  return direction === "out" ? [...steps.slice(0, -1), fee, ...steps.slice(-1)] : [...steps, fee];
}

/** What the steps get of a bridge-in's delivery once the network fee is paid; it must leave something. */
export function amountForSteps(delivered: bigint, networkFee: bigint, symbol: string): bigint {
  const left = delivered - networkFee;
  if (left <= 0n) {
    throw invalid(
      `quote.amount: too small: the network fee for the steps (${networkFee} ${symbol}) takes all of the ${delivered} delivered; send more`,
    );
  }
  return left;
}

/** An out-operation delivers to `quote.recipient`, or to the wallet itself when that is an EVM address. */
export function outRecipient(wallet: Wallet, recipient: string | undefined): Address {
  if (recipient !== undefined) return recipient as Address;
  if (wallet.type === "evm") return wallet.id as Address;
  throw invalid(
    `quote.recipient: required: the ${wallet.type} wallet ${wallet.id} cannot receive on an EVM chain; name an EVM address`,
  );
}
