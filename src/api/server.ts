import cors from "@fastify/cors";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Config } from "../config/schema.ts";
import { adminPlugin } from "./admin.ts";
import { Admission } from "./admission.ts";
import { connectPlugin } from "./connect/plugin.ts";
import type { AppContext } from "./context.ts";
import { devnetRoute } from "./devnet-route.ts";
import { docsRoute } from "./docs-route.ts";
import { healthRoute } from "./health.ts";
import { indexerRoute } from "./indexer-route.ts";
import { nodesRoute } from "./nodes-route.ts";
import { eventsRoute } from "./push/events-route.ts";
import { webhooksRoutes } from "./push/webhooks-routes.ts";
import { WebrpcError } from "./trails/errors.ts";
import { trailsMethods, trailsPlugin } from "./trails/plugin.ts";
import { sendAppPage, wantsAppPage, webRoute } from "./web-route.ts";

/**
 * Node's timeouts on receiving a request: a client that trickles its headers or body gets a 408
 * and loses the connection. They stop once the request has arrived, so a long-poll's answer,
 * however late, is never cut; that is also why there is no socket idle timeout
 * (`connectionTimeout`): a long-poll's connection is silent for up to 30 s.
 */
function requestTimeouts(limits: Config["limits"]) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // Node checks both timeouts only this often (30 s by default): a fraction of them keeps
      // the cut-off close to the configured time.
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(limits.headersTimeoutMs / 4)),
    },
  };
}

/**
 * Errors Fastify meets before any route runs (a path whose %-encoding is malformed), answered in
 * the error format of the API the path belongs to: webrpc's under /rpc/Trails, `{error}` elsewhere.
 */
function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const message = `${error.message}: fix the request's path`;
  if (request.url.startsWith("/rpc/Trails/")) {
    const webrpc = new WebrpcError("WebrpcBadRequest", message);
    void reply.status(webrpc.status).send(webrpc.toBody());
    return;
  }
  void reply.status(error.statusCode ?? 400).send({ error: message });
}

/**
 * A path no route serves: a browser asking for a page gets the web app's not-found page; under /rpc/ (a webrpc service Junction does not run, e.g. a widget's
 * TrailsOnramp) a webrpc error body, so webrpc clients read it as one; elsewhere `{error}`.
 */
function notFound(ctx: AppContext) {
  return (request: FastifyRequest, reply: FastifyReply): void => {
    if (ctx.webDir && wantsAppPage(request)) sendAppPage(ctx.webDir, reply, 404);
    else apiNotFound(request, reply);
  };
}

function apiNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const message = `no such route: ${request.method} ${request.url}`;
  if (request.url.startsWith("/rpc/")) {
    const webrpc = new WebrpcError("WebrpcBadRoute", message);
    void reply.status(webrpc.status).send(webrpc.toBody());
    return;
  }
  void reply.status(404).send({ error: message });
}

/**
 * CORS for browser pages on other origins: the configured origins (`*`: any), the headers the two
 * APIs and the operator endpoints read, and the preflight cached for a day. No credentials: every
 * API is authorised by headers, never cookies.
 */
function corsOptions(origins: readonly string[]) {
  return {
    origin: origins.includes("*") ? "*" : [...origins],
    methods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowedHeaders: [
      "content-type",
      "x-access-key",
      // The webrpc clients (the Trails API's and Sequence's) name their protocol version in it.
      "webrpc",
      "x-api-key",
      "authorization",
      "last-event-id",
      // A Connect listing signed by the wallet (listings: own).
      "x-signature",
      "x-signature-deadline",
      "x-public-key",
      "x-nep413-recipient",
      "x-nep413-nonce",
    ],
    exposedHeaders: ["retry-after"],
    maxAge: 86_400,
    // An OPTIONS request that is not a full preflight gets a plain 204, not the plugin's text 400
    // (every error of the APIs is JSON in its dialect's format).
    strictPreflight: false,
  };
}

/** The operator endpoints, limited per address as the APIs are, refused in their `{error}` shape. */
function limitedAdmin(ctx: AppContext, admission: Admission): FastifyPluginAsync {
  return async (app) => {
    app.addHook(
      "onRequest",
      admission.limitRequests((message) => ({ error: message })),
    );
    await app.register(adminPlugin(ctx));
    await app.register(webhooksRoutes(ctx));
  };
}

/** The event stream, its opening counted against the client's request budget. */
function limitedEvents(ctx: AppContext, admission: Admission): FastifyPluginAsync {
  return async (app) => {
    app.addHook(
      "onRequest",
      admission.limitRequests((message) => ({ error: message })),
    );
    await app.register(eventsRoute(ctx, admission));
  };
}

/**
 * Builds the HTTP server with every API mounted; listening is the caller's choice. /health,
 * /docs, /openapi.json and /devnet are not rate-limited: they are cheap and read nothing a client
 * chooses, and a monitor polling /health must not be locked out by the traffic it watches.
 */
export async function buildServer(ctx: AppContext): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    trustProxy: ctx.config.limits.trustProxy,
    frameworkErrors: frameworkError,
    ...requestTimeouts(ctx.config.limits),
  });
  app.setNotFoundHandler(notFound(ctx));
  // Every answer timed by its route's pattern (not its URL: ids would make a series each); the
  // Trails RPC's one route by its method, when it is one Junction serves.
  app.addHook("onResponse", async (request, reply) => {
    const pattern = request.routeOptions.url ?? "(no route)";
    const method = (request.params as { method?: string } | undefined)?.method;
    const route =
      pattern === "/rpc/Trails/:method" && method && Object.hasOwn(trailsMethods, method)
        ? `/rpc/Trails/${method}`
        : pattern;
    ctx.engine.metrics.httpRequest(
      { method: request.method, route, status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });
  await app.register(cors, corsOptions(ctx.config.cors.origins));
  const admission = await Admission.register(app, ctx.config.limits, ctx.config.push.streamsPerClient);
  // Per-request logs only at debug level: a busy API would otherwise drown everything else.
  const logLevel = "warn";
  await app.register(healthRoute(ctx), { logLevel });
  await app.register(docsRoute(ctx), { logLevel });
  if (ctx.devnet) await app.register(devnetRoute(ctx, ctx.devnet), { logLevel });
  await app.register(trailsPlugin(ctx, admission), { prefix: "/rpc/Trails", logLevel });
  await app.register(connectPlugin(ctx, admission), { prefix: "/api/v1", logLevel });
  await app.register(limitedAdmin(ctx, admission), { prefix: "/admin", logLevel });
  await app.register(limitedEvents(ctx, admission), { logLevel });
  await app.register(nodesRoute(ctx, admission), { logLevel });
  await app.register(indexerRoute(ctx, admission), { prefix: "/indexer", logLevel });
  if (ctx.webDir) await app.register(webRoute(ctx.webDir), { logLevel });
  return app;
}
