import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import type { FastifyPluginAsync } from "fastify";
import type { AppContext } from "./context.ts";
import { openApiDocument } from "./openapi.ts";

const require = createRequire(import.meta.url);
/** RapiDoc's self-contained bundle, served from node_modules: the page needs no network. */
const rapidoc = require.resolve("rapidoc/dist/rapidoc-min.js");

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Junction API</title>
  <script type="module" src="/docs/rapidoc-min.js"></script>
</head>
<body>
  <rapi-doc spec-url="/openapi.json" render-style="read" show-header="false" allow-server-selection="false"
    schema-style="table" default-schema-tab="schema"></rapi-doc>
</body>
</html>`;

/** GET /openapi.json (both APIs, from the schemas that validate requests) and GET /docs, rendering it. */
export function docsRoute(ctx: AppContext): FastifyPluginAsync {
  const document = openApiDocument(ctx.version);
  return async (app) => {
    app.get("/openapi.json", async () => document);
    app.get("/docs", async (_request, reply) => reply.type("text/html; charset=utf-8").send(page));
    app.get("/docs/rapidoc-min.js", async (_request, reply) =>
      reply.type("text/javascript; charset=utf-8").send(createReadStream(rapidoc)),
    );
  };
}
