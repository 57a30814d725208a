/** A granted slot, to give back when the response ends, or how long until one frees up. */
export type Slot = { release: () => void } | { retryAfterSeconds: number };

/**
 * The long-held responses each client has open (WaitIntentReceipt's long-polls; a stream would
 * count here too), at most `cap` at once: each one holds a connection and polls the database, so
 * one client must not be able to open them without bound.
 */
export class LongPolls {
  /** Per client, when each of its open holds will have answered at the latest. */
  private readonly open = new Map<string, Set<{ endsAt: number }>>();

  constructor(
    readonly cap: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A slot for `client`, held at most `maxHoldMs`; when all `cap` are taken, the wait until the first ends. */
  take(client: string, maxHoldMs: number): Slot {
    const held = this.open.get(client) ?? new Set();
    if (held.size >= this.cap) {
      const firstEnd = Math.min(...[...held].map((h) => h.endsAt));
      return { retryAfterSeconds: Math.max(1, Math.ceil((firstEnd - this.now()) / 1000)) };
    }
    const hold = { endsAt: this.now() + maxHoldMs };
    held.add(hold);
    this.open.set(client, held);
    return {
      release: () => {
        held.delete(hold);
        // Forget a client with nothing open, so the map holds only clients that are waiting now.
        if (held.size === 0 && this.open.get(client) === held) this.open.delete(client);
      },
    };
  }
}
