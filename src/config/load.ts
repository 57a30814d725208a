import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import { type Address, type Hex, isHex } from "viem";
import type { z } from "zod";
import { projectRoot } from "../paths.ts";
import { knownChains } from "./known-chains.ts";
import { type Config, type ConfigFile, configSchema, type Keys } from "./schema.ts";
import { Secret } from "./secret.ts";

export class ConfigError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration (${origin}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** Environment variables that override one field of the file each. */
const envOverrides: { name: string; path: string[]; parse: (v: string) => unknown }[] = [
  { name: "JUNCTION_PROFILE", path: ["profile"], parse: String },
  { name: "HOST", path: ["server", "host"], parse: String },
  { name: "PORT", path: ["server", "port"], parse: toNumber },
  { name: "DATABASE_URL", path: ["database", "url"], parse: String },
  { name: "DATABASE_SCHEMA", path: ["database", "schema"], parse: String },
  { name: "JUNCTION_DATA_DIR", path: ["dataDir"], parse: String },
  { name: "JUNCTION_MINING", path: ["devnet", "mining"], parse: String },
  { name: "JUNCTION_PERSIST", path: ["devnet", "persist"], parse: (v) => v !== "false" && v !== "0" },
  { name: "JUNCTION_ACCESS_KEYS", path: ["accessKeys"], parse: (v) => v.split(",").filter(Boolean) },
  { name: "JUNCTION_LISTINGS", path: ["listings"], parse: String },
  { name: "JUNCTION_REPLACE_AFTER_SECONDS", path: ["replaceAfterSeconds"], parse: toNumber },
  { name: "JUNCTION_FOLLOW_HEADS", path: ["followHeads"], parse: String },
  { name: "JUNCTION_FEE_COLLECTOR", path: ["fees", "feeCollector"], parse: String },
  {
    name: "JUNCTION_CONNECT_API_KEYS",
    path: ["connect", "apiKeys"],
    parse: (v) => v.split(",").filter(Boolean),
  },
  { name: "JUNCTION_NEAR_RPC_URL", path: ["connect", "nearRpcUrl"], parse: String },
  { name: "JUNCTION_ADMIN_KEY", path: ["adminKey"], parse: String },
  { name: "JUNCTION_QUEUE_RETRY_BASE_MS", path: ["queue", "retryBaseMs"], parse: toNumber },
  { name: "JUNCTION_QUEUE_RETRY_MAX_MS", path: ["queue", "retryMaxMs"], parse: toNumber },
  { name: "JUNCTION_QUEUE_MAX_ATTEMPTS", path: ["queue", "maxAttempts"], parse: toNumber },
  {
    name: "JUNCTION_UNUSED_QUOTE_RETENTION_DAYS",
    path: ["retention", "unusedQuoteDays"],
    parse: toNumber,
  },
  { name: "JUNCTION_TRUST_PROXY", path: ["limits", "trustProxy"], parse: toTrustProxy },
  {
    name: "JUNCTION_CORS_ORIGINS",
    path: ["cors", "origins"],
    // An empty variable counts as unset, so "none" is how to say: no other origin.
    parse: (v) => (v === "none" ? [] : v.split(",").filter(Boolean)),
  },
  { name: "JUNCTION_REQUEST_TIMEOUT_MS", path: ["limits", "requestTimeoutMs"], parse: toNumber },
  { name: "JUNCTION_HEADERS_TIMEOUT_MS", path: ["limits", "headersTimeoutMs"], parse: toNumber },
  { name: "JUNCTION_LONG_POLLS_PER_CLIENT", path: ["limits", "longPollsPerClient"], parse: toNumber },
  { name: "JUNCTION_RATE_LIMIT_PER_IP", path: ["limits", "requestsPerMinutePerIp"], parse: toNumber },
  { name: "JUNCTION_RATE_LIMIT_PER_KEY", path: ["limits", "requestsPerMinutePerKey"], parse: toNumber },
  {
    name: "JUNCTION_DEVNET_CHAIN_IDS",
    path: ["devnet", "chainIds"],
    parse: (v) => v.split(",").filter(Boolean).map(toNumber),
  },
  {
    name: "JUNCTION_WEBHOOK_RETRY_SECONDS",
    path: ["push", "webhooks", "retryScheduleSeconds"],
    parse: (v) => v.split(",").filter(Boolean).map(toNumber),
  },
  {
    name: "JUNCTION_WEBHOOK_DISABLE_AFTER",
    path: ["push", "webhooks", "disableAfterFailures"],
    parse: toNumber,
  },
  {
    name: "JUNCTION_WEBHOOK_ALLOW_PRIVATE",
    path: ["push", "webhooks", "allowPrivateUrls"],
    parse: (v) => v === "true" || v === "1",
  },
  { name: "JUNCTION_STREAM_HEARTBEAT_SECONDS", path: ["push", "heartbeatSeconds"], parse: toNumber },
  {
    name: "JUNCTION_LIMITS_EXEMPT_ADDRESSES",
    path: ["limits", "exemptAddresses"],
    // An empty variable counts as unset, so "none" is how to say: no address is exempt.
    parse: (v) => (v === "none" ? [] : v.split(",").filter(Boolean)),
  },
];

/** `true`, `false`, or comma-separated proxy addresses. */
function toTrustProxy(v: string): unknown {
  return v === "true" || v === "false" ? v === "true" : v.split(",").filter(Boolean);
}

type RawConfig = { profile?: unknown; devnet?: { chainIds?: unknown }; chains?: Record<string, unknown>[] };

/**
 * `devnet.chainIds`: the devnet's chains under other ids, each taking the name and slug of the
 * mainnet with that id (if Junction knows it), before the configuration is validated.
 */
function renameDevnetChains(raw: RawConfig, origin: string): void {
  const ids = raw.devnet?.chainIds;
  if (ids === undefined || raw.profile === "live" || !Array.isArray(raw.chains)) return;
  const chains = raw.chains;
  if (
    !Array.isArray(ids) ||
    ids.length !== chains.length ||
    !ids.every((id) => Number.isInteger(id) && id > 0)
  ) {
    throw new ConfigError(origin, [
      `devnet.chainIds: expected ${chains.length} positive whole numbers, one per devnet chain (e.g. JUNCTION_DEVNET_CHAIN_IDS=8453,42161,10)`,
    ]);
  }
  chains.forEach((chain, i) => {
    const id = ids[i] as number;
    const known = knownChains[id];
    chain.chainId = id;
    if (known) {
      chain.name = `${known.name} (local devnet)`;
      chain.slug = known.slug;
    }
  });
}

/** Keeps non-numeric text as is, so the schema reports it as the wrong type instead of NaN. */
function toNumber(v: string): unknown {
  return /^\d+$/.test(v) ? Number(v) : v;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
}

/** The file as JSON with comments (line and block), so a configuration can explain itself. */
function readFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: false });
  const first = errors[0];
  if (first) {
    const line = text.slice(0, first.offset).split("\n").length;
    throw new ConfigError(file, [
      `cannot read as JSON: ${printParseErrorCode(first.error)} at line ${line} (comments are allowed, trailing commas are not)`,
    ]);
  }
  return value;
}

const keyEnv = {
  solver: "JUNCTION_SOLVER_KEY",
  relayer: "JUNCTION_RELAYER_KEY",
  executor: "JUNCTION_EXECUTOR_KEY",
} as const;

/**
 * What the devnet profile falls back to where the environment names no key and the file no fee
 * collector: the devnet's own accounts, handed in by whoever starts a devnet.
 */
export interface DevnetDefaults {
  keys: Record<keyof Keys, Hex>;
  feeCollector: Address;
}

function loadKeys(env: Env, profile: ConfigFile["profile"], defaults: DevnetDefaults | undefined): Keys {
  const problems: string[] = [];
  const key = (role: keyof typeof keyEnv): Secret<Hex> => {
    const value = env[keyEnv[role]];
    if (value !== undefined) {
      if (!isHex(value) || value.length !== 66)
        problems.push(`${keyEnv[role]}: expected a 0x-prefixed 32-byte hex private key`);
      return new Secret(value as Hex);
    }
    if (profile === "live") problems.push(`${keyEnv[role]}: required in the live profile (the ${role} key)`);
    else if (!defaults)
      problems.push(`${keyEnv[role]}: required (the ${role} key; no devnet accounts to default to)`);
    return new Secret(defaults?.keys[role] ?? "0x");
  };
  const keys = { solver: key("solver"), relayer: key("relayer"), executor: key("executor") };
  if (problems.length > 0) throw new ConfigError("environment", problems);
  return keys;
}

/**
 * Reads the config file (JUNCTION_CONFIG, else ./junction.config.json, else the built-in devnet
 * profile), applies environment overrides, and validates the result. Throws ConfigError naming
 * every offending field.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd(), devnet?: DevnetDefaults): Config {
  const explicit = env.JUNCTION_CONFIG ? resolve(cwd, env.JUNCTION_CONFIG) : null;
  const local = resolve(cwd, "junction.config.json");
  const file = explicit ?? (existsSync(local) ? local : null);
  if (explicit && !existsSync(explicit))
    throw new ConfigError(explicit, ["JUNCTION_CONFIG names a file that does not exist"]);
  const raw = readFile(file ?? join(projectRoot, "config", "devnet.json"));
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file ?? "built-in devnet config", ["expected a JSON object at the top level"]);
  }
  const applied: string[] = [];
  const chainPort = env.JUNCTION_DEVNET_PORT;
  if (chainPort && Array.isArray((raw as { chains?: unknown }).chains)) {
    // One port for every chain only makes sense as 0: each anvil then picks a free one.
    for (const chain of (raw as { chains: Record<string, unknown>[] }).chains)
      chain.port = toNumber(chainPort);
    applied.push("JUNCTION_DEVNET_PORT");
  }
  for (const override of envOverrides) {
    const value = env[override.name];
    if (value === undefined || value === "") continue;
    setPath(raw as Record<string, unknown>, override.path, override.parse(value));
    applied.push(override.name);
  }
  const origin = [file ?? "built-in devnet config", ...applied.map((n) => `env ${n}`)].join(" + ");
  renameDevnetChains(raw as RawConfig, origin);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(origin, formatIssues(parsed.error));
  const keys = loadKeys(env, parsed.data.profile, devnet);
  // The live profile's schema requires a fee collector, so only the devnet's can be missing here.
  const feeCollector = parsed.data.fees.feeCollector ?? devnet?.feeCollector;
  if (!feeCollector)
    throw new ConfigError(origin, ["fees.feeCollector: required (no devnet accounts to default to)"]);
  return {
    ...parsed.data,
    fees: { ...parsed.data.fees, feeCollector },
    keys,
    source: { file, env: applied },
  };
}
