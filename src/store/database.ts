import { existsSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { migrations } from "./migrations/index.ts";
import { PGliteDialect } from "./pglite-dialect.ts";
import { freshClusterTarball } from "./pglite-template.ts";
import type { Schema } from "./schema.ts";

export type Db = Kysely<Schema>;

/** Every table Junction owns lives in `schema`, so a reset is one `drop schema`. */
export type DatabaseTarget =
  /** A PostgreSQL server. */
  | { kind: "postgres"; url: string; schema: string }
  /** Embedded PGlite in `dataDir`, or in memory when null. */
  | { kind: "pglite"; dataDir: string | null; schema: string };

export interface Database {
  db: Db;
  target: DatabaseTarget;
  close(): Promise<void>;
}

const INT8_OID = 20;

async function connect(target: DatabaseTarget): Promise<Db> {
  if (target.kind === "pglite") {
    const { dataDir } = target;
    const exists = dataDir !== null && existsSync(join(dataDir, "PG_VERSION"));
    const pglite = await PGlite.create(dataDir ?? undefined, {
      // int8 as text, as node-postgres does, so no amount is ever squeezed through a JS number.
      parsers: { [INT8_OID]: (v: string) => v },
      // PostgreSQL's default 128 MB buffer cache would be a quarter of the server's memory; the
      // embedded database is small and its files are in memory or the OS's page cache anyway.
      postgresqlconf: ["shared_buffers = 32MB"],
      ...(exists ? {} : { loadDataDir: await freshClusterTarball() }),
    });
    // PGlite is a single session, so this setting holds for every later statement.
    await pglite.exec(`create schema if not exists ${target.schema}; set search_path to ${target.schema}`);
    return new Kysely<Schema>({ dialect: new PGliteDialect(pglite) });
  }
  const pool = new pg.Pool({
    connectionString: target.url,
    max: 10,
    options: `-c search_path=${target.schema}`,
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  await sql`create schema if not exists ${sql.id(target.schema)}`.execute(db);
  return db;
}

export async function migrate(db: Db, schema: string): Promise<void> {
  // Explicit schema: Kysely's table lookup spans every schema and would find another one's tables.
  const migrator = new Migrator({
    db,
    migrationTableSchema: schema,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    throw new Error(
      `database migration ${failed?.migrationName ?? ""} failed: ${(error as Error)?.message ?? "unknown"}`,
    );
  }
}

/** Opens the database and brings its schema up to date. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  const db = await connect(target);
  try {
    await migrate(db, target.schema);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, target, close: () => db.destroy() };
}

/** Drops every table Junction owns and migrates again: an empty, current database. */
export async function resetDatabase(database: Database): Promise<void> {
  const { db, target } = database;
  await sql`drop schema if exists ${sql.id(target.schema)} cascade`.execute(db);
  await sql`create schema ${sql.id(target.schema)}`.execute(db);
  await migrate(db, target.schema);
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
