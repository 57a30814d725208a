import { hostname } from "node:os";
import { z } from "zod";
import { publicClientFor } from "../../../chains/clients.ts";
import { pingDatabase } from "../../../store/database.ts";
import type { AppContext } from "../../context.ts";
import { method } from "../method.ts";

const empty = z.object({}).passthrough();

interface ServiceStatus {
  name: string;
  healthy: boolean;
  error?: string;
  latency: string;
}

async function probe(name: string, check: () => Promise<unknown>): Promise<ServiceStatus> {
  const started = performance.now();
  const latency = () => `${(performance.now() - started).toFixed(1)}ms`;
  try {
    await check();
    return { name, healthy: true, latency: latency() };
  } catch (err) {
    return { name, healthy: false, error: (err as Error).message.split("\n")[0], latency: latency() };
  }
}

/** The database and every chain's RPC, each with its round-trip time. */
export function checkServices(ctx: AppContext): Promise<ServiceStatus[]> {
  return Promise.all([
    probe("database", () => pingDatabase(ctx.db)),
    ...ctx.registry.chains.map((chain) =>
      probe(`chain:${chain.slug}`, () => publicClientFor(chain.viem).getBlockNumber({ cacheTime: 0 })),
    ),
  ]);
}

export function uptime(startedAt: Date, now: Date): string {
  return `${Math.floor((now.getTime() - startedAt.getTime()) / 1000)}s`;
}

export const statusMethods = {
  Ping: method(empty, (_req, ctx) => ({ version: ctx.version })),
  Clock: method(empty, () => ({ serverTime: new Date().toISOString() })),
  RuntimeStatus: method(empty, async (_req, ctx) => {
    const services = await checkServices(ctx);
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
