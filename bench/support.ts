/**
 * Shared by the load benches: runs Junction as its own process (as `npm start` does) on free
 * ports, watches its memory and CPU through /proc, and stops it and its anvil chains.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, freemem, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import type { Address } from "viem";
import { loadConfig } from "../src/config/load.ts";
import type { Config } from "../src/config/schema.ts";
import { percentile as nearestRank } from "../src/core/percentile.ts";
import { devnetDefaults } from "../src/devnet/accounts.ts";
import { projectRoot } from "../src/paths.ts";

/** A port nothing listens on right now: the kernel's pick for a throwaway listener. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long the server gets to stop after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 30_000;

/** The anvil processes whose parent is `pid` (the server's chains), from /proc. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (Number(fields[1]) === pid && command === "anvil") found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A /proc/<pid>/status field in kB (VmRSS, VmHWM), or null once the process is gone. */
function statusKb(pid: number, field: string): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

let clockTicks: number | undefined;
/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

export interface DevnetInfo {
  chains: {
    chainId: number;
    name: string;
    slug: string;
    rpcUrl: string;
    tokens: { symbol: string; address: Address; decimals: number }[];
    contracts: Record<string, Address>;
  }[];
  accounts: { address: Address; privateKey: `0x${string}` }[];
  connectApiKey?: string;
}

export interface Server {
  url: string;
  pid: number;
  child: ChildProcess;
  startupMs: number;
  /** The anvil processes the server started. */
  anvils: number[];
  /** Resident memory now, MB. */
  rssMb(): number | null;
  /** Peak resident memory so far (VmHWM, kept by the kernel), MB. */
  peakMb(): number | null;
  /** Peak resident memory when it first answered healthy (startup's share of the peak), MB. */
  startupPeakMb: number | null;
  /** Highest VmRSS the 250 ms sampler saw since the last call (or since healthy), MB; resets. */
  takeSampledPeakMb(): number;
  /** Highest sum of the anvils' VmRSS seen by the sampler, MB. */
  anvilPeakMb(): number;
  devnet(): Promise<DevnetInfo>;
  /** The last lines of the server's output, for diagnosis. */
  tail(lines?: number): string;
  /** The server's log lines at warn level and above so far (JSON, as logged). */
  warnings(): string[];
  /** SIGTERM, wait for exit, then confirm the anvils are gone; returns what happened. */
  stop(): Promise<string>;
}

/**
 * Spawns `src/main.ts` with the devnet profile on a free port (chains on ports of their own),
 * nothing persisted, JSON logs; resolves once `GET /health` answers 200.
 */
export async function startServer(env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Server> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "junction-bench-"));
  const { DATABASE_URL: _ignored, JUNCTION_CONFIG: _ignored2, ...inherited } = process.env;
  const started = Date.now();
  // BENCH_CPU_PROFILE=<dir>: the server writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_CPU_PROFILE;
  const profiling = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [];
  const child = spawn(process.execPath, [...profiling, "--import", "tsx", "src/main.ts"], {
    cwd: projectRoot,
    env: {
      ...inherited,
      PORT: String(port),
      JUNCTION_DEVNET_PORT: "0",
      JUNCTION_DATA_DIR: dataDir,
      JUNCTION_PERSIST: "false",
      LOG_FORMAT: "json",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn the server");
  const lines: string[] = [];
  const warnings: string[] = [];
  let afterSignal: string[] | null = null;
  let partial = "";
  const keep = (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const complete = text.split("\n");
    partial = complete.pop() ?? "";
    for (const line of complete.filter(Boolean)) {
      lines.push(line);
      afterSignal?.push(line);
      // pino JSON: level 40 is warn, 50 error, 60 fatal.
      if (/^\{"level":(4|5|6)0,/.test(line) && warnings.length < 2_000) warnings.push(line);
    }
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as string | null,
  }));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const tail = (n = 30) => lines.slice(-n).join("\n");
  const url = `http://127.0.0.1:${port}`;

  const cleanupDir = () => rmSync(dataDir, { recursive: true, force: true });
  try {
    for (;;) {
      if (gone) throw new Error(`server exited during startup:\n${tail()}`);
      if (Date.now() - started > timeoutMs)
        throw new Error(`no healthy server after ${timeoutMs} ms:\n${tail()}`);
      const ok = await fetch(`${url}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(250);
    }
  } catch (err) {
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(15_000)]);
    cleanupDir();
    throw err;
  }
  const startupMs = Date.now() - started;
  const anvils = childrenOf(pid);

  let anvilPeakKb = 0;
  let sampledKb = 0;
  const sampler = setInterval(() => {
    sampledKb = Math.max(sampledKb, statusKb(pid, "VmRSS") ?? 0);
    const sum = anvils.reduce((s, p) => s + (statusKb(p, "VmRSS") ?? 0), 0);
    anvilPeakKb = Math.max(anvilPeakKb, sum);
  }, 250);
  sampler.unref();

  const mb = (kb: number | null) => (kb === null ? null : kb / 1024);
  return {
    url,
    pid,
    child,
    startupMs,
    anvils,
    rssMb: () => mb(statusKb(pid, "VmRSS")),
    peakMb: () => mb(statusKb(pid, "VmHWM")),
    startupPeakMb: mb(statusKb(pid, "VmHWM")),
    takeSampledPeakMb() {
      const peak = Math.max(sampledKb, statusKb(pid, "VmRSS") ?? 0);
      sampledKb = 0;
      return peak / 1024;
    },
    anvilPeakMb: () => anvilPeakKb / 1024,
    async devnet() {
      const res = await fetch(`${url}/devnet`);
      if (!res.ok) throw new Error(`GET /devnet answered ${res.status}`);
      return (await res.json()) as DevnetInfo;
    },
    tail,
    warnings: () => [...warnings],
    async stop() {
      clearInterval(sampler);
      const notes: string[] = [];
      if (!gone) {
        const signalled = Date.now();
        afterSignal = [];
        child.kill("SIGTERM");
        const result = await Promise.race([exited, sleep(STOP_GRACE_MS).then(() => null)]);
        const took = ((Date.now() - signalled) / 1000).toFixed(1);
        if (!result) {
          notes.push(`server still running ${took} s after SIGTERM: SIGKILL`);
          child.kill("SIGKILL");
          await exited;
        } else {
          notes.push(
            `server exited ${took} s after SIGTERM (code ${result.code}${result.signal ? `, signal ${result.signal}` : ""})`,
          );
        }
        if (!result || Date.now() - signalled > 5_000) {
          const shown = afterSignal.slice(-20).map((l) => `    ${l.slice(0, 400)}`);
          notes.push(`its log after SIGTERM (last ${shown.length} lines):\n${shown.join("\n")}\n`);
        }
      }
      // The server stops its chains on SIGTERM; confirm, and take down any it left behind.
      const deadline = Date.now() + 5_000;
      while (anvils.some(alive) && Date.now() < deadline) await sleep(100);
      const left = anvils.filter(alive);
      for (const p of left) process.kill(p, "SIGKILL");
      notes.push(
        left.length === 0
          ? `all ${anvils.length} anvil processes exited`
          : `anvil pids ${left.join(", ")} outlived the server: SIGKILL`,
      );
      cleanupDir();
      return notes.join("; ");
    },
  };
}

/**
 * `junction chains` in a process of its own: the devnet's chains alone, published in `dataDir`, so
 * that servers started with the same data directory attach to them (several processes, one set
 * of chains). Resolves once they are published; `stop` ends them.
 */
export async function startChains(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ stop(): Promise<void> }> {
  const { DATABASE_URL: _ignored, JUNCTION_CONFIG: _ignored2, ...inherited } = process.env;
  const child = spawn(process.execPath, ["bin/junction.mjs", "chains"], {
    cwd: projectRoot,
    env: {
      ...inherited,
      JUNCTION_DATA_DIR: dataDir,
      JUNCTION_DEVNET_PORT: "0",
      JUNCTION_PERSIST: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit");
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`junction chains did not start:\n${output}`)), 120_000);
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Chains running")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    void exited.then(() => reject(new Error(`junction chains exited:\n${output}`)));
  });
  return {
    async stop() {
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(STOP_GRACE_MS)]);
      child.kill("SIGKILL");
    },
  };
}

/** Stops the server if the bench is interrupted. */
export function stopOnSignal(server: Server): void {
  const handler = (signal: NodeJS.Signals) => {
    void server.stop().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
}

/** The machine, in one line: cores, memory, Node version. */
export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const gb = (n: number) => (n / 2 ** 30).toFixed(1);
  return `${cpus().length} cores (${cpu}), ${gb(totalmem())} GB RAM (${gb(freemem())} GB free), Node ${process.version}, ${process.platform} ${process.arch}`;
}

/** Nearest-rank percentile of `values` (need not be sorted); NaN when empty, which prints as such. */
export const percentile = (values: number[], p: number): number => nearestRank(values, p) ?? Number.NaN;

/** A markdown table, columns padded; `rightAligned[i]` for numeric columns. */
export function table(header: string[], body: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (rightAligned[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(header), rule, ...body.map(line)].join("\n");
}

export const fmt = (n: number | null, digits = 1): string =>
  n === null || Number.isNaN(n) ? "n/a" : n.toFixed(digits);

/**
 * The devnet profile for a Junction run inside the bench's own process: free ports, automine,
 * nothing persisted, in a fresh temporary data directory (the caller removes it).
 */
export function inProcessDevnetConfig(): { dataDir: string; config: Config } {
  const dataDir = mkdtempSync(join(tmpdir(), "junction-bench-"));
  const config = loadConfig(
    {
      PORT: "0",
      JUNCTION_DATA_DIR: dataDir,
      JUNCTION_DEVNET_PORT: "0",
      JUNCTION_MINING: "auto",
      JUNCTION_PERSIST: "false",
    },
    dataDir,
    devnetDefaults(),
  );
  return { dataDir, config };
}
