/** An item's result from a run: its value, or the error that item alone failed with. */
export type ItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs items as they are submitted: alone when no run is under way, and otherwise, as soon as the
 * run under way ends, everything submitted meanwhile in one run (as many as `fit` together). It
 * never waits for company, so a lone item goes at once; under load, items share runs.
 */
export class Batcher<T, R> {
  private running = false;
  private readonly waiting: Waiting<T, R>[] = [];

  constructor(
    private readonly run: (items: T[]) => Promise<ItemResult<R>[]>,
    /** Whether these items may share one run. */
    private readonly fit: (items: readonly T[]) => boolean,
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

  /** The oldest waiting items that `fit` together; the first always goes, alone if need be. */
  private take(): Waiting<T, R>[] {
    let count = 1;
    while (count < this.waiting.length && this.fit(this.waiting.slice(0, count + 1).map((w) => w.item)))
      count++;
    return this.waiting.splice(0, count);
  }
}
