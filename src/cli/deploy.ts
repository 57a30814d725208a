import { parseArgs } from "node:util";
import {
  type Address,
  defineChain,
  encodeDeployData,
  getAddress,
  type Hex,
  isAddress,
  isHex,
  keccak256,
  stringToHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { publicClientFor, walletClientFor } from "../chains/clients.ts";
import {
  codeMatches,
  DEPLOYER_PROXY,
  deployDeterministic,
  ensureDeployerProxy,
} from "../chains/deterministic-deployer.ts";
import type { ChainContractName } from "../config/schema.ts";
import { devnetDefaults } from "../devnet/accounts.ts";
import { type Artifact, compileContracts } from "../devnet/compile.ts";
import { exitCodes } from "./operator.ts";

export const deployUsage = `Usage: junction deploy --rpc-url URL [--chain-id N] [--solver ADDR] [--executor ADDR] [--json]

Deploys Junction's contracts (Executor, Settlement, DepositFactory, IntentEntrypoint,
IntermediaryAccountFactory) to an EVM chain at the same addresses on every chain: CREATE2 through
the well-known deployment proxy at ${DEPLOYER_PROXY} (itself deployed first if the chain lacks
it). The key in JUNCTION_DEPLOYER_KEY pays and becomes the owner (inventory withdrawals, key
rotation). The solver and executor the contracts trust: --solver and --executor, else the
addresses of JUNCTION_SOLVER_KEY and JUNCTION_EXECUTOR_KEY, else the devnet's. The configuration
file is not read. A second run finds them and deploys nothing. Each
contract's code on chain is checked against the compiled code. Prints the chain's "contracts"
block for the configuration.

  --rpc-url   the chain's JSON-RPC endpoint
  --chain-id  refuse to run unless the endpoint's chain has this id
  --solver    the solver's address (Settlement lets only it fill)
  --executor  the executor's address (IntermediaryAccountFactory lets only it run steps)
  --json      print {"chainId": N, "contracts": {name: address}} only
  --help      show this text

Exit codes: 0 deployed or already there; 1 a deployment or a code check failed; 2 bad usage or
configuration; 3 the chain not reachable.`;

/** One salt for every Junction deployment: with the same keys, the same addresses everywhere. */
const SALT = keccak256(stringToHex("junction:contracts:v1"));

const order = [
  "Executor",
  "Settlement",
  "DepositFactory",
  "IntentEntrypoint",
  "IntermediaryAccountFactory",
] as const;
type Deployed = Exclude<ChainContractName, "DemoVault">;

function deployerAccount() {
  const key = process.env.JUNCTION_DEPLOYER_KEY;
  if (!key || !isHex(key) || key.length !== 66) {
    console.error(
      "JUNCTION_DEPLOYER_KEY: required, the deploying account's private key (0x + 64 hex); it pays and owns",
    );
    process.exit(exitCodes.usage);
  }
  return privateKeyToAccount(key);
}

function parse(args: string[]) {
  try {
    const { values } = parseArgs({
      args,
      options: {
        "rpc-url": { type: "string" },
        "chain-id": { type: "string" },
        solver: { type: "string" },
        executor: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean" },
      },
    });
    return values;
  } catch (err) {
    console.error(`${(err as Error).message}; junction deploy --help shows the options`);
    process.exit(exitCodes.usage);
  }
}

/**
 * The solver and executor the contracts trust: `--solver` / `--executor` addresses, else the
 * addresses of JUNCTION_SOLVER_KEY / JUNCTION_EXECUTOR_KEY, else the devnet's. Not from the
 * configuration file: a live configuration needs the addresses this command prints.
 */
function roleAddresses(values: { solver?: string; executor?: string }): {
  solver: Address;
  executor: Address;
} {
  const defaults = devnetDefaults();
  const pick = (role: "solver" | "executor", flag: string | undefined, envName: string): Address => {
    if (flag !== undefined) {
      if (!isAddress(flag, { strict: false })) {
        console.error(`--${role}: ${flag} is not an address (0x + 40 hex)`);
        process.exit(exitCodes.usage);
      }
      return getAddress(flag);
    }
    const key = process.env[envName];
    if (key !== undefined) {
      if (!isHex(key) || key.length !== 66) {
        console.error(`${envName}: expected a 0x-prefixed 32-byte hex private key`);
        process.exit(exitCodes.usage);
      }
      return privateKeyToAccount(key).address;
    }
    return privateKeyToAccount(defaults.keys[role]).address;
  };
  return {
    solver: pick("solver", values.solver, "JUNCTION_SOLVER_KEY"),
    executor: pick("executor", values.executor, "JUNCTION_EXECUTOR_KEY"),
  };
}

/** `junction deploy`: see deployUsage. */
export async function deployCommand(args: string[]): Promise<number> {
  const values = parse(args);
  if (values.help) {
    console.log(deployUsage);
    return exitCodes.ok;
  }
  const rpcUrl = values["rpc-url"];
  if (!rpcUrl || !/^https?:\/\//.test(rpcUrl)) {
    console.error("--rpc-url: required, the chain's JSON-RPC endpoint (http:// or https://)");
    return exitCodes.usage;
  }
  const wantId = values["chain-id"] === undefined ? null : Number(values["chain-id"]);
  if (wantId !== null && (!Number.isInteger(wantId) || wantId <= 0)) {
    console.error(`--chain-id: ${values["chain-id"]} is not a chain id (a positive integer)`);
    return exitCodes.usage;
  }
  const roles = roleAddresses(values);
  const owner = deployerAccount();
  const say = (line: string) => {
    if (!values.json) console.log(line);
  };

  const probe = publicClientFor(
    defineChain({
      id: 1,
      name: "probe",
      nativeCurrency: { name: "", symbol: "", decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } },
    }),
  );
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (err) {
    console.error(`${rpcUrl} does not answer: ${(err as Error).message.split("\n")[0]}`);
    return exitCodes.unreachable;
  }
  if (wantId !== null && wantId !== chainId) {
    console.error(`--chain-id: ${rpcUrl} is chain ${chainId}, not ${wantId}`);
    return exitCodes.usage;
  }
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "", symbol: "", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const client = publicClientFor(chain);
  const wallet = walletClientFor(chain, owner);

  const { artifacts } = compileContracts();
  say(`chain ${chainId} at ${rpcUrl}; deployer and owner ${owner.address}`);
  if (await ensureDeployerProxy(client, wallet)) say(`  deployment proxy deployed at ${DEPLOYER_PROXY}`);

  const contracts = {} as Record<Deployed, Address>;
  const argsOf = (name: Deployed): readonly unknown[] => {
    switch (name) {
      case "Settlement":
        return [contracts.Executor, roles.solver, owner.address];
      case "DepositFactory":
        return [contracts.Settlement, roles.solver];
      case "IntermediaryAccountFactory":
        return [roles.executor, owner.address];
      default:
        return [];
    }
  };
  let failed = false;
  for (const name of order) {
    const artifact = artifacts[name] as Artifact;
    const initCode: Hex = encodeDeployData({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args: argsOf(name),
    });
    const { address, deployed } = await deployDeterministic(client, wallet, initCode, SALT);
    contracts[name] = address;
    const verified = await codeMatches(client, address, artifact);
    if (!verified) failed = true;
    say(
      `  ${name.padEnd(28)} ${address}  ${deployed ? "deployed" : "already there"}${verified ? ", code verified" : ", CODE DIFFERS from the compiled contract"}`,
    );
  }
  if (values.json) {
    console.log(JSON.stringify({ chainId, contracts }));
  } else {
    say("");
    say(`The chain's "contracts" block for the configuration (chains[] entry of chain ${chainId}):`);
    say(JSON.stringify({ contracts }, null, 2));
  }
  return failed ? exitCodes.discrepancies : exitCodes.ok;
}
