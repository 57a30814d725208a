import { describe, expect, it } from "vitest";
import { LongPolls } from "./long-polls.ts";

describe("LongPolls", () => {
  it("grants a client `cap` slots, then says when the first ends; a release frees one", () => {
    let now = 1_000_000;
    const polls = new LongPolls(2, () => now);
    const first = polls.take("a", 30_000);
    now += 10_000;
    const second = polls.take("a", 30_000);
    expect("release" in first && "release" in second).toBe(true);
    // The first of the two answers at the latest 20 s from now.
    expect(polls.take("a", 30_000)).toEqual({ retryAfterSeconds: 20 });
    // Another client has slots of its own.
    expect("release" in polls.take("b", 30_000)).toBe(true);
    if ("release" in first) first.release();
    expect("release" in polls.take("a", 30_000)).toBe(true);
  });

  it("a release is counted once, and a client with nothing open is forgotten", () => {
    const polls = new LongPolls(1);
    const slot = polls.take("a", 30_000);
    if (!("release" in slot)) throw new Error("expected a slot");
    slot.release();
    const again = polls.take("a", 30_000);
    slot.release();
    // The stale release did not free the new slot.
    expect(polls.take("a", 30_000)).toHaveProperty("retryAfterSeconds");
    if ("release" in again) again.release();
    expect("release" in polls.take("a", 30_000)).toBe(true);
  });

  it("never asks to wait less than a second", () => {
    let now = 0;
    const polls = new LongPolls(1, () => now);
    polls.take("a", 30_000);
    now = 40_000;
    expect(polls.take("a", 30_000)).toEqual({ retryAfterSeconds: 1 });
  });
});
