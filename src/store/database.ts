import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { migrations } from "./migrations/index.ts";
import { initCluster } from "./pglite-cluster.ts";
import { PGliteDialect } from "./pglite-dialect.ts";
import type { Schema } from "./schema.ts";

export type Db = Kysely<Schema>;

/** Every table Junction owns lives in `schema`, so a reset is one `drop schema`. */
export type DatabaseTarget =
  /** A PostgreSQL server. */
  | { kind: "postgres"; url: string; schema: string }
  /** Embedded PGlite in `dataDir`, or, when null, in a temporary directory removed on close. */
  | { kind: "pglite"; dataDir: string | null; schema: string };

export interface Database {
  db: Db;
  target: DatabaseTarget;
  close(): Promise<void>;
}

const INT8_OID = 20;

async function connect(target: DatabaseTarget): Promise<{ db: Db; cleanup?: () => void }> {
  if (target.kind === "pglite") {
    // Not kept: still on disk rather than in PGlite's in-memory file system, whose files would sit
    // in the process's memory and grow with every row.
    const dataDir = target.dataDir ?? mkdtempSync(join(tmpdir(), "junction-pglite-"));
    const cleanup = target.dataDir ? undefined : () => rmSync(dataDir, { recursive: true, force: true });
    if (!existsSync(join(dataDir, "PG_VERSION"))) await initCluster(dataDir);
    const pglite = await PGlite.create(dataDir, {
      // int8 as text, as node-postgres does, so no amount is ever squeezed through a JS number.
      parsers: { [INT8_OID]: (v: string) => v },
      // PostgreSQL's default 128 MB buffer cache would be a quarter of the server's memory; the
      // embedded database is small and its files are in the OS's page cache anyway.
      postgresqlconf: ["shared_buffers = 32MB"],
    });
    // PGlite is a single session, so this setting holds for every later statement.
    await pglite.exec(`create schema if not exists ${target.schema}; set search_path to ${target.schema}`);
    return {
      db: new Kysely<Schema>({ dialect: new PGliteDialect(pglite) }),
      ...(cleanup ? { cleanup } : {}),
    };
  }
  const pool = new pg.Pool({
    connectionString: target.url,
    max: 10,
    options: `-c search_path=${target.schema}`,
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  await sql`create schema if not exists ${sql.id(target.schema)}`.execute(db);
  return { db };
}

/**
 * PostgreSQL: runs `work` holding the advisory lock every migration and every schema drop of
 * Junction takes, on a connection of its own. Kysely's migrator reads the catalog of every schema,
 * and that read fails on a schema another session drops meanwhile (several Junctions, or test
 * files, sharing one server).
 */
export async function withSchemaLock<T>(target: DatabaseTarget, work: () => Promise<T>): Promise<T> {
  if (target.kind !== "postgres") return work();
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock(hashtext('junction:schema-ddl'))");
    return await work();
  } finally {
    // Ending the session releases the lock.
    await client.end();
  }
}

/** Brings the schema up to date, or (`upTo`, for testing a migration) to the named migration. */
export async function migrate(db: Db, target: DatabaseTarget, upTo?: string): Promise<void> {
  // Explicit schema: Kysely's table lookup spans every schema and would find another one's tables.
  const migrator = new Migrator({
    db,
    migrationTableSchema: target.schema,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await withSchemaLock(target, () =>
    upTo ? migrator.migrateTo(upTo) : migrator.migrateToLatest(),
  );
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    throw new Error(
      `database migration ${failed?.migrationName ?? ""} failed: ${(error as Error)?.message ?? "unknown"}`,
    );
  }
}

/** Opens the database and brings its schema up to date (or to the migration `upTo`). */
export async function openDatabase(target: DatabaseTarget, upTo?: string): Promise<Database> {
  const { db, cleanup } = await connect(target);
  const close = async () => {
    await db.destroy();
    cleanup?.();
  };
  try {
    await migrate(db, target, upTo);
  } catch (err) {
    await close();
    throw err;
  }
  return { db, target, close };
}

/** Drops every table Junction owns and migrates again: an empty, current database. */
export async function resetDatabase(database: Database): Promise<void> {
  const { db, target } = database;
  await withSchemaLock(target, async () => {
    await sql`drop schema if exists ${sql.id(target.schema)} cascade`.execute(db);
    await sql`create schema ${sql.id(target.schema)}`.execute(db);
  });
  await migrate(db, target);
}

export async function readMeta(db: Db, key: string): Promise<string | null> {
  const row = await db.selectFrom("meta").select("value").where("key", "=", key).executeTakeFirst();
  return row?.value ?? null;
}

export async function writeMeta(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto("meta")
    .values({ key, value })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value }))
    .execute();
}

/** Round-trips the database, for health checks. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
