/** Polls `read` until `done` says yes; fails naming `what`, and the last value, after `ms`. */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
