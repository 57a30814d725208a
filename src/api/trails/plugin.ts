import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { unstorableTextAt, unstorableTextMessage } from "../../core/fields.ts";
import type { Admission } from "../admission.ts";
import type { AppContext } from "../context.ts";
import { describeIssues } from "../issues.ts";
import { WebrpcError, webrpcErrorHandler } from "./errors.ts";
import type { TrailsMethod } from "./method.ts";
import { catalogMethods } from "./methods/catalog.ts";
import { intentMethods, WAIT_LIMIT_MS } from "./methods/intents.ts";
import { statusMethods } from "./methods/status.ts";

export const trailsMethods: Record<string, TrailsMethod> = {
  ...statusMethods,
  ...catalogMethods,
  ...intentMethods,
};

/** The methods that hold the request open until something changes: each takes a long-poll slot. */
const longPollMethods = new Set(["WaitIntentReceipt"]);

/** Refuses a call whose `X-Access-Key` is not a configured access key (when any are). */
export function authorize(ctx: AppContext, key: string | string[] | undefined): void {
  if (ctx.config.accessKeys.length === 0) return;
  if (typeof key !== "string" || !ctx.config.accessKeys.includes(key)) {
    throw new WebrpcError("Unauthorized", "a valid X-Access-Key header is required");
  }
}

/** One of the caller's long-poll slots (its release), or RateLimited with Retry-After. */
function takeLongPollSlot(
  ctx: AppContext,
  admission: Admission,
  request: FastifyRequest,
  reply: FastifyReply,
  accessKey: string | null,
): () => void {
  // Where keys are required, the key has been checked by now: it tells apart the integrators whose
  // users share an address. Elsewhere any key would do, so it must not buy a client more slots.
  const checkedKey = ctx.config.accessKeys.length > 0 ? accessKey : null;
  const slot = admission.openLongPoll(request, checkedKey, WAIT_LIMIT_MS);
  if ("release" in slot) return slot.release;
  reply.header("retry-after", slot.retryAfterSeconds);
  throw new WebrpcError("RateLimited", slot.message);
}

/** `POST /rpc/Trails/<Method>`, webrpc conventions: every error is a webrpc error body. */
export function trailsPlugin(ctx: AppContext, admission: Admission): FastifyPluginAsync {
  return async (app) => {
    app.addHook(
      "onRequest",
      admission.limitRequests((message) => new WebrpcError("RateLimited", message).toBody(), "x-access-key"),
    );
    // Shutdown answers every long-poll at once, rather than waiting for each to run out (30 s),
    // and lets every open response finish, so that the server then finds each connection idle
    // and can close it.
    const closing = new AbortController();
    const open = new Set<Promise<void>>();
    app.addHook("preClose", async () => {
      closing.abort();
      await Promise.all(open);
    });
    /**
     * Aborted when the client leaves before its answer (a long-poll it gave up on) or the server
     * shuts down; `ended` runs once the response is over, either way.
     */
    const watchResponse = (reply: FastifyReply, ended: () => void): AbortSignal => {
      const left = new AbortController();
      const finished = new Promise<void>((resolve) => {
        // The response closing before it was sent means the client left. Not request.raw's
        // "close": on Node 20 that fires once the body has been read.
        reply.raw.once("close", () => {
          if (!reply.raw.writableFinished) left.abort();
          ended();
          resolve();
        });
      });
      open.add(finished);
      void finished.then(() => open.delete(finished));
      return AbortSignal.any([left.signal, closing.signal]);
    };
    app.setErrorHandler(webrpcErrorHandler("trails"));
    app.setNotFoundHandler((request, reply) => {
      const error = new WebrpcError("WebrpcBadRoute", `no such route: ${request.method} ${request.url}`);
      reply.status(error.status).send(error.toBody());
    });

    app.post<{ Params: { method: string } }>("/:method", async (request, reply) => {
      const name = request.params.method;
      const rpc = Object.hasOwn(trailsMethods, name) ? trailsMethods[name] : undefined;
      if (!rpc)
        throw new WebrpcError("WebrpcBadRoute", `unknown method ${name}; see /docs for the method list`);
      authorize(ctx, request.headers["x-access-key"]);
      const body = request.body ?? {};
      if (typeof body !== "object" || Array.isArray(body)) {
        throw new WebrpcError("WebrpcBadRequest", "the request body must be a JSON object");
      }
      const unstorable = unstorableTextAt(body);
      if (unstorable !== null) throw new WebrpcError("InvalidArgument", unstorableTextMessage(unstorable));
      const parsed = rpc.request.safeParse(body);
      if (!parsed.success) throw new WebrpcError("InvalidArgument", describeIssues(parsed.error));
      const key = request.headers["x-access-key"];
      const accessKey = typeof key === "string" && key !== "" ? key : null;
      const release = longPollMethods.has(name)
        ? takeLongPollSlot(ctx, admission, request, reply, accessKey)
        : () => {};
      const signal = watchResponse(reply, release);
      return reply.send(await rpc.handle(parsed.data, ctx, { accessKey, signal }));
    });

    app.route({
      method: ["GET", "PUT", "PATCH", "DELETE"],
      url: "/:method",
      handler: async () => {
        throw new WebrpcError("WebrpcBadMethod", "webrpc methods are called with POST");
      },
    });
  };
}
