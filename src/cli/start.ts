import { parseArgs } from "node:util";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { bytesToHex } from "viem";
import { type Junction, startJunction, version } from "../app.ts";
import type { RuntimeChain } from "../chains/registry.ts";
import { ConfigError, loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { devnetDefaults, devnetMnemonic, devnetNearAccount } from "../devnet/accounts.ts";

export const startUsage = `Usage: junction start [--reset]   (npm start [-- --reset])

Runs Junction: with no configuration, the devnet profile (three local chains, contracts,
embedded database, APIs). If \`junction chains\` runs the devnet's chains, Junction uses them.
Configuration: junction.config.json or JUNCTION_CONFIG; see docs/operations.md.

  --reset   discard the devnet's chain state and database and deploy again
  --help    show this text`;

export function createLogger(): Logger {
  const level = process.env.LOG_LEVEL ?? "info";
  if (process.env.LOG_FORMAT === "json") return pino({ level });
  return pino(
    { level },
    pretty({ sync: true, ignore: "pid,hostname", translateTime: "HH:MM:ss", singleLine: false }),
  );
}

function summary(junction: Junction): string {
  const { registry, devnet } = junction.ctx;
  const lines = ["", `Junction ${version} is running (${junction.ctx.config.profile} profile)`, "", "Chains"];
  for (const c of registry.chains)
    lines.push(`  ${c.chainId}  ${c.name.padEnd(16)} ${c.slug.padEnd(8)} ${c.rpcUrl}`);
  const addressBook = (c: RuntimeChain) => [
    ...Object.entries(c.contracts).map(([name, address]) => `  ${name.padEnd(28)} ${address}`),
    ...c.tokens.map((t) => `  ${`${t.symbol} (${t.decimals} decimals)`.padEnd(28)} ${t.address}`),
  ];
  const books = registry.chains.map(addressBook);
  if (books.every((book) => book.join() === books[0]?.join())) {
    lines.push("", "Contracts and tokens (the same addresses on every chain)", ...(books[0] ?? []));
  } else {
    registry.chains.forEach((c, i) => {
      lines.push("", `Contracts and tokens on ${c.name} (${c.chainId})`, ...(books[i] ?? []));
    });
  }
  lines.push(
    "",
    `Web app        ${junction.url}/  (explorer: search an intent, execution, address or transaction)`,
    "",
    "API",
    `  Base URL     ${junction.url}`,
    `  Trails RPC   ${junction.url}/rpc/Trails/`,
    `  Connect API  ${junction.url}/api/v1/  (x-api-key: ${junction.ctx.config.connect.apiKeys[0] ?? "none configured"})`,
    `  Events       ${junction.url}/events?intentId=<id>  (Server-Sent Events; webhooks: /admin/webhooks)`,
    `  API docs     ${junction.url}/docs`,
    `  Health       ${junction.url}/health`,
  );
  const adminKey = junction.ctx.config.adminKey;
  if (adminKey)
    lines.push(`  Operator     ${junction.url}/admin/parked  (Authorization: Bearer ${adminKey})`);
  if (devnet) {
    lines.push(`  Devnet info  ${junction.url}/devnet`, "", `Test accounts (mnemonic "${devnetMnemonic}")`);
    devnet.accounts.forEach((a, i) => {
      lines.push(`  ${String(i).padStart(2)}  ${a.address}  ${a.privateKey}`);
    });
    lines.push(
      "",
      `NEAR named account ${devnetNearAccount.accountId} (Connect API): ed25519 secret key ${bytesToHex(devnetNearAccount.secretKey)}`,
    );
  }
  if (junction.ctx.config.devnet.chainIds && devnet) {
    lines.push(
      "",
      "! These are LOCAL chains running under the ids of real networks (devnet.chainIds). Never send",
      "  real funds to their addresses; add them to a wallet as custom networks with the RPC URLs above.",
    );
  }
  lines.push("", "Press Ctrl-C to stop.", "");
  return lines.join("\n");
}

/** `junction start`: the whole system, until SIGINT or SIGTERM. */
export async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { reset: { type: "boolean" }, help: { type: "boolean" } } });
  if (values.help) {
    console.log(startUsage);
    return;
  }
  const config = loadCliConfig();
  const log = createLogger();
  const from = [
    config.source.file ?? "built-in devnet config",
    ...config.source.env.map((e) => `$${e}`),
  ].join(", ");
  log.info(`starting Junction ${version}, ${config.profile} profile (configuration: ${from})`);

  let junction: Junction | null = null;
  onShutdown(log, async () => {
    await junction?.stop();
  });
  junction = await startJunction({ config, log, reset: values.reset ?? false });
  process.stdout.write(summary(junction));
}

/** The configuration, or exit code 2 with every problem named. */
export function loadCliConfig(): Config {
  try {
    return loadConfig(process.env, process.cwd(), devnetDefaults());
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

/** Stops once on SIGINT or SIGTERM with `stop`, then exits 0. */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    await stop();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
