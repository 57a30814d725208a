import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { projectRoot } from "../paths.ts";

const require = createRequire(import.meta.url);
const initdbScript = fileURLToPath(new URL("./pglite-initdb.mjs", import.meta.url));

function pgliteVersion(): string {
  // The package exports no package.json; it sits two levels above the entry point.
  const entry = require.resolve("@electric-sql/pglite");
  const manifest = join(dirname(entry), "..", "package.json");
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

/**
 * Puts a freshly initialised PGlite cluster into `dataDir` (which must hold none yet).
 *
 * Why a copy: PGlite's initdb peaks near 1 GB of resident memory and keeps most of it for the life
 * of the process. So initdb runs once per PGlite version, in a child process, into `.cache/`, and
 * each new database starts as a copy of that directory: no initdb memory in the server, and a
 * third of the time.
 */
export async function initCluster(dataDir: string, cacheDir = join(projectRoot, ".cache")): Promise<void> {
  const template = join(cacheDir, `pglite-${pgliteVersion()}-cluster`);
  if (!existsSync(join(template, "PG_VERSION"))) {
    mkdirSync(cacheDir, { recursive: true });
    // Made aside, then renamed into place: a concurrent start (parallel test files) never copies
    // half a cluster, and the one that loses the race drops its own.
    const partial = `${template}.${process.pid}.tmp`;
    rmSync(partial, { recursive: true, force: true });
    await promisify(execFile)(process.execPath, [initdbScript, partial]);
    try {
      renameSync(partial, template);
    } catch {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  cpSync(template, dataDir, { recursive: true });
}
