import { sql, type Transaction } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import type { CommitNotification } from "./commit.ts";
import type { Schema } from "./schema.ts";

/** The channel a database schema's commits are announced on (one per schema: schemas share a server). */
export const commitChannel = (schema: string) => `junction_commits_${schema}`;

/** Sent inside the transaction: PostgreSQL delivers it at commit, and never if it rolls back. */
export async function notifyCommit(trx: Transaction<Schema>, channel: string, text: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${text})`.execute(trx);
}

/** A commit's notification as sent. */
export const noticeText = (payload: CommitNotification): string => JSON.stringify(payload);

/** A dropped listening connection is opened again after this long (ms). */
const RECONNECT_MS = 1_000;

/**
 * Listens for other processes' commits on its own connection. `onNotice` gets each notification,
 * and `null` after a reconnect (notifications sent while disconnected are lost, so the caller
 * should look for itself). Resolves, with a stop function, once the first attempt to listen has
 * succeeded (or failed, and is being retried).
 */
export async function listenForCommits(
  url: string,
  channel: string,
  onNotice: (notice: CommitNotification | null) => void,
  log: Logger,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;
  const connect = async (reconnected: boolean) => {
    const next = new pg.Client({ connectionString: url });
    next.on("notification", (message) => {
      try {
        onNotice(JSON.parse(message.payload ?? "") as CommitNotification);
      } catch {
        onNotice(null);
      }
    });
    next.on("error", (err) => {
      log.warn({ err }, "commit listener connection failed; reconnecting");
      void next.end().catch(() => {});
      if (!stopped && client === next) schedule();
    });
    try {
      await next.connect();
      await next.query(`listen "${channel}"`);
      client = next;
      if (stopped) await next.end();
      else if (reconnected) onNotice(null);
    } catch (err) {
      log.warn({ err }, "commit listener could not connect; retrying");
      await next.end().catch(() => {});
      if (!stopped) schedule();
    }
  };
  const schedule = () => {
    client = null;
    retry = setTimeout(() => void connect(true), RECONNECT_MS);
  };
  await connect(false);
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}
