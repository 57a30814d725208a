import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Abi, Hex } from "viem";
import { projectRoot } from "../paths.ts";

export const contractNames = [
  "DevToken",
  "DepositFactory",
  "Settlement",
  "Executor",
  "IntentEntrypoint",
  "IntermediaryAccountFactory",
  "IntermediaryAccount",
  "DemoVault",
  "Multicall3",
] as const;
export type ContractName = (typeof contractNames)[number];

export interface Artifact {
  abi: Abi;
  /** The init code (constructor arguments are appended to it). */
  bytecode: Hex;
  /** The runtime code as compiled: zeros where the constructor writes immutables. */
  deployedBytecode: Hex;
  /** Where in the runtime code the immutables are (byte offsets), for comparing code on chain. */
  immutableRanges: { start: number; length: number }[];
}
export type Artifacts = Record<ContractName, Artifact>;

const contractsDir = join(projectRoot, "contracts");
const require = createRequire(import.meta.url);

/** Cancun for transient storage and EIP-6780 self-destruct, which the deposit sweeper relies on. */
const settings = {
  optimizer: { enabled: true, runs: 10_000 },
  evmVersion: "cancun",
  outputSelection: {
    "*": {
      "*": [
        "abi",
        "evm.bytecode.object",
        "evm.deployedBytecode.object",
        "evm.deployedBytecode.immutableReferences",
      ],
    },
  },
} as const;

function readSources(): Record<string, { content: string }> {
  const sources: Record<string, { content: string }> = {};
  for (const file of readdirSync(contractsDir)
    .filter((f) => f.endsWith(".sol"))
    .sort()) {
    sources[file] = { content: readFileSync(join(contractsDir, file), "utf8") };
  }
  return sources;
}

/** Resolves `@openzeppelin/...` imports from node_modules, so the pinned npm package is the source. */
function findImport(path: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(require.resolve(path), "utf8") };
  } catch {
    return { error: `import not found: ${path}` };
  }
}

/** The pinned compiler's version, read without loading the compiler itself (130 MB resident). */
const solcVersion = require("solc/package.json").version as string;

function cacheKey(sources: Record<string, { content: string }>): string {
  const ozVersion = require("@openzeppelin/contracts/package.json").version as string;
  return createHash("sha256")
    .update(JSON.stringify({ solc: solcVersion, ozVersion, settings, sources }))
    .digest("hex")
    .slice(0, 16);
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<
    string,
    Record<
      string,
      {
        abi: Abi;
        evm: {
          bytecode: { object: string };
          deployedBytecode: {
            object: string;
            immutableReferences?: Record<string, { start: number; length: number }[]>;
          };
        };
      }
    >
  >;
}

function runSolc(sources: Record<string, { content: string }>): Artifacts {
  const input = { language: "Solidity", sources, settings };
  // Loaded only on a cache miss, so a start that reuses the cached output never holds it.
  const solc = require("solc") as typeof import("solc").default;
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0)
    throw new Error(`Solidity compilation failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  const artifacts = {} as Artifacts;
  for (const name of contractNames) {
    const file = Object.keys(output.contracts).find((f) => output.contracts[f]?.[name] && !f.startsWith("@"));
    const contract = file ? output.contracts[file]?.[name] : undefined;
    if (!contract) throw new Error(`contract ${name} missing from compiler output`);
    const deployed = contract.evm.deployedBytecode;
    artifacts[name] = {
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${deployed.object}`,
      immutableRanges: Object.values(deployed.immutableReferences ?? {}).flat(),
    };
  }
  return artifacts;
}

export interface CompileResult {
  artifacts: Artifacts;
  fromCache: boolean;
}

/**
 * Compiles `contracts/` with the pinned solc, keyed by a hash of compiler, settings and every
 * source, so an unchanged tree is read back from `.cache/` instead of recompiled.
 */
export function compileContracts(cacheDir = join(projectRoot, ".cache")): CompileResult {
  const sources = readSources();
  const cacheFile = join(cacheDir, `contracts-${cacheKey(sources)}.json`);
  if (existsSync(cacheFile)) {
    return { artifacts: JSON.parse(readFileSync(cacheFile, "utf8")) as Artifacts, fromCache: true };
  }
  const artifacts = runSolc(sources);
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename: a concurrent start (parallel test files) never reads half a file.
  const partial = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(artifacts));
  renameSync(partial, cacheFile);
  return { artifacts, fromCache: false };
}
