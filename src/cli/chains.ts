import { parseArgs } from "node:util";
import { publishChains, startDevnet } from "../devnet/devnet.ts";
import { createLogger, loadCliConfig, onShutdown } from "./start.ts";

export const chainsUsage = `Usage: junction chains [--reset]

Starts only the devnet's chains (one anvil each, Junction's contracts deployed, accounts funded)
and keeps them running until Ctrl-C. A Junction started meanwhile with the same data directory
(junction start, npm start) uses these chains instead of starting its own, so the engine can be
stopped, killed and restarted while the chains and their state stay.

  --reset   discard the chains' persisted state and deploy again
  --help    show this text`;

/** `junction chains`: the devnet's chains alone, published for Junction processes to attach to. */
export async function chains(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { reset: { type: "boolean" }, help: { type: "boolean" } } });
  if (values.help) {
    console.log(chainsUsage);
    return;
  }
  const config = loadCliConfig();
  if (config.profile !== "devnet") {
    console.error("junction chains runs the devnet's chains; the configuration's profile is live");
    process.exit(2);
  }
  const log = createLogger();
  const devnet = await startDevnet({ config, log, reset: values.reset ?? false, own: true });
  const withdraw = publishChains(config, devnet);
  onShutdown(log, async () => {
    withdraw();
    await devnet.stop();
  });
  const lines = ["", "Chains running (Junction processes started now attach to them)", ""];
  for (const c of devnet.chains) lines.push(`  ${c.config.chainId}  ${c.config.name.padEnd(16)} ${c.rpcUrl}`);
  lines.push("", "Press Ctrl-C to stop.", "");
  process.stdout.write(lines.join("\n"));
}
