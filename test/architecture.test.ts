import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../src/paths.ts";

/**
 * The layering, checked on every import in src (tests beside the code included):
 *
 *   core ◀── config ◀── chains ◀── engine ◀── api/{trails,connect}
 *    ▲ ▲                            │  ▲
 *    │ └──────── store ◀────────────┘  └── main.ts, app.ts ──▶ devnet
 *
 * core is pure and imports only core (its tests may use test/support); config imports only core;
 * SQL lives only in store (nothing else imports kysely or a database driver); store and chains import neither the engine nor the API;
 * the API reaches the engine through its façade (engine/engine.ts) alone and never the store;
 * the two dialects never import each other; only src/devnet and the entry points (main.ts,
 * app.ts, the junction command in cli/) import src/devnet.
 */

const src = join(projectRoot, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every import of every file under src: relative ones as paths relative to src, packages by name. */
const allImports = sourceFiles(src).flatMap((file) => {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return importedFiles.map((i) => ({
    from: relative(src, file),
    to: i.fileName.startsWith(".") ? relative(src, resolve(dirname(file), i.fileName)) : i.fileName,
    relative: i.fileName.startsWith("."),
  }));
});
const imports = allImports.filter((i) => i.relative).map(({ from, to }) => ({ from, to }));

/** The database drivers and query builder: whoever imports one could write SQL. */
const sqlPackages = new Set(["kysely", "pg", "@electric-sql/pglite"]);

/** The layer a path under src belongs to: its first folder, or for the API its dialect. */
function layer(path: string): string {
  const [top, second] = path.split("/");
  if (top === "api" && (second === "trails" || second === "connect")) return `api/${second}`;
  return top?.endsWith(".ts") ? top.slice(0, -3) : (top ?? "");
}

const entryPoint = new Set(["main", "app", "cli"]);

/** Why an import is not allowed, or null. */
function violation(from: string, to: string): string | null {
  const a = layer(from);
  const b = layer(to);
  if (to.startsWith("../test/support/") && from.endsWith(".test.ts")) return null;
  if (to.startsWith("..")) return "imports from outside src (tests may use test/support)";
  if (a === "core" && b !== "core") return "core imports only core";
  if (a === "config" && !["config", "core", "paths"].includes(b)) return "config imports only core";
  if ((a === "store" || a === "chains") && (b.startsWith("api") || b === "engine")) {
    return `${a} imports neither the engine nor the API`;
  }
  if (a === "store" && b === "chains") return "store does not import chains";
  if (a === "chains" && b === "store") return "chains does not import store";
  if (a.startsWith("api") && b === "store") return "the API reaches the store only through the engine";
  if (a.startsWith("api") && b === "engine" && to !== "engine/engine.ts") {
    return "the API reaches the engine through its façade, engine/engine.ts";
  }
  if ((a === "api/trails" && b === "api/connect") || (a === "api/connect" && b === "api/trails")) {
    return "the two dialects never import each other";
  }
  if (b === "devnet" && a !== "devnet" && !entryPoint.has(a)) return "only the entry point imports devnet";
  return null;
}

describe("import boundaries", () => {
  it("finds the imports it checks", () => {
    expect(imports.length).toBeGreaterThan(200);
    expect(imports).toContainEqual({ from: "api/trails/render.ts", to: "engine/engine.ts" });
  });

  it("every import in src keeps to the layering", () => {
    const broken = imports.flatMap(({ from, to }) => {
      const why = violation(from, to);
      return why ? [`${from} → ${to}: ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it("SQL lives only in store: nothing else imports the query builder or a database driver", () => {
    const outside = allImports.filter((i) => sqlPackages.has(i.to) && layer(i.from) !== "store");
    expect(outside.map((i) => `${i.from} → ${i.to}`)).toEqual([]);
    expect(allImports.some((i) => i.to === "kysely" && layer(i.from) === "store")).toBe(true);
  });

  it.each([
    ["core/quote.ts", "store/intents.ts"],
    ["store/intents.ts", "engine/engine.ts"],
    ["chains/gateway.ts", "api/server.ts"],
    ["api/trails/render.ts", "api/connect/render.ts"],
    ["api/connect/plugin.ts", "store/executions.ts"],
    ["api/trails/render.ts", "engine/intents/views.ts"],
    ["config/load.ts", "devnet/accounts.ts"],
    ["config/schema.ts", "chains/registry.ts"],
    ["api/context.ts", "devnet/accounts.ts"],
  ])("would refuse %s → %s", (from, to) => {
    expect(violation(from, to)).not.toBeNull();
  });
});
