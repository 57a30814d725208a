import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/** npm's @foundry-rs/anvil ships the binary in one optional package per platform. */
function anvilBinary(): string {
  const os = { linux: "linux", darwin: "darwin", win32: "win32" }[process.platform as string];
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch as string];
  if (!os || !arch) throw new Error(`anvil is not published for ${process.platform}/${process.arch}`);
  const pkg = `@foundry-rs/anvil-${os}-${arch}`;
  try {
    return join(
      dirname(require.resolve(`${pkg}/package.json`)),
      "bin",
      os === "win32" ? "anvil.exe" : "anvil",
    );
  } catch {
    throw new Error(
      `${pkg} is not installed: run \`npm ci\` (it is an optional dependency of @foundry-rs/anvil)`,
    );
  }
}

export interface AnvilOptions {
  chainId: number;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  accounts: number;
  /** Native coin per account, in whole coins. */
  balance: number;
  /** When set, state is loaded from and dumped to this file. */
  statePath?: string;
}

export interface AnvilProcess {
  chainId: number;
  port: number;
  rpcUrl: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/**
 * If this process exits without stopping its chains, their guards stop them (and they would
 * anyway once our end of their stdin closes).
 */
process.once("exit", () => {
  for (const child of running) child.kill("SIGTERM");
});

function argsFor(options: AnvilOptions): string[] {
  const args = [
    "--chain-id",
    String(options.chainId),
    "--port",
    String(options.port),
    "--host",
    options.host ?? "127.0.0.1",
    "--accounts",
    String(options.accounts),
    "--balance",
    String(options.balance),
  ];
  // Dump every few seconds as well as on exit, so a crash loses little chain state.
  if (options.statePath) args.push("--state", options.statePath, "--state-interval", "5");
  return args;
}

/** Ends the command it runs when this process dies, even by SIGKILL (see the file). */
const parentGuard = join(dirname(fileURLToPath(import.meta.url)), "parent-guard.mjs");

/**
 * Starts one anvil chain (automine) and resolves once it listens. The chain runs under a guard
 * that stops it if this process dies without stopping it, so a restart always finds its ports free.
 */
export function startAnvil(options: AnvilOptions, readyTimeoutMs = 30_000): Promise<AnvilProcess> {
  const child = spawn(process.execPath, [parentGuard, anvilBinary(), ...argsFor(options)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => running.delete(child));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM"); // the guard passes it on (anvil dumps its state), then insists
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill("SIGTERM");
      reject(new Error(`anvil for chain ${options.chainId}: ${message}\n${output.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${readyTimeoutMs} ms`), readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on ([\d.]+):(\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stdout?.resume(); // keep draining so anvil never blocks on a full pipe
      const port = Number(match[2]);
      resolve({ chainId: options.chainId, port, rpcUrl: `http://${match[1]}:${port}`, stop });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("error", (err) => fail(err.message));
    child.once("exit", (code) => {
      if (/Address already in use/i.test(output))
        fail(`port ${options.port} is already in use; stop what holds it or set chains[].port`);
      else fail(`exited with code ${code} before listening`);
    });
  });
}
