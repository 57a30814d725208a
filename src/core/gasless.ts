import type { Address } from "viem";
import { JunctionError } from "./errors.ts";
import type { IntentPlan } from "./intent/plan.ts";
import { ceilDiv, convert, type PricedToken } from "./price.ts";
import type { GasCost } from "./quote.ts";

const BPS = 10_000n;
/** How long, at least, a gasless signature must stay valid after it is submitted. */
const RELAY_MARGIN_SECONDS = 60n;

/**
 * A way to pay the relayer for a gasless (ERC-2612 permit) deposit: `amount` of `token`, taken
 * with the deposit and sent to `feeCollector`. Fixed at quote time, locked in at commit.
 */
export interface GaslessFeeOption {
  token: Address;
  symbol: string;
  decimals: number;
  amount: bigint;
  feeCollector: Address;
  /** Whether the token takes ERC-2612 permits; without, the option cannot be used. */
  is2612: boolean;
  /** The permit deposit's gas and the origin gas price it was priced at. */
  gasLimit: bigint;
  gasPrice: bigint;
}

/**
 * What Junction charges, in `paidIn`, for gas one of its keys spends on a user's behalf (the
 * relayer's permit deposit, the executor's run of intermediary steps): the gas at the gas price in
 * the native coin, converted at the two prices and raised by `marginBps`, every step rounded up so
 * the key is never paid less than it spends.
 */
export function chargedGasFee(cost: GasCost, paidIn: PricedToken, marginBps: number): bigint {
  const base = convert(cost.gasLimit * cost.gasPrice, cost.native, paidIn, "up");
  return ceilDiv(base * (BPS + BigInt(marginBps)), BPS);
}

/** A gasless deposit as the client asks for it, from either request shape. */
export interface GaslessRequest {
  feeOption: { tokenAddress: string; amount: bigint; feeCollectorAddress?: string };
  /** The user's nonce on the entrypoint, as signed. */
  userNonce: bigint;
  /** Unix seconds: the intent signature's deadline. */
  deadline: bigint;
  permit: { amount?: bigint; deadline?: bigint } | null;
}

export interface GaslessChecked {
  option: GaslessFeeOption;
  /** The permit's value and deadline, as the user must have signed them; null: no permit. */
  permit: { value: bigint; deadline: bigint } | null;
}

const invalid = (message: string) => new JunctionError("invalid_argument", message);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Every check on a gasless deposit that needs no chain: the token takes permits, the fee option
 * is one that was offered for this intent, the intent's execution window is open, the deadlines
 * are in the future, the nonce is the entrypoint's next one, and the permit covers the
 * deposit and the fee. Throws `invalid_argument` naming the field.
 */
export function checkGaslessRequest(input: {
  plan: IntentPlan;
  req: GaslessRequest;
  /** The entrypoint's `nonces(owner)`, read now. */
  nonce: bigint;
  now: Date;
  /** Until when the committed intent may be executed. */
  executeBy: Date;
}): GaslessChecked {
  const { plan, req, nonce, now, executeBy } = input;
  if (plan.from.native) {
    throw invalid(
      `depositSignature: ${plan.from.symbol} is the chain's native coin, which has no ERC-2612 permit; transfer it to the deposit address and call ExecuteIntent with depositTransactionHash`,
    );
  }
  const option = (plan.feeOptions ?? []).find(
    (o) =>
      same(o.token, req.feeOption.tokenAddress) &&
      o.amount === req.feeOption.amount &&
      (req.feeOption.feeCollectorAddress === undefined ||
        same(o.feeCollector, req.feeOption.feeCollectorAddress)),
  );
  if (!option) {
    const offered = (plan.feeOptions ?? []).map((o) => `${o.amount} of ${o.token}`).join(", ") || "none";
    throw invalid(
      `selectedGasFeeOption: not a fee option QuoteIntent offered for this intent (offered: ${offered}); send one back unchanged`,
    );
  }
  if (!option.is2612) {
    throw invalid(
      `selectedGasFeeOption: ${option.symbol} (${option.token}) does not support ERC-2612 permits; transfer to the deposit address and call ExecuteIntent with depositTransactionHash`,
    );
  }
  if (now.getTime() >= executeBy.getTime()) {
    throw new JunctionError(
      "wrong_status",
      `the intent had to be executed by ${executeBy.toISOString()}; quote and commit a new one`,
    );
  }
  // A signature may outlive the intent (the Trails widget signs for an hour): Junction relays it
  // only now, inside the window; the deposit it makes is then followed like any other.
  const seconds = BigInt(Math.floor(now.getTime() / 1000));
  if (req.deadline <= seconds)
    throw invalid(`deadline: ${req.deadline} has passed; sign again with a later one`);
  // A deadline the relay cannot beat would have Junction's relayer pay for a certain revert.
  if (req.deadline < seconds + RELAY_MARGIN_SECONDS) {
    throw invalid(
      `deadline: ${req.deadline} leaves the relayer under ${RELAY_MARGIN_SECONDS} s to have the deposit mined; sign with a later one`,
    );
  }
  if (req.userNonce !== nonce) {
    throw invalid(`userNonce: ${req.userNonce} is not the owner's next nonce on the entrypoint (${nonce})`);
  }
  if (!req.permit) return { option, permit: null };
  const needed = plan.quote.fromAmount + option.amount;
  const value = req.permit.amount ?? needed;
  const permitDeadline = req.permit.deadline ?? req.deadline;
  if (value < needed) {
    throw invalid(
      `permitAmount: ${value} does not cover the deposit and the fee (${needed}); sign a permit for ${needed}`,
    );
  }
  if (permitDeadline <= seconds) throw invalid(`permitDeadline: ${permitDeadline} has passed; sign again`);
  return { option, permit: { value, deadline: permitDeadline } };
}
