import { afterEach, describe, expect, it } from "vitest";
import { databaseTargets, dropSchema } from "../../test/support/databases.ts";
import { tryAdvisoryLock } from "./advisory-lock.ts";
import type { DatabaseTarget } from "./database.ts";

const postgres = databaseTargets().find((t) => t.name === "PostgreSQL");

describe.skipIf(!postgres)("advisory locks on PostgreSQL", () => {
  let target: DatabaseTarget;
  afterEach(async () => {
    if (target?.kind === "postgres") await dropSchema(target.url, target.schema);
  });

  it("is held by one process at a time and passes on when released", async () => {
    target = (postgres as NonNullable<typeof postgres>).target();
    const first = await tryAdvisoryLock(target, "watcher:1");
    expect(first).not.toBeNull();
    expect(await tryAdvisoryLock(target, "watcher:1")).toBeNull();
    const other = await tryAdvisoryLock(target, "watcher:2");
    expect(other).not.toBeNull();
    await first?.release();
    const second = await tryAdvisoryLock(target, "watcher:1");
    expect(second).not.toBeNull();
    await second?.release();
    await other?.release();
  });

  it("passes on when its holder's connection dies, and tells the holder", async () => {
    target = (postgres as NonNullable<typeof postgres>).target();
    const held = await tryAdvisoryLock(target, "watcher:1");
    if (!held || target.kind !== "postgres") throw new Error("lock not taken");
    // Kill the holder's session from outside, as a crashed or partitioned process would lose it.
    const pg = (await import("pg")).default;
    const admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    await admin.query(
      // A one-bigint advisory key shows in pg_locks as its high (classid) and low (objid) halves.
      `select pg_terminate_backend(pid) from pg_locks, (select hashtext($1)::bigint as k) key
       where locktype = 'advisory' and objsubid = 1
         and classid::bigint = (k >> 32) & 4294967295 and objid::bigint = k & 4294967295`,
      [`${target.schema}:watcher:1`],
    );
    await admin.end();
    await held.lost;
    const next = await tryAdvisoryLock(target, "watcher:1");
    expect(next).not.toBeNull();
    await next?.release();
  });
});
