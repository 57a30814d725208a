import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "./context.ts";

/** Whether the request carries the admin key: no Authorization header, the key, or another one. */
export function isAdmin(ctx: AppContext, request: FastifyRequest): "yes" | "no" | "wrong" {
  const header = request.headers.authorization;
  if (header === undefined) return "no";
  const key = ctx.config.adminKey;
  return key && header === `Bearer ${key}` ? "yes" : "wrong";
}

/** The bearer admin key, or a 401 sent; without a configured key the operator endpoints are closed. */
export function authorize(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): boolean {
  if (!ctx.config.adminKey) {
    void reply
      .status(401)
      .send({ error: "no admin key is configured: set adminKey in the config or JUNCTION_ADMIN_KEY" });
    return false;
  }
  if (isAdmin(ctx, request) !== "yes") {
    void reply.status(401).send({ error: "Authorization: Bearer <admin key> is required" });
    return false;
  }
  return true;
}
