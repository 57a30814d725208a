import { chains, chainsUsage } from "./chains.ts";
import { deployCommand, deployUsage } from "./deploy.ts";
import { exitCodes, operatorUsage, parkedCommand, reconcileCommand, retryCommand } from "./operator.ts";
import { start, startUsage } from "./start.ts";

const usage = `Usage: junction <command> [options]

Commands:
  start       run Junction (what npm start does)
  chains      run only the devnet's chains, for Junction processes to attach to
  deploy      deploy Junction's contracts to an EVM chain (the same addresses on every chain)
  reconcile   the ledger check of a running Junction
  parked      rows parked for an operator
  retry       make parked rows due again

junction <command> --help shows a command's options.

${startUsage}

${chainsUsage}

${deployUsage}

${operatorUsage}`;

/** Long-running commands keep the process alive; the others answer with an exit code. */
const commands: Record<string, (args: string[]) => Promise<number | undefined>> = {
  start: async (args) => {
    await start(args);
    return undefined;
  },
  chains: async (args) => {
    await chains(args);
    return undefined;
  },
  deploy: deployCommand,
  reconcile: reconcileCommand,
  parked: parkedCommand,
  retry: retryCommand,
};

export async function runCli(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "help") {
    console.log(usage);
    if (!name) process.exitCode = exitCodes.usage;
    return;
  }
  const command = commands[name];
  if (!command) {
    console.error(`junction: no command "${name}"; junction --help lists them`);
    process.exitCode = exitCodes.usage;
    return;
  }
  try {
    const code = await command(args);
    if (code !== undefined) process.exitCode = code;
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
