/** An item's result from a run: its value, or the error that item alone failed with. */
export type ItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs items as they are submitted: alone when no run is under way, and otherwise, as soon as the
 * run under way ends, everything submitted meanwhile in one run (up to `maxWeight` together). It
 * never waits for company, so a lone item goes at once; under load, items share runs.
 */
export class Batcher<T, R> {
  private running = false;
  private readonly waiting: Waiting<T, R>[] = [];

  constructor(
    private readonly run: (items: T[]) => Promise<ItemResult<R>[]>,
    private readonly weight: (item: T) => bigint,
    private readonly maxWeight: bigint,
  ) {}

  submit(item: T): Promise<R> {
    const result = new Promise<R>((resolve, reject) => this.waiting.push({ item, resolve, reject }));
    if (!this.running) void this.drain();
    return result;
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const batch = this.take();
      try {
        const results = await this.run(batch.map((w) => w.item));
        batch.forEach((w, i) => {
          const result = results[i];
          if (result?.ok) w.resolve(result.value);
          else w.reject(result ? result.error : new Error("the run gave no result for this item"));
        });
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
  }

  /** The oldest waiting items that fit `maxWeight` together; the first always goes, however heavy. */
  private take(): Waiting<T, R>[] {
    let total = 0n;
    let count = 0;
    for (const w of this.waiting) {
      total += this.weight(w.item);
      if (count > 0 && total > this.maxWeight) break;
      count++;
    }
    return this.waiting.splice(0, count);
  }
}
