import { readFileSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";

/** The app's pages: other tools link to these paths. */
const pages = ["/", "/intents/:id", "/executions/:id", "/playground", "/operator"];

/** Paths of the APIs and the server's own endpoints: never answered with the app. */
const apiPrefixes = ["/rpc/", "/api/", "/admin", "/events", "/nodes/", "/indexer/", "/docs", "/openapi.json"];

/**
 * The web app, built into `dir`: its pages answered with index.html (the app routes in the
 * browser), its hashed assets cached for a year (a new build has new names).
 */
export function webRoute(dir: string): FastifyPluginAsync {
  return async (app) => {
    await app.register(fastifyStatic, {
      root: join(dir, "assets"),
      prefix: "/assets/",
      immutable: true,
      maxAge: "365d",
      index: false,
    });
    for (const page of pages) {
      app.get(page, (_request, reply) => sendAppPage(dir, reply));
    }
  };
}

/**
 * Whether a request no route serves is a person's browser asking for a page: it then gets the
 * app's own not-found page (with status 404) instead of the APIs' JSON error.
 */
export function wantsAppPage(request: FastifyRequest): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  if (apiPrefixes.some((prefix) => request.url.startsWith(prefix))) return false;
  return (request.headers.accept ?? "").includes("text/html");
}

/** Each build's index.html, read once: a build never changes under its directory's name. */
const indexPages = new Map<string, Buffer>();

/** The app's one HTML page (it routes in the browser); never cached, so a new build shows at once. */
export function sendAppPage(dir: string, reply: FastifyReply, status = 200): void {
  let page = indexPages.get(dir);
  if (!page) {
    page = readFileSync(join(dir, "index.html"));
    indexPages.set(dir, page);
  }
  void reply.status(status).type("text/html").header("cache-control", "no-cache").send(page);
}
