import { describe, expect, it } from "vitest";
import {
  checkListingDeadline,
  executionListingMessage,
  intentListingMessage,
  isRestricted,
  LISTING_SIGNATURE_MAX_SECONDS,
  ownScope,
} from "./listing.ts";

const NOW = new Date("2026-11-27T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;

describe("who may list", () => {
  it("only a listing under the own mode is restricted; lookups never are", () => {
    expect(isRestricted("public", { lookup: false })).toBe(false);
    expect(isRestricted("own", { lookup: true })).toBe(false);
    expect(isRestricted("own", { lookup: false })).toBe(true);
  });

  it("a restricted listing shows the caller's key's rows and its signed owner's", () => {
    expect(ownScope({ keyFingerprint: "k", signedOwner: null }, "")).toEqual({ createdBy: "k", owner: null });
    expect(ownScope({ keyFingerprint: null, signedOwner: "0xO" }, "")).toEqual({
      createdBy: null,
      owner: "0xO",
    });
  });

  it("a caller with neither a key nor a signature is refused, told how to sign", () => {
    expect(() => ownScope({ keyFingerprint: null, signedOwner: null }, "sign THIS")).toThrow(
      expect.objectContaining({ kind: "unauthorized", message: expect.stringMatching(/or sign THIS$/) }),
    );
  });
});

describe("listing signatures", () => {
  it("name the owner (lowercase) or wallet and the deadline, so one authorises nothing else", () => {
    expect(intentListingMessage("0xAbC", 1_800_000_000)).toBe(
      "Junction: list intents of 0xabc until 1800000000",
    );
    expect(executionListingMessage("alice.near", 1_800_000_000)).toBe(
      "list_executions:alice.near:1800000000",
    );
  });

  it("are good until their deadline, at most a day ahead", () => {
    expect(() => checkListingDeadline(nowSeconds + 1, NOW, "d")).not.toThrow();
    expect(() => checkListingDeadline(nowSeconds + LISTING_SIGNATURE_MAX_SECONDS, NOW, "d")).not.toThrow();
    expect(() => checkListingDeadline(nowSeconds, NOW, "d")).toThrow(/^d: .* has passed/);
    expect(() => checkListingDeadline(nowSeconds + LISTING_SIGNATURE_MAX_SECONDS + 1, NOW, "d")).toThrow(
      /^d: .* more than 86400 s ahead/,
    );
  });
});
