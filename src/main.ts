import { runCli } from "./cli/index.ts";

/** `npm start`: `junction start`, with npm's arguments. */
await runCli(["start", ...process.argv.slice(2)]);
