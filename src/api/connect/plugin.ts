import type { FastifyError, FastifyPluginAsync, FastifyReply } from "fastify";
import type { z } from "zod";
import { JunctionError, type JunctionErrorKind } from "../../core/errors.ts";
import { unstorableTextAt, unstorableTextMessage } from "../../core/fields.ts";
import type { ExecutionListingCaller } from "../../engine/engine.ts";
import type { Admission } from "../admission.ts";
import type { AppContext } from "../context.ts";
import { describeIssues } from "../issues.ts";
import { renderExecution, renderSubmitStatus, renderTokens } from "./render.ts";
import {
  createExecutionRequest,
  createStepsRequest,
  deleteRequest,
  depositSubmitRequest,
  listHeaders,
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
  unauthorized: 401,
  unavailable: 503,
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

/** The caller of a listing, from its headers. */
function listingCaller(h: z.output<typeof listHeaders>): ExecutionListingCaller {
  const signature = h["x-signature"];
  const deadline = h["x-signature-deadline"];
  const recipient = h["x-nep413-recipient"];
  const nonce = h["x-nep413-nonce"];
  return {
    apiKey: h["x-api-key"] ?? null,
    ...(signature !== undefined && deadline !== undefined
      ? {
          walletSignature: {
            signature,
            deadline,
            ...(h["x-public-key"] !== undefined ? { publicKey: h["x-public-key"] } : {}),
            ...(recipient !== undefined && nonce !== undefined ? { nep413: { recipient, nonce } } : {}),
          },
        }
      : {}),
  };
}

/**
 * The Intents Connect REST API under /api/v1: `{result}` on success, `{error}` with the
 * documented HTTP status otherwise. Request bodies are parsed strictly (a duplicated key is a
 * 400), and every rule beyond their shape is the engine's.
 */
export function connectPlugin(ctx: AppContext, admission: Admission): FastifyPluginAsync {
  const e = ctx.engine;
  return async (app) => {
    app.addHook(
      "onRequest",
      admission.limitRequests((message) => ({ error: message }), "x-api-key"),
    );
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
    // Text that cannot be stored is refused before any route looks at it: path, query or body.
    app.addHook("preHandler", async (request) => {
      for (const [where, value] of [
        ["path", request.params],
        ["query", request.query],
        ["(body)", request.body],
      ] as const) {
        const at = unstorableTextAt(value, where);
        if (at !== null) throw new HttpError(400, unstorableTextMessage(at));
      }
    });

    app.get("/supported_tokens", async (request, reply) => {
      parse(supportedTokensQuery, request.query);
      // Every listed token can be deposited and every chain runs steps, so `in` and `out` are the
      // same list, and outOperation's swap of the two changes nothing.
      const tokens = renderTokens(ctx);
      return result(reply, 200, { in: tokens, out: tokens });
    });

    app.get<{ Params: { wallet: string } }>("/executions/:wallet/intermediary", async (request, reply) => {
      const { wallet, evm } = await e.intermediaryOf(request.params.wallet);
      return result(reply, 200, { originAccount: wallet.id, originType: wallet.type, evm, solana: null });
    });

    app.post<{ Params: { wallet: string } }>("/executions/:wallet", async (request, reply) => {
      const key = request.headers["x-api-key"];
      if (typeof key !== "string" || !ctx.config.connect.apiKeys.includes(key)) {
        throw new HttpError(401, "a valid x-api-key header is required to create a quote-backed execution");
      }
      const req = parse(createExecutionRequest, request.body);
      const execution = await e.createExecution(request.params.wallet, req, key);
      return result(reply, execution.stored ? 201 : 200, renderExecution(execution));
    });

    app.post<{ Params: { wallet: string } }>("/executions/:wallet/steps", async (request, reply) => {
      const req = parse(createStepsRequest, request.body);
      const execution = await e.createStepsExecution(request.params.wallet, {
        type: req.type,
        metadata: req.metadata,
        destinationAsset: req.destinationAsset,
        steps: req.steps,
        ...(req.deadline ? { deadline: req.deadline } : {}),
      });
      return result(reply, 201, renderExecution(execution));
    });

    app.post<{ Params: { wallet: string } }>("/executions/:wallet/submit", async (request, reply) => {
      const req = parse(submitRequest, request.body);
      const execution = await e.submitSignature(request.params.wallet, req.executionId, {
        signature: req.signature,
        ...(req.publicKey !== undefined ? { publicKey: req.publicKey } : {}),
      });
      return result(reply, 200, { status: renderSubmitStatus(execution) });
    });

    // A static segment: it wins over /executions/:wallet/submit for the path "deposit".
    app.post("/executions/deposit/submit", async (request, reply) => {
      const req = parse(depositSubmitRequest, request.body);
      const execution = await e.announceExecutionDeposit(req.depositAddress, req.txHash);
      return result(reply, 200, { executionId: execution.id, status: execution.status });
    });

    app.get<{ Params: { wallet: string } }>("/executions/:wallet", async (request, reply) => {
      const query = parse(listQuery, request.query);
      const ids = list(query.id);
      const statuses = list(query.status);
      const executions = await e.executions(
        request.params.wallet,
        { ...(ids ? { ids } : {}), ...(statuses ? { statuses } : {}) },
        LIST_LIMIT,
        listingCaller(parse(listHeaders, request.headers)),
      );
      return result(reply, 200, executions.map(renderExecution));
    });

    app.delete<{ Params: { wallet: string; executionId: string } }>(
      "/executions/:wallet/:executionId",
      async (request, reply) => {
        const req = parse(deleteRequest, request.body);
        await e.deleteExecution(request.params.wallet, request.params.executionId, {
          signature: req.signature,
          ...(req.publicKey !== undefined ? { publicKey: req.publicKey } : {}),
          ...(req.nep413 ? { nep413: req.nep413 } : {}),
        });
        return result(reply, 200, { status: "DELETED", executionId: request.params.executionId });
      },
    );
  };
}
