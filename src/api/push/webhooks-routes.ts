import type { FastifyError, FastifyPluginAsync, FastifyReply } from "fastify";
import { z } from "zod";
import { JunctionError } from "../../core/errors.ts";
import { messageId, parseSequence } from "../../core/events.ts";
import type { DeliveryRow, WebhookEndpoint } from "../../engine/engine.ts";
import { authorize } from "../admin-key.ts";
import type { AppContext } from "../context.ts";
import { describeIssues } from "../issues.ts";

export const createWebhookBody = z
  .object({
    url: z.string().min(1).max(2_000),
    events: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
    owner: z.string().min(1).max(100).optional(),
  })
  .strict();

export const replayBody = z
  .object({
    fromSequence: z.union([z.string(), z.number().int().min(0)], {
      error: "expected an event's sequence number (a non-negative integer, or a string of one)",
    }),
  })
  .strict();

const idParams = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .refine((v) => !v.includes("\0"), "must not contain NUL characters"),
});

const deliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict();

function endpointJson(endpoint: WebhookEndpoint) {
  return {
    ...endpoint,
    nextAttemptAt: endpoint.nextAttemptAt.toISOString(),
    createdAt: endpoint.createdAt.toISOString(),
  };
}

const deliveryJson = (row: DeliveryRow) => ({
  sequence: row.seq,
  eventType: row.event_type,
  webhookId: messageId(row.webhook_id, row.seq),
  attempt: row.attempt,
  at: row.at.toISOString(),
  statusCode: row.status_code,
  latencyMs: row.latency_ms,
  error: row.error,
  responseExcerpt: row.response_excerpt,
});

const statusOf = (err: JunctionError) => (err.kind === "not_found" ? 404 : 400);

/** Parses with `schema`, or answers 400 naming the field; null when refused. */
function parse<T>(schema: z.ZodType<T>, input: unknown, reply: FastifyReply): T | null {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  void reply.status(400).send({ error: describeIssues(parsed.error) });
  return null;
}

/**
 * The webhook admin API under /admin/webhooks, behind the admin key: add, list and remove
 * endpoints, read an endpoint's delivery attempts, replay from a sequence, re-enable.
 */
export function webhooksRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      if (!authorize(ctx, request, reply)) return reply;
    });
    // A body-less POST (enable) sent with a JSON content type is not a malformed body.
    app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
      if (body === "") return done(null, undefined);
      try {
        done(null, JSON.parse(body as string));
      } catch (err) {
        done(Object.assign(err as Error, { statusCode: 400 }), undefined);
      }
    });
    // Malformed JSON, a wrong content type, an engine refusal: `{error}` with its status.
    app.setErrorHandler((err: FastifyError, _request, reply) => {
      if (err instanceof JunctionError) return reply.status(statusOf(err)).send({ error: err.message });
      if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        return reply
          .status(413)
          .send({ error: "the body is over 256 KB; a webhook request is a few hundred bytes" });
      }
      if (err.statusCode && err.statusCode < 500) {
        return reply.status(err.statusCode).send({ error: `${err.message}: send a JSON body` });
      }
      throw err;
    });

    app.post("/webhooks", async (request, reply) => {
      const body = parse(createWebhookBody, request.body, reply);
      if (!body) return reply;
      const created = await ctx.engine.createWebhook({
        url: body.url,
        ...(body.events ? { events: body.events } : {}),
        ...(body.owner ? { owner: body.owner } : {}),
      });
      return reply.status(201).send({ ...endpointJson(created), secret: created.secret });
    });

    app.get("/webhooks", async () => ({ webhooks: (await ctx.engine.webhooks()).map(endpointJson) }));

    app.delete("/webhooks/:id", async (request, reply) => {
      const params = parse(idParams, request.params, reply);
      if (!params) return reply;
      await ctx.engine.deleteWebhook(params.id);
      return { status: "DELETED", id: params.id };
    });

    app.get("/webhooks/:id/deliveries", async (request, reply) => {
      const params = parse(idParams, request.params, reply);
      const query = params && parse(deliveriesQuery, request.query, reply);
      if (!params || !query) return reply;
      const rows = await ctx.engine.webhookDeliveries(params.id, query.limit);
      return { deliveries: rows.map(deliveryJson) };
    });

    app.post("/webhooks/:id/replay", async (request, reply) => {
      const params = parse(idParams, request.params, reply);
      const body = params && parse(replayBody, request.body, reply);
      if (!params || !body) return reply;
      const from = parseSequence(String(body.fromSequence), "fromSequence");
      const endpoint = await ctx.engine.resumeWebhook(params.id, from);
      return reply.status(202).send({ ...endpointJson(endpoint), replayFrom: from.toString() });
    });

    app.post("/webhooks/:id/enable", async (request, reply) => {
      const params = parse(idParams, request.params, reply);
      if (!params) return reply;
      return endpointJson(await ctx.engine.resumeWebhook(params.id));
    });
  };
}
