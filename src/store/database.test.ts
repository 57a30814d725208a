import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { databaseTargets, discard } from "../../test/support/databases.ts";
import { type Database, openDatabase, pingDatabase, readMeta, resetDatabase, writeMeta } from "./database.ts";

describe.each(databaseTargets())("store on $name", ({ target }) => {
  let database: Database | null = null;

  afterEach(async () => {
    if (database) await discard(database);
    database = null;
  });

  it("keeps its data across a reopen, and migrating again changes nothing", async () => {
    const first = await openDatabase(target());
    await writeMeta(first.db, "k", "v1");
    await first.close();
    database = await openDatabase(first.target);
    expect(await readMeta(database.db, "k")).toBe("v1");
  });

  it("reads and overwrites meta values", async () => {
    database = await openDatabase(target());
    expect(await readMeta(database.db, "missing")).toBeNull();
    await writeMeta(database.db, "devnet_generation", "a");
    await writeMeta(database.db, "devnet_generation", "b");
    expect(await readMeta(database.db, "devnet_generation")).toBe("b");
    await pingDatabase(database.db);
  });

  it("returns int8 as exact decimal text, never a rounded JS number", async () => {
    database = await openDatabase(target());
    const big = "9007199254740993"; // 2^53 + 1: a JS number would round it
    const { rows } = await sql<{ v: unknown }>`select ${big}::int8 as v`.execute(database.db);
    expect(rows[0]?.v).toBe(big);
  });

  it("keeps its tables in its own schema and a reset empties them", async () => {
    database = await openDatabase(target());
    await writeMeta(database.db, "k", "v");
    const { rows } = await sql<{
      schema: string;
    }>`select table_schema as schema from information_schema.tables
      where table_name = 'meta'`.execute(database.db);
    expect(rows.map((r) => r.schema)).toContain(database.target.schema);
    await resetDatabase(database);
    expect(await readMeta(database.db, "k")).toBeNull();
  });

  it("runs concurrent transactions without interleaving them", async () => {
    database = await openDatabase(target());
    const { db } = database;
    await writeMeta(db, "counter", "0");
    // Each transaction reads then writes; interleaving would lose increments.
    const increment = () =>
      db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom("meta")
          .select("value")
          .where("key", "=", "counter")
          .forUpdate()
          .executeTakeFirstOrThrow();
        await tx
          .updateTable("meta")
          .set({ value: String(Number(row.value) + 1) })
          .where("key", "=", "counter")
          .execute();
      });
    await Promise.all(Array.from({ length: 20 }, increment));
    expect(await readMeta(db, "counter")).toBe("20");
  });

  it("rolls back a failed transaction", async () => {
    database = await openDatabase(target());
    const { db } = database;
    await expect(
      db.transaction().execute(async (tx) => {
        await tx.insertInto("meta").values({ key: "t", value: "x" }).execute();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await readMeta(db, "t")).toBeNull();
  });
});
