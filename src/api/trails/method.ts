import type { z } from "zod";
import type { AppContext } from "../context.ts";

/** Who calls: the access key the request came with (X-Access-Key), if any. */
export interface Caller {
  accessKey: string | null;
  /** Aborted when the client leaves, or the server shuts down (ends long-polls). */
  signal: AbortSignal;
}

type Handler<S extends z.ZodType> = (request: z.output<S>, ctx: AppContext, caller: Caller) => unknown;

/** One Trails RPC method: the schema its request must satisfy and what it answers. */
export interface TrailsMethod<S extends z.ZodType = z.ZodType> {
  request: S;
  handle: Handler<S>;
}

export function method<S extends z.ZodType>(request: S, handle: Handler<S>): TrailsMethod<S> {
  return { request, handle };
}
