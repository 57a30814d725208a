import { bytesToHex, hexToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { stellarAccountId, stellarAccountKey } from "./stellar.ts";

// SEP-53's test account (stellar-protocol, ecosystem/sep-0053.md).
const ADDRESS = "GBXFXNDLV4LSWA4VB7YIL5GBD7BVNR22SGBTDKMO2SBZZHDXSKZYCP7L";
const KEY = "0x6e5bb46baf172b03950ff085f4c11fc356c75a918331a98ed4839c9c7792b381";

describe("Stellar account ids", () => {
  it("decode to the account's public key, and back", () => {
    expect(bytesToHex(stellarAccountKey(ADDRESS) as Uint8Array)).toBe(KEY);
    expect(stellarAccountId(hexToBytes(KEY))).toBe(ADDRESS);
  });

  it.each([
    ["a changed character (checksum)", `${ADDRESS.slice(0, 10)}A${ADDRESS.slice(11)}`],
    ["lowercase", ADDRESS.toLowerCase()],
    ["too short", ADDRESS.slice(0, 55)],
    ["a secret seed (S…)", "SAKICEVQLYWGSOJS4WW7HZJWAHZVEEBS527LHK5V4MLJALYKICQCJXMW"],
    ["a muxed account (M…)", `M${ADDRESS.slice(1)}`],
    ["empty", ""],
  ])("are refused when %s", (_, id) => {
    expect(stellarAccountKey(id)).toBeUndefined();
  });
});
