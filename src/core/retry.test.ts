import { describe, expect, it } from "vitest";
import { retryAt } from "./retry.ts";

const policy = { retryBaseMs: 1_000, retryMaxMs: 60_000, maxAttempts: 5 };
const now = new Date("2026-01-01T00:00:00Z");
const delay = (at: Date | null) => (at ? at.getTime() - now.getTime() : null);

describe("retryAt", () => {
  it("doubles the delay with each failure in a row, up to the cap", () => {
    const wide = { ...policy, maxAttempts: 100 };
    // jitter just under 1: the whole delay.
    const delays = [1, 2, 3, 4, 7, 8, 20].map((n) => delay(retryAt(wide, n, "retriable", now, 0.999999)));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 60_000, 60_000, 60_000]);
  });

  it("spreads retries over the upper half of the delay", () => {
    expect(delay(retryAt(policy, 3, "retriable", now, 0))).toBe(2_000);
    expect(delay(retryAt(policy, 3, "retriable", now, 0.5))).toBe(3_000);
  });

  it("parks after the maximum of failures in a row", () => {
    expect(retryAt(policy, 4, "retriable", now, 0)).not.toBeNull();
    expect(retryAt(policy, 5, "retriable", now, 0)).toBeNull();
    expect(retryAt(policy, 6, "retriable", now, 0)).toBeNull();
  });

  it("parks a terminal failure at once", () => {
    expect(retryAt(policy, 1, "terminal", now, 0)).toBeNull();
  });
});
