// Runs PGlite's initdb into the empty directory argv[2].
// Plain JavaScript so it starts without a TypeScript loader: src/store/pglite-cluster.ts runs it
// as a child process, which keeps initdb's memory peak out of the server.
import { PGlite } from "@electric-sql/pglite";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node pglite-initdb.mjs <directory>");
const pglite = await PGlite.create(dir);
await pglite.close();
