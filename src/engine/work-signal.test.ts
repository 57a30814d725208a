import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WorkSignal } from "./work-signal.ts";

/** Whether `p` has settled once pending microtasks have run (fake timers: no time passes). */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe("WorkSignal", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("ends a wait at once on a wake, and otherwise after its time", async () => {
    const signal = new WorkSignal();
    const woken = signal.wait(10_000);
    expect(await settled(woken)).toBe(false);
    signal.wake();
    expect(await settled(woken)).toBe(true);

    const timed = signal.wait(1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(timed)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(timed)).toBe(true);
  });

  it("keeps wakes that came while nobody waited for the next wait only", async () => {
    const signal = new WorkSignal();
    signal.wake();
    signal.wake();
    expect(await settled(signal.wait(10_000))).toBe(true);
    expect(await settled(signal.wait(10_000))).toBe(false);
  });

  it("ends a wait when its signal aborts", async () => {
    const signal = new WorkSignal();
    const stop = new AbortController();
    const waited = signal.wait(10_000, stop.signal);
    expect(await settled(waited)).toBe(false);
    stop.abort();
    expect(await settled(waited)).toBe(true);
  });
});
