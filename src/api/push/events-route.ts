import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { JunctionError } from "../../core/errors.ts";
import {
  type EventFilter,
  parseEventPatterns,
  parseOwner,
  parseSequence,
  streamStart,
} from "../../core/events.ts";
import type { FeedStart } from "../../engine/engine.ts";
import { isAdmin } from "../admin-key.ts";
import type { Admission } from "../admission.ts";
import type { AppContext } from "../context.ts";
import { describeIssues } from "../issues.ts";
import { eventRenderer } from "./render.ts";
import { Stream } from "./stream.ts";

/** Subjects one stream may name. */
const MAX_SUBJECTS = 100;

const value = z
  .string()
  .min(1)
  .max(100)
  .refine((v) => !v.includes("\0"), "must not contain NUL characters");
/** A parameter given once or repeated, as a list. */
const many = z.preprocess(
  (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
  z
    .array(value)
    .max(MAX_SUBJECTS, { error: `at most ${MAX_SUBJECTS} per stream; open another stream for more` }),
);

/** An intent id as GetIntentReceipt takes it: hex in any case. */
const intentIdOf = (id: string) => (/^0x[0-9a-fA-F]+$/.test(id) ? id.toLowerCase() : id);

export const eventsQuery = z
  .object({
    intentId: many,
    executionId: many,
    owner: many,
    /** Comma-separated or repeated event types (or `intent.*`, `execution.*`). */
    types: many,
    lastEventId: z.string({ error: "expected one value: give lastEventId once" }).max(40).optional(),
  })
  .strict();

/** An error of the push API, in its `{error}` shape. */
const refuse = (reply: FastifyReply, status: number, error: string) => reply.status(status).send({ error });

const statusOf: Partial<Record<JunctionError["kind"], number>> = { not_found: 404, invalid_argument: 400 };

/** The filter a request names, or the refusal. Unknown ids are a 404: a typo would wait forever. */
async function filterOf(
  ctx: AppContext,
  query: z.infer<typeof eventsQuery>,
  admin: boolean,
): Promise<EventFilter> {
  const owners = query.owner.map((o, i) => parseOwner(o, `owner[${i}]`));
  if (owners.length > 0 && ctx.config.listings === "own" && !admin) {
    throw new JunctionError(
      "unauthorized",
      "owner: streams by owner need the admin key here (listings: own)",
    );
  }
  const all = query.intentId.length + query.executionId.length + owners.length === 0;
  if (all && !admin) {
    throw new JunctionError(
      "unauthorized",
      "name intentId, executionId or owner in the query, or send Authorization: Bearer <admin key> for every event",
    );
  }
  const intentIds = query.intentId.map(intentIdOf);
  await Promise.all([
    ...intentIds.map((id) => ctx.engine.intent(id)),
    ...query.executionId.map((id) => ctx.engine.executionById(id)),
  ]);
  const types = parseEventPatterns(query.types.flatMap((t) => t.split(",")).filter(Boolean), "types");
  if (query.types.length > 0 && types.length === 0) {
    throw new JunctionError(
      "invalid_argument",
      "types: empty; name event types (e.g. intent.*), or leave types out for all",
    );
  }
  return {
    all,
    intentIds,
    executionIds: query.executionId,
    owners,
    types: types.length > 0 ? types : ["*"],
  };
}

/** Where the stream starts (see `streamStart`), from Last-Event-ID (the header, else the query). */
async function startOf(
  ctx: AppContext,
  request: FastifyRequest,
  filter: EventFilter,
  lastEventId?: string,
): Promise<FeedStart> {
  const header = request.headers["last-event-id"];
  const fromHeader = typeof header === "string" && header !== "";
  const raw = fromHeader ? header : lastEventId;
  const resume = raw === undefined ? null : parseSequence(raw, fromHeader ? "Last-Event-ID" : "lastEventId");
  return streamStart(filter, resume, await ctx.engine.lastEventSequence());
}

/**
 * GET /events: Server-Sent Events of intents and executions. See docs/push.md for the filters,
 * event types and resumption.
 */
export function eventsRoute(ctx: AppContext, admission: Admission): FastifyPluginAsync {
  return async (app) => {
    const render = eventRenderer(ctx);
    const open = new Set<Stream>();
    app.addHook("preClose", async () => {
      for (const stream of open) stream.close("the server is shutting down; reconnect with Last-Event-ID");
    });

    app.get("/events", async (request, reply) => {
      const parsed = eventsQuery.safeParse(request.query);
      if (!parsed.success) return refuse(reply, 400, describeIssues(parsed.error));
      const admin = isAdmin(ctx, request);
      if (admin === "wrong")
        return refuse(reply, 401, "the Authorization header does not carry the admin key");
      let filter: EventFilter;
      let start: FeedStart;
      try {
        filter = await filterOf(ctx, parsed.data, admin === "yes");
        start = await startOf(ctx, request, filter, parsed.data.lastEventId);
      } catch (err) {
        if (!(err instanceof JunctionError)) throw err;
        return refuse(reply, err.kind === "unauthorized" ? 401 : (statusOf[err.kind] ?? 400), err.message);
      }
      // A HEAD (an uptime check) gets the stream's headers, not a stream that would never end.
      if (request.method === "HEAD") return reply.type("text/event-stream; charset=utf-8").send();
      const push = ctx.config.push;
      const slot = admission.openStream(request, push.streamMaxSeconds * 1000);
      if (!("release" in slot)) {
        reply.header("retry-after", slot.retryAfterSeconds);
        return refuse(reply, 429, slot.message);
      }

      reply.hijack();
      reply.raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        // Proxies (nginx) must pass each event on at once rather than buffer the response.
        "x-accel-buffering": "no",
      });
      const stream = new Stream(reply, render, {
        maxQueuedEvents: push.maxQueuedEvents,
        drainTimeoutMs: push.drainTimeoutSeconds * 1000,
      });
      open.add(stream);
      reply.raw.write("retry: 1000\n\n");
      const subscription = ctx.engine.subscribe(filter, start, stream);
      const heartbeat = setInterval(() => stream.comment("heartbeat"), push.heartbeatSeconds * 1000);
      const lifetime = setTimeout(
        () => stream.close("the stream reached push.streamMaxSeconds; reconnect with Last-Event-ID"),
        push.streamMaxSeconds * 1000,
      );
      stream.onEnd = () => {
        clearInterval(heartbeat);
        clearTimeout(lifetime);
        subscription.unsubscribe();
        open.delete(stream);
      };
      // The client's slot is free only once its connection is gone, not when its stream ends.
      reply.raw.on("close", () => {
        stream.close("the client went away");
        slot.release();
      });
      await subscription.ready;
      stream.comment("live");
    });
  };
}
