import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { JunctionError } from "../errors.ts";
import type { AssetToken } from "./assets.ts";
import {
  amountForSteps,
  checkDeadline,
  checkQuoteSteps,
  feeStep,
  MAX_DEADLINE_MS,
  outRecipient,
  requireErc20,
  requireEvm,
  withFeeStep,
} from "./create-rules.ts";
import type { Step } from "./steps.ts";

const USDC = "0x00000000000000000000000000000000000000A1" as Address;
const VAULT = "0x00000000000000000000000000000000000000B2" as Address;
const COLLECTOR = "0x00000000000000000000000000000000000000C3" as Address;
const asset = (overrides: Partial<AssetToken> = {}): AssetToken => ({
  chainId: 1,
  slug: "alpha",
  address: USDC,
  native: false,
  symbol: "USDC",
  decimals: 6,
  ...overrides,
});
const step = (overrides: Partial<Step> = {}): Step => ({
  to: USDC,
  functionSignature: "approve(address,uint256)",
  parameters: [VAULT, "{MIN_AMOUNT_OUT}"],
  value: 0n,
  ...overrides,
});
const deposit = step({
  functionSignature: "transfer(address,uint256)",
  parameters: ["{DEPOSIT_ADDRESS}", "{AMOUNT_IN}"],
});

/** The message of the `invalid_argument` refusal `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(JunctionError);
    expect((err as JunctionError).kind).toBe("invalid_argument");
    return (err as JunctionError).message;
  }
  throw new Error("expected a refusal");
}

describe("creation rules", () => {
  const now = new Date("2026-11-27T12:00:00Z");

  it("runs steps on EVM chains only", () => {
    expect(() => requireEvm("evm")).not.toThrow();
    expect(refusal(() => requireEvm("solana"))).toMatch(/^type: "solana" is not supported/);
  });

  it("takes a deadline in the future and at most 24 hours ahead", () => {
    expect(() => checkDeadline(new Date(now.getTime() + 1), now, "deadline")).not.toThrow();
    expect(() => checkDeadline(new Date(now.getTime() + MAX_DEADLINE_MS), now, "deadline")).not.toThrow();
    expect(refusal(() => checkDeadline(now, now, "quote.deadline"))).toMatch(
      /^quote\.deadline: .* has passed/,
    );
    expect(
      refusal(() => checkDeadline(new Date(now.getTime() + MAX_DEADLINE_MS + 1), now, "deadline")),
    ).toMatch(/at most 24 hours/);
  });

  it("spends ERC-20s only", () => {
    expect(
      refusal(() => requireErc20(asset({ native: true, symbol: "ETH" }), "quote.destinationAsset")),
    ).toMatch(/^quote\.destinationAsset: .*ETH is the chain's native coin/);
  });

  it("a bridge-in names no recipient and its steps use what is delivered", () => {
    const base = {
      direction: "in",
      dry: false,
      origin: asset(),
      destination: asset(),
      recipient: undefined,
    } as const;
    expect(() => checkQuoteSteps({ ...base, steps: [step()] })).not.toThrow();
    expect(refusal(() => checkQuoteSteps({ ...base, steps: [step()], recipient: VAULT }))).toMatch(
      /^quote\.recipient: not allowed for a bridge-in/,
    );
    expect(
      refusal(() => checkQuoteSteps({ ...base, steps: [step({ to: VAULT, parameters: [VAULT, "1"] })] })),
    ).toMatch(/^steps: no step uses the destination token/);
    expect(refusal(() => checkQuoteSteps({ ...base, steps: [] }))).toMatch(/^steps: at least one step/);
    expect(() => checkQuoteSteps({ ...base, dry: true, steps: [] })).not.toThrow();
  });

  it("an out-operation's last step deposits into the swap", () => {
    const base = {
      direction: "out",
      dry: false,
      origin: asset(),
      destination: asset(),
      recipient: undefined,
    } as const;
    expect(() => checkQuoteSteps({ ...base, steps: [step(), deposit] })).not.toThrow();
    expect(refusal(() => checkQuoteSteps({ ...base, steps: [deposit, step()] }))).toMatch(
      /^steps\[1\]: the last step of an out-operation must be transfer\(\{DEPOSIT_ADDRESS\}/,
    );
  });

  it("puts the fee step last, but before an out-operation's deposit", () => {
    const fee = feeStep(USDC, COLLECTOR, 7n);
    expect(fee).toMatchObject({
      to: USDC,
      parameters: [COLLECTOR, "7"],
      functionSignature: "transfer(address,uint256)",
    });
    expect(withFeeStep("in", [step()], fee)).toEqual([step(), fee]);
    expect(withFeeStep("steps", [step()], fee)).toEqual([step(), fee]);
    expect(withFeeStep("out", [step(), deposit], fee)).toEqual([step(), fee, deposit]);
  });

  it("a bridge-in's steps get the delivery less the fee, which must leave something", () => {
    expect(amountForSteps(100n, 30n, "USDC")).toBe(70n);
    expect(refusal(() => amountForSteps(100n, 100n, "USDC"))).toMatch(/^quote\.amount: too small/);
  });

  it("an out-operation delivers to the recipient, or to an EVM wallet itself", () => {
    expect(outRecipient({ type: "evm", kind: "evm", id: VAULT }, undefined)).toBe(VAULT);
    expect(outRecipient({ type: "near", kind: "near-named", id: "a.near" }, COLLECTOR)).toBe(COLLECTOR);
    expect(
      refusal(() => outRecipient({ type: "near", kind: "near-named", id: "a.near" }, undefined)),
    ).toMatch(/^quote\.recipient: required/);
  });
});
