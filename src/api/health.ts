import type { FastifyPluginAsync } from "fastify";
import type { AppContext } from "./context.ts";
import { checkServices } from "./trails/methods/status.ts";

/** `GET /health`: 200 when the database and every chain answer, 503 otherwise. */
export function healthRoute(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get("/health", async (_request, reply) => {
      const services = await checkServices(ctx);
      const ok = services.every((s) => s.healthy);
      return reply
        .status(ok ? 200 : 503)
        .send({ status: ok ? "ok" : "degraded", version: ctx.version, services });
    });
  };
}
