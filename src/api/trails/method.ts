import type { z } from "zod";
import type { AppContext } from "../context.ts";

/** One Trails RPC method: the schema its request must satisfy and what it answers. */
export interface TrailsMethod<S extends z.ZodType = z.ZodType> {
  request: S;
  handle(request: z.output<S>, ctx: AppContext, signal: AbortSignal): Promise<unknown> | unknown;
}

export function method<S extends z.ZodType>(
  request: S,
  handle: (request: z.output<S>, ctx: AppContext, signal: AbortSignal) => Promise<unknown> | unknown,
): TrailsMethod<S> {
  return { request, handle };
}
