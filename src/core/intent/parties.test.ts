import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { JunctionError } from "../errors.ts";
import { checkParties } from "./parties.ts";

const ZERO = "0x0000000000000000000000000000000000000000" as Address;
const SETTLEMENT = "0x10Aeafac83d48E2f9ac4bAAf94311c45fACe1404" as Address;
const USDC = "0x58c1c343c185Aa5CD3c2Cc1c2b7d7bD055F1bf98" as Address;
const ALICE = "0x00000000000000000000000000000000000000a1" as Address;
const sinks = { contracts: [SETTLEMENT], tokens: [USDC] };
const fields = { owner: "ownerAddress", recipient: "destinationToAddress" };

const refusal = (p: { owner: Address; recipient: Address; call: boolean }) => {
  try {
    checkParties(p, sinks, fields);
  } catch (err) {
    expect(err).toBeInstanceOf(JunctionError);
    return (err as JunctionError).message;
  }
  return null;
};

describe("checkParties: no money sent where no one can take it out", () => {
  it.each([
    ["the zero address", ZERO, /zero address.*burnt/],
    ["Junction's Settlement", SETTLEMENT, /Junction's own contracts/],
    ["a token contract (any case)", USDC.toLowerCase() as Address, /token contract.*locked/],
  ])("refuses a plain payment to %s", (_what, recipient, why) => {
    expect(refusal({ owner: ALICE, recipient, call: false })).toMatch(
      new RegExp(`^destinationToAddress: .*${why.source}`),
    );
  });

  it("refuses an owner refunds could not reach", () => {
    expect(refusal({ owner: ZERO, recipient: ALICE, call: false })).toMatch(/^ownerAddress: .*zero address/);
    expect(refusal({ owner: USDC, recipient: ALICE, call: false })).toMatch(
      /^ownerAddress: .*token contract/,
    );
  });

  it("lets a destination call use a token contract, but not Junction's contracts or nobody", () => {
    expect(refusal({ owner: ALICE, recipient: USDC, call: true })).toBeNull();
    expect(refusal({ owner: ALICE, recipient: SETTLEMENT, call: true })).toMatch(
      /contract called.*Junction's/,
    );
    expect(refusal({ owner: ALICE, recipient: ZERO, call: true })).toMatch(/zero address/);
  });

  it("accepts ordinary accounts", () => {
    expect(refusal({ owner: ALICE, recipient: ALICE, call: false })).toBeNull();
  });
});
