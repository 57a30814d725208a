// Runs PGlite's initdb and writes the fresh cluster, gzipped, to the path in argv[2].
// Plain JavaScript so it starts without a TypeScript loader: src/store/pglite-template.ts runs it
// as a child process, which keeps initdb's memory peak out of the server.
import { writeFileSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";

const out = process.argv[2];
if (!out) throw new Error("usage: node pglite-initdb.mjs <output.tar.gz>");
const pglite = await PGlite.create();
const tarball = await pglite.dumpDataDir("gzip");
writeFileSync(out, Buffer.from(await tarball.arrayBuffer()));
await pglite.close();
