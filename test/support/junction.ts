import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrailsApi } from "@0xtrails/api";
import pino from "pino";
import { afterAll, beforeAll } from "vitest";
import { type Junction, startJunction } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import { devnetDefaults } from "../../src/devnet/accounts.ts";
import type { PortOverrides } from "../../src/engine/wiring.ts";
import type { Db } from "../../src/store/database.ts";
import { dropSchema, uniqueSchema } from "./databases.ts";
import { flows } from "./trails-flow.ts";

export interface TestJunction {
  junction: Junction;
  url: string;
  /** The real Trails client, unmodified, pointed at this server. */
  trails: TrailsApi;
  /** The engine's database, for tests that look at what the API does not show. */
  db: Db;
  /** Moves the engine's clock forward (deadlines, lifetimes) without waiting. */
  advanceClock(ms: number): void;
  stop(): Promise<void>;
}

/**
 * A whole Junction on the devnet profile: free ports, automine, nothing persisted; PostgreSQL
 * (in a schema of its own) when DATABASE_URL is set, PGlite in a throwaway directory otherwise.
 */
export async function startTestJunction(
  env: Record<string, string> = {},
  accessKey = "",
  ports: PortOverrides = {},
): Promise<TestJunction> {
  const dataDir = mkdtempSync(join(tmpdir(), "junction-test-"));
  const schema = uniqueSchema();
  const databaseUrl = process.env.DATABASE_URL;
  const config = loadConfig(
    {
      PORT: "0",
      JUNCTION_DATA_DIR: dataDir,
      JUNCTION_DEVNET_PORT: "0",
      JUNCTION_MINING: "auto",
      JUNCTION_PERSIST: "false",
      DATABASE_SCHEMA: schema,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    dataDir,
    devnetDefaults(),
  );
  let offsetMs = 0;
  const junction = await startJunction({
    config,
    // TEST_LOG=debug (or info, warn) shows the engine's log while a test runs.
    log: pino({ level: process.env.TEST_LOG ?? "silent" }),
    ports: { clock: { now: () => new Date(Date.now() + offsetMs) }, ...ports },
  });
  return {
    junction,
    url: junction.url,
    trails: new TrailsApi(accessKey, { hostname: junction.url }),
    db: junction.db,
    advanceClock(ms) {
      offsetMs += ms;
      junction.ctx.engine.lookForWork();
    },
    async stop() {
      await junction.stop();
      if (databaseUrl) await dropSchema(databaseUrl, schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A test Junction for a whole test file: started before its tests (with `env` as
 * `startTestJunction` takes it), stopped after; `t` and its payment helpers `f` once started.
 */
export function testJunctionFixture(env: Record<string, string> = {}) {
  const fixture = {} as { t: TestJunction; f: ReturnType<typeof flows> };
  beforeAll(async () => {
    fixture.t = await startTestJunction(env);
    fixture.f = flows(fixture.t);
  });
  afterAll(() => fixture.t?.stop());
  return fixture;
}
