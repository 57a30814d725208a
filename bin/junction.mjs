#!/usr/bin/env node
// The `junction` command: Junction runs from its TypeScript sources, through tsx.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/index.ts");
await runCli(process.argv.slice(2));
