import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { devnetDefaults } from "../../src/devnet/accounts.ts";
import { type Devnet, startDevnet } from "../../src/devnet/devnet.ts";

export interface TestDevnet {
  config: Config;
  devnet: Devnet;
  stop(): Promise<void>;
}

/**
 * The built-in devnet profile on free ports, automining, nothing persisted: each test file gets
 * its own real chains with Junction's contracts deployed and funded.
 */
export async function startTestDevnet(env: Record<string, string> = {}): Promise<TestDevnet> {
  const dataDir = mkdtempSync(join(tmpdir(), "junction-test-"));
  const config = loadConfig(
    {
      JUNCTION_DATA_DIR: dataDir,
      JUNCTION_MINING: "auto",
      JUNCTION_PERSIST: "false",
      JUNCTION_DEVNET_PORT: "0",
      ...env,
    },
    dataDir,
    devnetDefaults(),
  );
  const devnet = await startDevnet({ config, log: pino({ level: "silent" }) });
  return {
    config,
    devnet,
    async stop() {
      await devnet.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
