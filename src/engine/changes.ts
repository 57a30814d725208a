import { EventEmitter } from "node:events";

/**
 * In-process news that an intent changed, from the commit point, so long-polls answer at once
 * instead of on their next poll. Other processes' changes are seen by polling the database.
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
