import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { adminPlugin } from "./admin.ts";
import { connectPlugin } from "./connect/plugin.ts";
import type { AppContext } from "./context.ts";
import { devnetRoute } from "./devnet-route.ts";
import { docsRoute } from "./docs-route.ts";
import { healthRoute } from "./health.ts";
import { trailsPlugin } from "./trails/plugin.ts";

/** Builds the HTTP server with every API mounted; listening is the caller's choice. */
export async function buildServer(ctx: AppContext): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
  });
  // Per-request logs only at debug level: a busy API would otherwise drown everything else.
  const logLevel = "warn";
  await app.register(healthRoute(ctx), { logLevel });
  await app.register(docsRoute(ctx), { logLevel });
  if (ctx.devnet) await app.register(devnetRoute(ctx, ctx.devnet), { logLevel });
  await app.register(trailsPlugin(ctx), { prefix: "/rpc/Trails", logLevel });
  await app.register(connectPlugin(ctx), { prefix: "/api/v1", logLevel });
  await app.register(adminPlugin(ctx), { prefix: "/admin", logLevel });
  return app;
}
