import type { FastifyError, FastifyPluginAsync, FastifyReply } from "fastify";
import type { z } from "zod";
import { parseWallet, walletIdentity } from "../../core/connect/wallet.ts";
import { JunctionError, type JunctionErrorKind } from "../../core/errors.ts";
import {
  announceExecutionDeposit,
  deleteExecution,
  executionPlanOf,
  submitSignature,
} from "../../engine/connect/authorize.ts";
import { createQuoteExecution, createStepsExecution } from "../../engine/connect/create.ts";
import { findExecution, listExecutions } from "../../store/executions.ts";
import type { AppContext } from "../context.ts";
import { describeIssues } from "../issues.ts";
import { renderExecution, renderTokens } from "./render.ts";
import {
  createExecutionRequest,
  createStepsRequest,
  deleteRequest,
  depositSubmitRequest,
  listQuery,
  submitRequest,
  supportedTokensQuery,
} from "./schemas.ts";
import { parseStrictJson } from "./strict-json.ts";

/** The documented request-body limit; larger bodies get 413. */
export const CONNECT_BODY_LIMIT = 256 * 1024;
const LIST_LIMIT = 100;

/** The engine's refusals as the Connect API's HTTP statuses. */
const statusOf: Record<JunctionErrorKind, number> = {
  invalid_argument: 400,
  unsupported_network: 400,
  insufficient_inventory: 400,
  not_found: 404,
  wrong_status: 409,
  quote_expired: 409,
  conflict: 409,
  upstream_unavailable: 502,
};

/** A refusal the plugin itself makes, with its status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error));
  return parsed.data;
}

const list = (csv: string | undefined) =>
  csv
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const result = (reply: FastifyReply, status: number, value: unknown) =>
  reply.status(status).send({ result: value });

/**
 * The Intents Connect REST API under /api/v1: `{result}` on success, `{error}` with the
 * documented HTTP status otherwise. Request bodies are parsed strictly (a duplicated key is a
 * 400), and every rule beyond their shape is the engine's.
 */
export function connectPlugin(ctx: AppContext): FastifyPluginAsync {
  const e = ctx.engine;
  return async (app) => {
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser(
      "application/json",
      { parseAs: "string", bodyLimit: CONNECT_BODY_LIMIT },
      (_request, body, done) => {
        try {
          done(null, body === "" ? undefined : parseStrictJson(body as string));
        } catch (err) {
          done(err as Error, undefined);
        }
      },
    );
    app.setErrorHandler((err: FastifyError | JunctionError | HttpError, request, reply) => {
      if (err instanceof JunctionError) return reply.status(statusOf[err.kind]).send({ error: err.message });
      if (err instanceof HttpError) return reply.status(err.status).send({ error: err.message });
      if (err.statusCode === 413) {
        return reply
          .status(413)
          .send({ error: `the request body is larger than ${CONNECT_BODY_LIMIT / 1024} KB` });
      }
      if (err.statusCode && err.statusCode < 500) {
        return reply.status(400).send({ error: `bad request: ${err.message}` });
      }
      request.log.error({ err }, "connect handler failed");
      return reply.status(500).send({ error: "internal error" });
    });
    app.setNotFoundHandler((request, reply) =>
      reply.status(404).send({ error: `no such route: ${request.method} ${request.url}` }),
    );

    app.get("/supported_tokens", async (request, reply) => {
      parse(supportedTokensQuery, request.query);
      // Every listed token can be deposited and every chain runs steps, so `in` and `out` are the
      // same list, and outOperation's swap of the two changes nothing.
      const tokens = renderTokens(ctx);
      return result(reply, 200, { in: tokens, out: tokens });
    });

    app.get<{ Params: { wallet: string } }>("/executions/:wallet/intermediary", async (request, reply) => {
      const wallet = parseWallet(request.params.wallet);
      const first = ctx.registry.chains[0];
      if (!first) throw new Error("no chains configured");
      // One CREATE2 address on every chain that shares the factory's deployment.
      const evm = await e.market.intermediary(first.chainId, walletIdentity(wallet));
      return result(reply, 200, { originAccount: wallet.id, originType: wallet.type, evm, solana: null });
    });

    app.post<{ Params: { wallet: string } }>("/executions/:wallet", async (request, reply) => {
      const key = request.headers["x-api-key"];
      if (typeof key !== "string" || !ctx.config.connect.apiKeys.includes(key)) {
        throw new HttpError(401, "a valid x-api-key header is required to create a quote-backed execution");
      }
      const req = parse(createExecutionRequest, request.body);
      const plan = await createQuoteExecution(e, request.params.wallet, req);
      if (req.dry) return result(reply, 200, renderExecution(plan, null));
      const row = await findExecution(e.db, plan.wallet.id, plan.id);
      return result(reply, 201, renderExecution(plan, row ?? null));
    });

    app.post<{ Params: { wallet: string } }>("/executions/:wallet/steps", async (request, reply) => {
      const req = parse(createStepsRequest, request.body);
      const plan = await createStepsExecution(e, request.params.wallet, {
        type: req.type,
        metadata: req.metadata,
        destinationAsset: req.destinationAsset,
        steps: req.steps,
        ...(req.deadline ? { deadline: req.deadline } : {}),
      });
      const row = await findExecution(e.db, plan.wallet.id, plan.id);
      return result(reply, 201, renderExecution(plan, row ?? null));
    });

    app.post<{ Params: { wallet: string } }>("/executions/:wallet/submit", async (request, reply) => {
      const req = parse(submitRequest, request.body);
      const row = await submitSignature(e, request.params.wallet, req.executionId, {
        signature: req.signature,
        ...(req.publicKey !== undefined ? { publicKey: req.publicKey } : {}),
      });
      return result(reply, 200, { status: row.status });
    });

    // A static segment: it wins over /executions/:wallet/submit for the path "deposit".
    app.post("/executions/deposit/submit", async (request, reply) => {
      const req = parse(depositSubmitRequest, request.body);
      const row = await announceExecutionDeposit(e, req.depositAddress, req.txHash);
      return result(reply, 200, { executionId: row.id, status: row.status });
    });

    app.get<{ Params: { wallet: string } }>("/executions/:wallet", async (request, reply) => {
      const wallet = parseWallet(request.params.wallet);
      const query = parse(listQuery, request.query);
      const ids = list(query.id);
      const statuses = list(query.status);
      const rows = await listExecutions(
        e.db,
        wallet.id,
        { ...(ids ? { ids } : {}), ...(statuses ? { statuses } : {}) },
        LIST_LIMIT,
      );
      return result(
        reply,
        200,
        rows.map((row) => renderExecution(executionPlanOf(row), row)),
      );
    });

    app.delete<{ Params: { wallet: string; executionId: string } }>(
      "/executions/:wallet/:executionId",
      async (request, reply) => {
        const req = parse(deleteRequest, request.body);
        await deleteExecution(e, request.params.wallet, request.params.executionId, {
          signature: req.signature,
          ...(req.publicKey !== undefined ? { publicKey: req.publicKey } : {}),
          ...(req.nep413 ? { nep413: req.nep413 } : {}),
        });
        return result(reply, 200, { executionId: request.params.executionId, deleted: true });
      },
    );
  };
}
