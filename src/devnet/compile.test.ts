import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileContracts, contractNames } from "./compile.ts";
import { abiFile, renderAbiModule } from "./compile-cli.ts";

const cacheDir = mkdtempSync(join(tmpdir(), "junction-solc-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("compileContracts", () => {
  it("compiles every contract once, then reads the cached output", () => {
    const first = compileContracts(cacheDir);
    expect(first.fromCache).toBe(false);
    for (const name of contractNames) expect(first.artifacts[name].bytecode.length).toBeGreaterThan(100);
    const second = compileContracts(cacheDir);
    expect(second.fromCache).toBe(true);
    expect(second.artifacts).toEqual(first.artifacts);
  });

  it("src/chains/abi.gen.ts matches the contracts (run `npm run compile:contracts` when this fails)", () => {
    const { artifacts } = compileContracts(cacheDir);
    expect(readFileSync(abiFile, "utf8")).toBe(renderAbiModule(artifacts));
  });
});
