import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { JunctionError, type JunctionErrorKind } from "../../core/errors.ts";

/** The webrpc errors Junction answers with, name → code and HTTP status. */
export const webrpcErrors = {
  WebrpcBadRoute: { code: -2, status: 404 },
  WebrpcBadMethod: { code: -3, status: 405 },
  WebrpcBadRequest: { code: -4, status: 400 },
  WebrpcInternalError: { code: -7, status: 500 },
  Unauthorized: { code: 1000, status: 401 },
  RateLimited: { code: 1007, status: 429 },
  Timeout: { code: 1900, status: 408 },
  InvalidArgument: { code: 2000, status: 400 },
  Unexpected: { code: 2001, status: 500 },
  Unavailable: { code: 2002, status: 400 },
  IntentStatus: { code: 2004, status: 422 },
  QuoteExpired: { code: 7001, status: 400 },
  NotFound: { code: 8000, status: 400 },
  UnsupportedNetwork: { code: 8008, status: 422 },
} as const;

export type WebrpcErrorName = keyof typeof webrpcErrors;

export class WebrpcError extends Error {
  constructor(
    readonly errorName: WebrpcErrorName,
    message: string,
    readonly causeText?: string,
  ) {
    super(message);
    this.name = "WebrpcError";
  }

  get status(): number {
    return webrpcErrors[this.errorName].status;
  }

  /** The wire body; `msg` is webrpc's field, `message` the one the 0.9.4 client reads. */
  toBody() {
    const { code, status } = webrpcErrors[this.errorName];
    return {
      error: this.errorName,
      code,
      msg: this.message,
      message: this.message,
      ...(this.causeText ? { cause: this.causeText } : {}),
      status,
    };
  }
}

/** The engine's refusals in webrpc's words. */
const errorNames: Record<JunctionErrorKind, WebrpcErrorName> = {
  invalid_argument: "InvalidArgument",
  unsupported_network: "UnsupportedNetwork",
  not_found: "NotFound",
  wrong_status: "IntentStatus",
  quote_expired: "QuoteExpired",
  insufficient_inventory: "InvalidArgument",
  // In Trails only: too many unmined deposit transactions announced for one intent.
  conflict: "IntentStatus",
  // Connect-only: the Trails methods never raise it.
  upstream_unavailable: "Unavailable",
  unauthorized: "Unauthorized",
  unavailable: "Unavailable",
};

/**
 * A webrpc service's error handler: the engine's refusals and webrpc errors in webrpc's body,
 * Fastify's own 4xx (unparseable JSON, a wrong content type, an oversized body) as a bad request,
 * anything else logged under `service` and answered as an internal error.
 */
export function webrpcErrorHandler(service: string) {
  return (err: FastifyError | WebrpcError | JunctionError, request: FastifyRequest, reply: FastifyReply) => {
    const known = err instanceof JunctionError ? new WebrpcError(errorNames[err.kind], err.message) : err;
    if (known instanceof WebrpcError) return reply.status(known.status).send(known.toBody());
    if (known.statusCode && known.statusCode < 500) {
      return reply
        .status(400)
        .send(new WebrpcError("WebrpcBadRequest", `bad request: ${known.message}`).toBody());
    }
    request.log.error({ err }, `${service} handler failed`);
    return reply.status(500).send(new WebrpcError("WebrpcInternalError", "internal error").toBody());
  };
}
