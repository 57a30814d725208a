import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { projectRoot } from "../../src/paths.ts";

export interface RunningJunction {
  child: ChildProcess;
  url: string;
  output: () => string;
  /**
   * Sends `signal` and resolves with the exit code; a process still running STOP_GRACE_MS later is
   * SIGKILLed (a stop that hangs must not hang the test).
   */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  /** How long the summary may take to appear. */
  timeoutMs?: number;
  /** `start` (as `npm start` runs), or `junction chains`. */
  command?: "start" | "chains";
  /** Each piece of the process's output (stdout and stderr) as it comes, e.g. to keep it in a file. */
  onOutput?: (chunk: string) => void;
}

const STOP_GRACE_MS = 30_000;

/** The processes spawned and not yet exited: killed if the test process ends first (a timeout). */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Runs `src/main.ts` as `npm start` does (or, with `command`, `junction <command>`), in its own
 * process, and resolves once it has printed its summary (for `start`, whose "Base URL" line gives
 * the address).
 */
export async function spawnJunction(
  args: string[],
  env: Record<string, string>,
  { timeoutMs = 90_000, command = "start", onOutput = () => {} }: SpawnOptions = {},
): Promise<RunningJunction> {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const entry = command === "start" ? ["--import", "tsx", "src/main.ts"] : ["bin/junction.mjs", command];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: projectRoot,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      onOutput(chunk.toString());
    });
  }
  const exited = once(child, "exit").then(([code]) => {
    running.delete(child);
    return code as number | null;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no summary after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const match = /Base URL\s+(http:\/\/\S+)/.exec(output);
      if ((match || command !== "start") && output.includes("Press Ctrl-C to stop.")) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match?.[1] ?? "");
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before its summary:\n${output}`));
    });
  });
  return {
    child,
    url,
    output: () => output,
    async stop(signal) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
