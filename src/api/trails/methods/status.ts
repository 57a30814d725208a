import { hostname } from "node:os";
import { z } from "zod";
import { method } from "../method.ts";

const empty = z.object({}).passthrough();

function uptime(startedAt: Date, now: Date): string {
  return `${Math.floor((now.getTime() - startedAt.getTime()) / 1000)}s`;
}

export const statusMethods = {
  Ping: method(empty, (_req, ctx) => ({ version: ctx.version })),
  Clock: method(empty, () => ({ serverTime: new Date().toISOString() })),
  RuntimeStatus: method(empty, async (_req, ctx) => {
    const services = await ctx.engine.services();
    return {
      status: {
        healthOK: services.every((s) => s.healthy),
        version: ctx.version,
        branch: "",
        commitHash: "",
        startTime: ctx.startedAt.toISOString(),
        uptime: uptime(ctx.startedAt, new Date()),
        hostname: hostname(),
        runnables: {},
        services,
      },
    };
  }),
};
