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
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance", "Date"] }));
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

  it("wakes at each time asked for, a later one too once an earlier one has come", async () => {
    const signal = new WorkSignal();
    signal.wakeIn(2_000);
    signal.wakeIn(3_000);
    const first = signal.wait(60_000);
    await vi.advanceTimersByTimeAsync(2_010);
    expect(await settled(first)).toBe(true);
    const second = signal.wait(60_000);
    await vi.advanceTimersByTimeAsync(980);
    expect(await settled(second)).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(await settled(second)).toBe(true);
  });

  it("wakes just after the time asked for, never before it", async () => {
    const signal = new WorkSignal();
    signal.wakeIn(1_000);
    const waited = signal.wait(60_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await settled(waited)).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(await settled(waited)).toBe(true);
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
