import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { type Activity, activityWindows } from "../core/activity.ts";
import { checkNames } from "../core/reconcile.ts";
import { authorize } from "./admin-key.ts";
import type { AppContext } from "./context.ts";
import { describeIssues } from "./issues.ts";

const PARKED_LIMIT = 500;
const LATEST_LIMIT = 20;

const reconcileQuery = z.object({
  finished: z
    .enum(["true", "false"], { error: "expected true or false" })
    .optional()
    .transform((v) => v === "true"),
});

const windows = Object.keys(activityWindows) as [
  keyof typeof activityWindows,
  ...(keyof typeof activityWindows)[],
];
const activityQuery = z.object({
  window: z.enum(windows, { error: `expected one of ${windows.join(", ")}` }).default("1h"),
});

const retryParams = z.object({
  kind: z.enum(["intents", "executions"], { error: "expected intents or executions" }),
  id: z.string().min(1).max(100),
});

/**
 * Operator endpoints under /admin, behind the admin key: the rows the work queues parked (a step
 * that kept failing, a transaction that keeps reverting) and a retry for each.
 */
export function adminPlugin(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get("/parked", async (request, reply) => {
      if (!authorize(ctx, request, reply)) return reply;
      const rows = await ctx.engine.parked(PARKED_LIMIT);
      return {
        parked: rows.map((r) => ({
          kind: r.table,
          id: r.id,
          status: r.status,
          attempts: r.attempts,
          lastError: r.lastError,
          parkedAt: r.parkedAt.toISOString(),
          retry: `/admin/${r.table}/${r.id}/retry`,
        })),
      };
    });

    /** The newest executions of every wallet (a wallet's own are listed by the Connect API). */
    app.get("/executions", async (request, reply) => {
      if (!authorize(ctx, request, reply)) return reply;
      const rows = await ctx.engine.latestExecutions(LATEST_LIMIT);
      return {
        executions: rows.map((r) => ({
          id: r.id,
          status: r.status,
          wallet: r.wallet,
          walletType: r.wallet_type,
          chainId: r.chain_id,
          createdAt: r.created_at.toISOString(),
        })),
      };
    });

    /** The operator page's figures (amounts as decimal strings, in each token's smallest unit). */
    app.get("/overview", async (request, reply) => {
      if (!authorize(ctx, request, reply)) return reply;
      const o = await ctx.engine.overview();
      return {
        inventory: o.inventory.map((line) => ({
          ...line,
          balance: line.balance.toString(),
          lowWater: line.lowWater?.toString() ?? null,
        })),
        signers: o.signers.map((s) => ({
          ...s,
          balanceWei: s.balanceWei.toString(),
          floorWei: s.floorWei.toString(),
        })),
        statuses: o.statuses,
        queues: o.queues,
      };
    });

    /** The operator page's charts: fees earned per token, and fills, volume and latency per bucket. */
    app.get("/activity", async (request, reply) => {
      if (!authorize(ctx, request, reply)) return reply;
      const query = activityQuery.safeParse(request.query);
      if (!query.success) return reply.status(400).send({ error: describeIssues(query.error) });
      return renderActivity(await ctx.engine.activity(query.data.window));
    });

    app.post<{ Params: { kind: string; id: string } }>("/:kind/:id/retry", async (request, reply) => {
      if (!authorize(ctx, request, reply)) return reply;
      const params = retryParams.safeParse(request.params);
      if (!params.success) return reply.status(400).send({ error: describeIssues(params.error) });
      const { kind, id } = params.data;
      if ((await ctx.engine.retry(kind, [id])).length === 0) {
        return reply
          .status(404)
          .send({ error: `${kind}: ${id} is not parked; GET /admin/parked lists what is` });
      }
      return { retried: [{ kind, id }] };
    });

    /**
     * The ledger check (`junction reconcile`): 200 when the database and the chains agree, 409
     * with every discrepancy otherwise. `?finished=true` also requires every intent and execution
     * to have finished (after a chaos run; a live system always has some in flight).
     */
    app.get("/reconcile", async (request, reply) => {
      if (!authorize(ctx, request, reply)) return reply;
      const query = reconcileQuery.safeParse(request.query);
      if (!query.success) return reply.status(400).send({ error: describeIssues(query.error) });
      const only = query.data.finished ? checkNames : checkNames.filter((c) => c !== "everything finished");
      // The check reads every chain: a node that fails it is an outage to wait out, not a finding.
      const report = await ctx.engine.reconcile(only).catch((err: unknown) => {
        const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
        void reply
          .status(503)
          .send({ error: `the ledger check could not read the chains: ${reason}; try again` });
        return null;
      });
      if (!report) return reply;
      return reply.status(report.discrepancies.length === 0 ? 200 : 409).send(report);
    });

    /** After an outage: every parked row of both queues at once. */
    app.post("/parked/retry", async (request, reply) => {
      if (!authorize(ctx, request, reply)) return reply;
      const retried = await Promise.all(
        (["intents", "executions"] as const).map(async (kind) =>
          (await ctx.engine.retry(kind, "all")).map((id) => ({ kind, id })),
        ),
      );
      return { retried: retried.flat() };
    });
  };
}

/** Amounts as decimal strings in base units, times as ISO strings. */
function renderActivity(a: Activity) {
  return {
    since: a.since.toISOString(),
    bucketSeconds: a.bucketMs / 1000,
    fees: a.fees.map((f) => ({
      ...f,
      protocol: f.protocol.toString(),
      gas: f.gas.toString(),
      slippageKept: f.slippageKept.toString(),
      earned: f.earned.toString(),
    })),
    buckets: a.buckets.map((b) => ({ ...b, start: b.start.toISOString() })),
    latencyP50Ms: a.latencyP50Ms,
    latencyP95Ms: a.latencyP95Ms,
  };
}
