import { type Address, encodeAbiParameters, type Hex, keccak256 } from "viem";
import type { GaslessFeeOption } from "../gasless.ts";
import type { Quote, TradeType } from "../quote.ts";

/** A token as an intent refers to it. */
export interface PlanToken {
  chainId: number;
  address: Address;
  symbol: string;
  decimals: number;
  native: boolean;
  /** USD per whole token as a decimal string, exact (e.g. "3000.25"). */
  priceUsd: string;
}

/** A call the solver makes on the destination chain with the delivered tokens. */
export interface DestinationCall {
  target: Address;
  data: Hex;
  /** Byte offset where the delivered amount is injected, or the Executor's NO_OFFSET. */
  amountOffset: bigint;
}

/**
 * Everything Junction decided when it quoted an intent: what the user deposits where, what the
 * solver delivers to whom, and what it costs. Immutable once quoted; every API dialect renders
 * its own view of it.
 */
export interface IntentPlan {
  intentId: Hex;
  owner: Address;
  tradeType: TradeType;
  from: PlanToken;
  to: PlanToken;
  /** CREATE2 deposit address on the origin chain, and the salt it is derived with. */
  depositAddress: Address;
  salt: Hex;
  recipient: Address;
  call: DestinationCall | null;
  slippagePpm: bigint;
  quote: Quote;
  /** Ways to pay for a gasless (permit) deposit; none when the deposit is the native coin. */
  feeOptions: GaslessFeeOption[];
  /** Native-coin USD prices (decimal strings) the gas fees were priced at. */
  originNativeUsd: string;
  destinationNativeUsd: string;
  /** The request as the client sent it, echoed back by dialects that return it. */
  request: Record<string, unknown>;
  createdAt: string;
  expiresAt: string;
  /** A deposit after the commit deadline revives the intent instead of being refunded (Intents Connect). */
  revivable?: boolean;
}

/**
 * The CREATE2 salt of an intent's deposit address: `keccak256(abi.encode(intentId, owner, token))`,
 * as DepositFactory derives it. The address follows from it, the factory and the sweeper's code.
 */
export function depositSalt(intentId: Hex, owner: Address, token: Address): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "address" }, { type: "address" }],
      [intentId, owner, token],
    ),
  );
}

/**
 * Who Settlement's fill names: a plain payment's recipient; for a fill with a call, the owner, who
 * gets the tokens if the call reverts (the call's target is the quote's recipient).
 */
export const fillRecipient = (plan: IntentPlan): Address => (plan.call ? plan.owner : plan.recipient);
