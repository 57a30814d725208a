/**
 * How late a timed wake runs after the time asked for: a timer may fire a millisecond before the
 * clock shows its time, and a runner woken that early would find its row not yet due.
 */
const LATE_MS = 5;

/**
 * Tells this process's runner of a queue that work became due (a deposit was seen, a client
 * announced one, another process's commit said so), or will be at a time it knows (a row it
 * released with a next look), so it runs then instead of at its next poll.
 */
export class WorkSignal {
  private waiter: (() => void) | null = null;
  /** A wake that came while the runner was busy: its next wait returns at once. */
  private pending = false;
  /**
   * Every time a wake was asked for (performance.now(), ms), ascending; a timer runs for the
   * first. Each is kept until it comes: a later time is not forgotten when an earlier wake finds
   * nothing due yet.
   */
  private readonly times: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** Wakes the runner in `ms` (just after, by LATE_MS; a wake already asked for within that serves). */
  wakeIn(ms: number): void {
    const at = performance.now() + Math.max(0, ms) + LATE_MS;
    const i = firstAfter(this.times, at - LATE_MS);
    if ((this.times[i] ?? Number.POSITIVE_INFINITY) <= at + LATE_MS) return;
    this.times.splice(i, 0, at);
    if (i === 0) this.schedule();
  }

  /** The timer for the first time asked for: at it, every time come is dropped and the runner woken. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const first = this.times[0];
    if (first === undefined) return;
    this.timer = setTimeout(
      () => {
        this.times.splice(0, firstAfter(this.times, performance.now()));
        this.schedule();
        this.wake();
      },
      Math.max(0, first - performance.now()),
    ).unref();
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

/** The index of the first of ascending `times` after `t` (its length when none is). */
function firstAfter(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
