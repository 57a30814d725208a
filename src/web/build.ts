import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { projectRoot } from "../paths.ts";

const webDir = join(projectRoot, "web");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

/**
 * What the bundle is made of: the app's sources, the engine's code it imports (the event types),
 * and the locked versions of what builds it. Equal keys, equal bundles.
 */
function cacheKey(): string {
  const hash = createHash("sha256");
  const inputs = [
    ...files(webDir),
    ...files(join(projectRoot, "src/core")),
    join(projectRoot, "package-lock.json"),
  ];
  for (const file of inputs) hash.update(relative(projectRoot, file)).update(readFileSync(file));
  return hash.digest("hex").slice(0, 16);
}

export interface WebBuild {
  /** The built app: index.html and assets/. */
  dir: string;
  fromCache: boolean;
}

/**
 * Builds the web app from `web/` with Vite, keyed by a hash of its sources, so an unchanged tree
 * is served from `.cache/` without building (like the contracts). A build goes to a directory of
 * its own and is renamed into place, so two processes starting at once never serve half of one.
 */
export async function buildWebApp(cacheDir = join(projectRoot, ".cache")): Promise<WebBuild> {
  const dir = join(cacheDir, `web-${cacheKey()}`);
  if (existsSync(join(dir, "index.html"))) return { dir, fromCache: true };
  mkdirSync(cacheDir, { recursive: true });
  const outDir = `${dir}.${randomUUID()}.tmp`;
  // Loaded only to build: a start that finds the bundle cached never loads the bundler.
  const { build } = await import("vite");
  await build({ root: webDir, configFile: join(webDir, "vite.config.ts"), build: { outDir } });
  try {
    renameSync(outDir, dir);
  } catch (err) {
    // Another process finished the same build first: its copy is as good as ours.
    rmSync(outDir, { recursive: true, force: true });
    if (!existsSync(join(dir, "index.html"))) throw err;
  }
  return { dir, fromCache: false };
}
