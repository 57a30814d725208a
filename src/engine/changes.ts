import { EventEmitter } from "node:events";

/**
 * News that an intent changed, so long-polls answer at once and read nothing while they wait:
 * from this process's commit point, and from the event feed for every process's commits.
 */
export class IntentChanges {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  notify(intentId: string): void {
    this.emitter.emit(intentId);
  }

  /** Resolves when `intentId` changes, after `timeoutMs`, or when `signal` aborts, whichever is first. */
  next(intentId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(intentId, done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.emitter.once(intentId, done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
