import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../paths.ts";
import { ConfigError, type DevnetDefaults, loadConfig as load } from "./load.ts";

function dirWithConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "junction-config-"));
  writeFileSync(
    join(dir, "junction.config.json"),
    typeof config === "string" ? config : JSON.stringify(config),
  );
  return dir;
}

const emptyDir = () => mkdtempSync(join(tmpdir(), "junction-empty-"));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const liveChain = {
  chainId: 1,
  name: "Ethereum",
  slug: "eth",
  rpcUrl: "https://rpc.example.org",
  tokens: [
    {
      symbol: "USDC",
      address: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
      decimals: 6,
      price: { source: "fixed", usd: "1" },
    },
  ],
  contracts: {
    DepositFactory: "0x0000000000000000000000000000000000000001",
    Settlement: "0x0000000000000000000000000000000000000002",
    Executor: "0x0000000000000000000000000000000000000003",
    IntentEntrypoint: "0x0000000000000000000000000000000000000004",
    IntermediaryAccountFactory: "0x0000000000000000000000000000000000000005",
  },
};
const key = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;
/** What a devnet would hand in: its role keys and fee collector. */
const devnet: DevnetDefaults = {
  keys: { solver: key(11), relayer: key(12), executor: key(13) },
  feeCollector: "0x000000000000000000000000000000000000000d",
};
const loadConfig = (env: Record<string, string>, cwd: string) => load(env, cwd, devnet);
const liveKeys = { JUNCTION_SOLVER_KEY: key(1), JUNCTION_RELAYER_KEY: key(2), JUNCTION_EXECUTOR_KEY: key(3) };

describe("loadConfig", () => {
  it("with no file runs the built-in devnet profile: three chains, unused chain ids, 5 and 10 minute lifetimes", () => {
    const config = loadConfig({}, emptyDir());
    expect(config.profile).toBe("devnet");
    expect(config.chains.map((c) => c.chainId)).toEqual([900001, 900002, 900003]);
    expect(config.quoteLifetimeSeconds).toBe(300);
    expect(config.commitLifetimeSeconds).toBe(600);
    expect(config.server).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(config.fees.feeCollector).toBe(devnet.feeCollector);
    expect(config.keys.relayer.reveal()).toBe(devnet.keys.relayer);
    expect(config.source).toEqual({ file: null, env: [] });
  });

  it("applies environment overrides over the file", () => {
    const config = loadConfig(
      {
        PORT: "9090",
        HOST: "0.0.0.0",
        JUNCTION_MINING: "auto",
        JUNCTION_DEVNET_PORT: "0",
        JUNCTION_ACCESS_KEYS: "k-123456,k-654321",
      },
      emptyDir(),
    );
    expect(config.server).toEqual({ host: "0.0.0.0", port: 9090 });
    expect(config.devnet.mining).toBe("auto");
    expect(config.chains.every((c) => c.port === 0)).toBe(true);
    expect(config.accessKeys).toEqual(["k-123456", "k-654321"]);
    expect(config.source.env).toContain("PORT");
  });

  it("retires unused quotes after 7 days unless told otherwise", () => {
    expect(loadConfig({}, emptyDir()).retention).toEqual({ unusedQuoteDays: 7 });
    const env = { JUNCTION_UNUSED_QUOTE_RETENTION_DAYS: "30" };
    expect(loadConfig(env, emptyDir()).retention).toEqual({ unusedQuoteDays: 30 });
    expect(problemsOf(() => loadConfig({ JUNCTION_UNUSED_QUOTE_RETENTION_DAYS: "0" }, emptyDir()))).toEqual([
      expect.stringMatching(/^retention\.unusedQuoteDays: /),
    ]);
  });

  it("names the field and what is expected when a value is wrong", () => {
    expect(problemsOf(() => loadConfig({ PORT: "eighty" }, dirWithConfig({ chains: [liveChain] })))).toEqual([
      expect.stringMatching(/^server\.port: .*number/),
    ]);
    const badSlug = { chains: [{ ...liveChain, slug: "Not A Slug" }] };
    expect(problemsOf(() => loadConfig({}, dirWithConfig(badSlug)))).toEqual([
      "chains.0.slug: expected 2-16 lowercase letters or digits, starting with a letter",
    ]);
    const badAddress = { chains: [{ ...liveChain, tokens: [{ ...liveChain.tokens[0], address: "0x123" }] }] };
    expect(problemsOf(() => loadConfig({}, dirWithConfig(badAddress)))).toEqual([
      "chains.0.tokens.0.address: expected an 0x-prefixed 20-byte hex address",
    ]);
  });

  it("rejects unknown fields, duplicate chains and unreadable files", () => {
    expect(
      problemsOf(() => loadConfig({}, dirWithConfig({ chains: [liveChain], colour: "blue" })))[0],
    ).toMatch(/colour/);
    expect(problemsOf(() => loadConfig({}, dirWithConfig({ chains: [liveChain, liveChain] })))).toEqual([
      "chains.1.chainId: duplicate chainId",
      "chains.1.slug: duplicate slug",
    ]);
    expect(problemsOf(() => loadConfig({}, dirWithConfig("{ not json")))[0]).toMatch(/cannot read as JSON/);
    expect(problemsOf(() => loadConfig({ JUNCTION_CONFIG: "nope.json" }, emptyDir()))[0]).toMatch(
      /does not exist/,
    );
  });

  it("requires addresses, RPC URLs, a fee collector and keys in the live profile", () => {
    const bare = { profile: "live", chains: [{ ...liveChain, rpcUrl: undefined, contracts: undefined }] };
    expect(problemsOf(() => loadConfig(liveKeys, dirWithConfig(bare)))).toEqual([
      "fees.feeCollector: required in the live profile",
      "chains.0.rpcUrl: required in the live profile",
      "chains.0.contracts: required in the live profile",
    ]);
    const complete = {
      profile: "live",
      chains: [liveChain],
      fees: { feeCollector: liveChain.contracts.Settlement },
    };
    expect(problemsOf(() => loadConfig({}, dirWithConfig(complete)))).toEqual([
      "JUNCTION_SOLVER_KEY: required in the live profile (the solver key)",
      "JUNCTION_RELAYER_KEY: required in the live profile (the relayer key)",
      "JUNCTION_EXECUTOR_KEY: required in the live profile (the executor key)",
    ]);
    const config = loadConfig(liveKeys, dirWithConfig(complete));
    expect(config.keys.solver.reveal()).toBe(key(1));
  });

  it("rejects a malformed key without echoing it", () => {
    const problems = problemsOf(() => loadConfig({ JUNCTION_SOLVER_KEY: "0xsecretbutwrong" }, emptyDir()));
    expect(problems).toEqual(["JUNCTION_SOLVER_KEY: expected a 0x-prefixed 32-byte hex private key"]);
  });

  it("without devnet accounts to default to, asks for every key and the fee collector", () => {
    expect(problemsOf(() => load({}, emptyDir()))).toEqual([
      "JUNCTION_SOLVER_KEY: required (the solver key; no devnet accounts to default to)",
      "JUNCTION_RELAYER_KEY: required (the relayer key; no devnet accounts to default to)",
      "JUNCTION_EXECUTOR_KEY: required (the executor key; no devnet accounts to default to)",
    ]);
    expect(problemsOf(() => load(liveKeys, emptyDir()))).toEqual([
      "fees.feeCollector: required (no devnet accounts to default to)",
    ]);
  });

  it("never prints a key: not in JSON, not in util.inspect, not in string form", () => {
    const config = loadConfig({ JUNCTION_SOLVER_KEY: key(7) }, emptyDir());
    const secret = key(7).slice(2);
    expect(JSON.stringify(config)).not.toContain(secret);
    expect(inspect(config, { depth: 10 })).not.toContain(secret);
    expect(`${config.keys.solver}`).not.toContain(secret);
    expect(config.keys.solver.reveal()).toBe(key(7));
  });
});

describe("config/live.example.json", () => {
  it("is a complete live configuration: it loads with the role keys from the environment", () => {
    const keys = {
      JUNCTION_SOLVER_KEY: `0x${"11".repeat(32)}`,
      JUNCTION_RELAYER_KEY: `0x${"22".repeat(32)}`,
      JUNCTION_EXECUTOR_KEY: `0x${"33".repeat(32)}`,
    };
    const config = load(
      { JUNCTION_CONFIG: join(projectRoot, "config", "live.example.json"), ...keys },
      emptyDir(),
    );
    expect(config.profile).toBe("live");
    expect(config.chains).toHaveLength(2);
    expect(config.chains.every((c) => c.contracts && c.rpcUrl)).toBe(true);
  });
});

describe("devnet.chainIds", () => {
  const devnetDefaults: DevnetDefaults = {
    keys: {
      solver: `0x${"11".repeat(32)}`,
      relayer: `0x${"22".repeat(32)}`,
      executor: `0x${"33".repeat(32)}`,
    },
    feeCollector: "0x000000000000000000000000000000000000fee5",
  };

  it("runs the devnet's chains under the given ids, with the names and slugs of the mainnets that have them", () => {
    const config = load({ JUNCTION_DEVNET_CHAIN_IDS: "8453,42161,777777" }, emptyDir(), devnetDefaults);
    expect(config.chains.map((c) => [c.chainId, c.slug, c.name])).toEqual([
      [8453, "base", "Base (local devnet)"],
      [42161, "arbitrum", "Arbitrum One (local devnet)"],
      [777777, "gamma", "Junction Gamma"],
    ]);
  });

  it("refuses a list that does not give one id per chain, naming the setting", () => {
    for (const ids of ["8453,42161", "8453,42161,10,1", "8453,abc,10", "8453,8453,10"]) {
      expect(
        problemsOf(() => load({ JUNCTION_DEVNET_CHAIN_IDS: ids }, emptyDir(), devnetDefaults)).join("\n"),
      ).toMatch(/devnet\.chainIds|duplicate chainId/);
    }
  });
});
