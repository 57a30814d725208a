import type { FastifyPluginAsync } from "fastify";
import type { AppContext } from "./context.ts";

/**
 * `GET /health`: 503 when the database or a chain does not answer (this process cannot work);
 * "degraded" with 200 when rows are parked for an operator (the process works; some payments
 * wait for a person: see /admin/parked); "ok" otherwise.
 */
export function healthRoute(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get("/health", async (_request, reply) => {
      const services = await ctx.engine.services();
      const up = services.every((s) => s.healthy);
      const parked = up ? await ctx.engine.parkedCounts() : null;
      const parkedTotal = parked ? parked.intents + parked.executions : 0;
      return reply.status(up ? 200 : 503).send({
        status: up && parkedTotal === 0 ? "ok" : "degraded",
        version: ctx.version,
        services,
        ...(parked ? { queue: { parked } } : {}),
      });
    });
  };
}
