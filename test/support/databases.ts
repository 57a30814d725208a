import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type Database, type DatabaseTarget, withSchemaLock } from "../../src/store/database.ts";

/** A schema of its own per test, so test files and a running `npm start` never share tables. */
export function uniqueSchema(): string {
  return `test_${randomBytes(6).toString("hex")}`;
}

/**
 * Where database tests run: always a PGlite on disk (in a temporary directory, so a test can close
 * and reopen it), and also the PostgreSQL server named by DATABASE_URL when it is set (as `.ci/run`
 * does).
 */
export function databaseTargets(): { name: string; target: () => DatabaseTarget }[] {
  const targets: { name: string; target: () => DatabaseTarget }[] = [
    {
      name: "PGlite",
      target: () => ({
        kind: "pglite",
        dataDir: mkdtempSync(join(tmpdir(), "junction-db-")),
        schema: uniqueSchema(),
      }),
    },
  ];
  const url = process.env.DATABASE_URL;
  if (url)
    targets.push({ name: "PostgreSQL", target: () => ({ kind: "postgres", url, schema: uniqueSchema() }) });
  return targets;
}

/** Drops a test's schema, under the lock migrations take (a migration's catalog read fails on it otherwise). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  await withSchemaLock({ kind: "postgres", url, schema }, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`drop schema if exists "${schema}" cascade`);
    } finally {
      await client.end();
    }
  });
}

/** Closes a test database and removes what it left: its schema on PostgreSQL, its directory for PGlite. */
export async function discard(database: Database): Promise<void> {
  await database.close();
  if (database.target.kind === "postgres") await dropSchema(database.target.url, database.target.schema);
  else if (database.target.dataDir) rmSync(database.target.dataDir, { recursive: true, force: true });
}
