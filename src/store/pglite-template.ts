import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
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
 * A freshly initialised PGlite cluster as a gzipped tarball, to start a database from.
 *
 * Why: PGlite's initdb peaks near 1 GB of resident memory and keeps most of it for the life of
 * the process, while loading a tarball costs about a third of that, and a third of the time. So
 * initdb runs once per PGlite version, in a child process, and its output is kept in `.cache/`.
 */
export async function freshClusterTarball(cacheDir = join(projectRoot, ".cache")): Promise<Blob> {
  const file = join(cacheDir, `pglite-${pgliteVersion()}-cluster.tar.gz`);
  if (!existsSync(file)) {
    mkdirSync(cacheDir, { recursive: true });
    // Write then rename: concurrent starts (parallel test files) never read half a file.
    const partial = `${file}.${process.pid}.tmp`;
    await promisify(execFile)(process.execPath, [initdbScript, partial]);
    renameSync(partial, file);
  }
  return new Blob([readFileSync(file)]);
}
