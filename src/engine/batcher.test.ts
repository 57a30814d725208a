import { describe, expect, it } from "vitest";
import { Batcher, type ItemResult } from "./batcher.ts";

/** A batcher whose runs are recorded and end only when the test says so. */
function harness(maxWeight = 100) {
  const runs: number[][] = [];
  const finish: (() => void)[] = [];
  const batcher = new Batcher<number, string>(
    async (items) => {
      runs.push(items);
      await new Promise<void>((resolve) => finish.push(resolve));
      if (items.includes(-1)) throw new Error("the run failed");
      return items.map(
        (n): ItemResult<string> =>
          n === 13 ? { ok: false, error: new Error("13") } : { ok: true, value: `done ${n}` },
      );
    },
    (items) => items.reduce((sum, n) => sum + Math.abs(n), 0) <= maxWeight,
  );
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { batcher, runs, finish, tick };
}

describe("Batcher", () => {
  it("runs a lone item at once, alone", async () => {
    const { batcher, runs, finish, tick } = harness();
    const one = batcher.submit(1);
    await tick();
    expect(runs).toEqual([[1]]);
    finish.shift()?.();
    await expect(one).resolves.toBe("done 1");
  });

  it("runs what arrived during a run together, right after it", async () => {
    const { batcher, runs, finish, tick } = harness();
    const first = batcher.submit(1);
    const later = [batcher.submit(2), batcher.submit(3), batcher.submit(4)];
    await tick();
    expect(runs).toEqual([[1]]);
    finish.shift()?.();
    await first;
    await tick();
    expect(runs).toEqual([[1], [2, 3, 4]]);
    finish.shift()?.();
    await expect(Promise.all(later)).resolves.toEqual(["done 2", "done 3", "done 4"]);
  });

  it("keeps a run within the weight, but never holds back a heavy item", async () => {
    const { batcher, runs, finish, tick } = harness(10);
    const all = Promise.all([1, 4, 5, 3, 20, 2].map((n) => batcher.submit(n)));
    let settled = false;
    void all.then(() => {
      settled = true;
    });
    while (!settled) {
      await tick();
      finish.shift()?.();
    }
    expect(runs).toEqual([[1], [4, 5], [3], [20], [2]]);
  });

  it("fails only the item that failed, or the whole run when the run itself fails", async () => {
    const { batcher, finish, tick } = harness();
    const first = batcher.submit(1);
    const unlucky = batcher.submit(13);
    const fine = batcher.submit(2);
    await tick();
    finish.shift()?.();
    await first;
    await tick();
    finish.shift()?.();
    await expect(unlucky).rejects.toThrow("13");
    await expect(fine).resolves.toBe("done 2");
    const failing = [batcher.submit(-1)];
    await tick();
    finish.shift()?.();
    await expect(failing[0]).rejects.toThrow("the run failed");
    const after = batcher.submit(5);
    await tick();
    finish.shift()?.();
    await expect(after).resolves.toBe("done 5");
  });
});
