import type { FastifyPluginAsync } from "fastify";
import type { AppContext } from "./context.ts";

/**
 * How old a chain's head may be before the process is not ready; none on a devnet that mines a
 * block only per transaction, whose head is as old as its last transaction.
 */
function maxHeadAge(ctx: AppContext): number | null {
  const automine = ctx.config.profile === "devnet" && ctx.config.devnet.mining === "auto";
  return automine ? null : ctx.config.ready.maxHeadAgeSeconds;
}

/**
 * `GET /health`: 503 when the database or a chain does not answer (this process cannot work);
 * "degraded" with 200 when rows are parked for an operator (the process works; some payments
 * wait for a person: see /admin/parked) or a signer is short of gas (`lowOnGas`: new work that
 * needs it is refused); "ok" otherwise. `queue` also counts the rows whose last
 * attempts failed and that are being retried: the early sign of trouble.
 */
export function healthRoute(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get("/health", async (_request, reply) => {
      const services = await ctx.engine.services();
      const up = services.every((s) => s.healthy);
      const queue = up ? await ctx.engine.queueCounts() : null;
      const parked = queue ? queue.intents.parked + queue.executions.parked : 0;
      const signers = up ? await ctx.engine.signers() : [];
      const lowOnGas = signers.filter((s) => s.low);
      return reply.status(up ? 200 : 503).send({
        status: up && parked === 0 && lowOnGas.length === 0 ? "ok" : "degraded",
        version: ctx.version,
        services,
        ...(queue ? { queue } : {}),
        // Signers under their chain's floor: new work that needs them is refused until topped up.
        lowOnGas: lowOnGas.map((s) => ({
          chainId: s.chainId,
          role: s.role,
          address: s.address,
          balanceWei: String(s.balanceWei),
          floorWei: String(s.floorWei),
        })),
      });
    });

    /**
     * `GET /ready`: 200 when this process should be sent traffic, 503 naming what is not ready:
     * the database, a chain whose node does not answer or lags, a chain no process watches, too
     * many parked rows.
     */
    app.get("/ready", async (_request, reply) => {
      const checks = await ctx.engine.readiness({
        maxHeadAgeSeconds: maxHeadAge(ctx),
        maxParked: ctx.config.ready.maxParked,
      });
      const notReady = checks.filter((c) => !c.ok).map((c) => c.name);
      return reply
        .status(notReady.length === 0 ? 200 : 503)
        .send({ ready: notReady.length === 0, notReady, checks });
    });

    /** `GET /metrics`: Prometheus text format (see docs/operations.md#metrics). */
    app.get("/metrics", async (_request, reply) => {
      const registry = ctx.engine.metrics.registry;
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}
