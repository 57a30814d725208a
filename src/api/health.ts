import type { FastifyPluginAsync } from "fastify";
import type { AppContext } from "./context.ts";

/**
 * `GET /health`: 503 when the database or a chain does not answer (this process cannot work);
 * "degraded" with 200 when rows are parked for an operator (the process works; some payments
 * wait for a person: see /admin/parked); "ok" otherwise. `queue` also counts the rows whose last
 * attempts failed and that are being retried: the early sign of trouble.
 */
export function healthRoute(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get("/health", async (_request, reply) => {
      const services = await ctx.engine.services();
      const up = services.every((s) => s.healthy);
      const queue = up ? await ctx.engine.queueCounts() : null;
      const parked = queue ? queue.intents.parked + queue.executions.parked : 0;
      return reply.status(up ? 200 : 503).send({
        status: up && parked === 0 ? "ok" : "degraded",
        version: ctx.version,
        services,
        ...(queue ? { queue } : {}),
      });
    });
  };
}
