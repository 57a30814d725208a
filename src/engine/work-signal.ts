/**
 * Tells this process's intent runner that an intent became due now (a deposit was seen, a client
 * announced one), so it runs at once instead of at its next poll. Other processes still find the
 * work by polling the database.
 */
export class WorkSignal {
  private waiter: (() => void) | null = null;
  /** A wake that came while the runner was busy: its next wait returns at once. */
  private pending = false;

  wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) waiter();
    else this.pending = true;
  }

  /** Resolves after `ms`, on a wake (including one since the last wait), or when `signal` aborts. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", end);
        if (this.waiter === end) this.waiter = null;
        resolve();
      };
      const timer = setTimeout(end, ms);
      signal?.addEventListener("abort", end, { once: true });
      this.waiter = end;
    });
  }
}
