/**
 * Tells this process's runner of a queue that work became due (a deposit was seen, a client
 * announced one, another process's commit said so), or will be at a time it knows (a row it
 * released with a next look), so it runs then instead of at its next poll.
 */
export class WorkSignal {
  private waiter: (() => void) | null = null;
  /** A wake that came while the runner was busy: its next wait returns at once. */
  private pending = false;
  /** The earliest wake scheduled by `wakeIn`, and its timer. */
  private scheduled: { at: number; timer: NodeJS.Timeout } | null = null;

  /** Wakes the runner in `ms` (unless an earlier wake is already scheduled). */
  wakeIn(ms: number): void {
    const at = performance.now() + Math.max(0, ms);
    if (this.scheduled && this.scheduled.at <= at) return;
    if (this.scheduled) clearTimeout(this.scheduled.timer);
    const timer = setTimeout(
      () => {
        this.scheduled = null;
        this.wake();
      },
      Math.max(0, ms),
    ).unref();
    this.scheduled = { at, timer };
  }

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
