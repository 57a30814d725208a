import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { projectRoot } from "../../src/paths.ts";

export interface RunningJunction {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `src/main.ts` as `npm start` does (or, with `command`, `junction <command>`), in its own
 * process, and resolves once it has printed its summary (for `start`, whose "Base URL" line gives
 * the address).
 */
export async function spawnJunction(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 90_000,
  command: "start" | "chains" = "start",
): Promise<RunningJunction> {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const entry = command === "start" ? ["--import", "tsx", "src/main.ts"] : ["bin/junction.mjs", command];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: projectRoot,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no summary after ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
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
      return exited;
    },
  };
}
