#!/usr/bin/env node
/**
 * Adds lockfile entries for platform-specific optional packages that npm left out.
 *
 * A registry mirror that serves only this machine's platform (as on Junction's CI machines) makes
 * npm omit the other platforms' binary packages (anvil, biome, esbuild, ...) from
 * package-lock.json, and `npm ci` then rejects the lock as out of sync. Each missing entry is
 * restored with its exact version and the os/cpu read off its name, so npm skips it here and
 * fetches it on the platform it is for. Run after `npm install`: `node scripts/complete-lock.mjs`.
 */
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));

const osNames = {
  darwin: "darwin",
  linux: "linux",
  win32: "win32",
  windows: "win32",
  android: "android",
  freebsd: "freebsd",
};
const cpuNames = { x64: "x64", amd64: "x64", arm64: "arm64", aarch64: "arm64", ia32: "ia32", arm: "arm" };

function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.map((p) => osNames[p]).find(Boolean);
  const cpu = parts.map((p) => cpuNames[p]).find(Boolean);
  if (!os || !cpu) return null;
  const libc = parts.includes("musl")
    ? "musl"
    : parts.includes("gnu") && os === "linux"
      ? "glibc"
      : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `${path ? `${path}/` : ""}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[hoisted]) continue;
    const platform = platformOf(name);
    if (!platform || !/^\d+\.\d+\.\d+/.test(spec)) continue; // only exact-version platform binaries
    lock.packages[hoisted] = {
      version: spec,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: added ${added} platform package entries`);
