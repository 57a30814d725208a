import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { RuntimeChain } from "../chains/registry.ts";
import { knownChains } from "../config/known-chains.ts";
import type { Admission } from "./admission.ts";
import type { AppContext } from "./context.ts";

/**
 * What the gateway forwards: reads, and sending a transaction someone else signed. Nothing that
 * would act with the node's own accounts or change its state (`eth_sendTransaction`, `anvil_*`,
 * `debug_*`, `personal_*`).
 */
const allowedMethods = new Set([
  "eth_chainId",
  "net_version",
  "web3_clientVersion",
  "eth_syncing",
  "eth_blockNumber",
  "eth_getBalance",
  "eth_getCode",
  "eth_getStorageAt",
  "eth_getTransactionCount",
  "eth_call",
  "eth_estimateGas",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_feeHistory",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getBlockTransactionCountByNumber",
  "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
  "eth_getLogs",
  "eth_sendRawTransaction",
]);

/** Calls one request may batch. */
const MAX_BATCH = 50;
const UPSTREAM_TIMEOUT_MS = 10_000;

interface RpcCall {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

const rpcError = (id: unknown, code: number, message: string) => ({
  jsonrpc: "2.0",
  id: id ?? null,
  error: { code, message },
});

/** The chain a path names: by its slug, its id, or the slug Sequence's gateway gives its id. */
function chainNamed(ctx: AppContext, name: string): RuntimeChain | undefined {
  return ctx.registry.chains.find(
    (c) => c.slug === name || String(c.chainId) === name || knownChains[c.chainId]?.gatewaySlug === name,
  );
}

/** Why a call is not forwarded, or null when it is. */
function refusal(call: RpcCall): string | null {
  if (typeof call !== "object" || call === null || typeof call.method !== "string") {
    return "not a JSON-RPC call: expected {jsonrpc, id, method, params}";
  }
  if (!allowedMethods.has(call.method)) {
    return `${call.method} is not served here: the node gateway forwards reads and eth_sendRawTransaction only`;
  }
  return null;
}

async function forward(chain: RuntimeChain, body: unknown): Promise<unknown> {
  const res = await fetch(chain.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
  });
  return res.json();
}

/**
 * `POST /nodes/<chain slug or id>/<key>`: JSON-RPC to the chains Junction serves, in the shape of
 * Sequence's node gateway (`<gateway>/<chain>/<access key>`), so a client configured with one URL
 * (the Trails widget's `sequenceNodeGatewayUrl`) reaches every chain. The key must be one of the
 * configured access keys when any are; batches of up to 50 calls; refused calls are answered as
 * JSON-RPC errors beside the forwarded ones.
 */
export function nodesRoute(ctx: AppContext, admission: Admission): FastifyPluginAsync {
  const answer = (reply: FastifyReply, status: number, message: string) =>
    reply.status(status).send(rpcError(null, status === 404 ? -32602 : -32600, message));
  return async (app) => {
    app.addHook(
      "onRequest",
      admission.limitRequests((message) => rpcError(null, -32005, message)),
    );
    // A body that is not JSON is JSON-RPC's parse error, in its shape.
    app.setErrorHandler((err: { statusCode?: number; message: string }, _request, reply) => {
      if (err.statusCode && err.statusCode < 500) {
        return reply
          .status(err.statusCode)
          .send(rpcError(null, -32700, `${err.message}: send a JSON-RPC request`));
      }
      throw err;
    });
    const handle = async (
      request: FastifyRequest<{ Params: { chain: string; key?: string } }>,
      reply: FastifyReply,
    ) => {
      const chain = chainNamed(ctx, request.params.chain);
      if (!chain) {
        const known = ctx.registry.chains.map((c) => `${c.slug} (${c.chainId})`).join(", ");
        return answer(reply, 404, `no chain ${request.params.chain}; this gateway serves ${known}`);
      }
      const keys = ctx.config.accessKeys;
      if (keys.length > 0 && !keys.includes(request.params.key ?? "")) {
        return answer(
          reply,
          401,
          "the path's access key is not one Junction knows: /nodes/<chain>/<access key>",
        );
      }
      const body = request.body as RpcCall | RpcCall[] | undefined;
      const calls = Array.isArray(body) ? body : [body ?? {}];
      if (calls.length === 0 || calls.length > MAX_BATCH) {
        return answer(reply, 400, `a batch holds 1 to ${MAX_BATCH} calls`);
      }
      const refused = calls.map(refusal);
      // Forwarded under ids of Junction's own (the call's place in the batch), so duplicate,
      // missing or odd ids of the caller's cannot mix up the answers; each gets its id back.
      const allowed = calls.flatMap((call, i) =>
        refused[i] === null ? [{ ...call, jsonrpc: "2.0", id: i }] : [],
      );
      let forwarded: unknown[] = [];
      if (allowed.length > 0) {
        try {
          const upstream = await forward(chain, allowed);
          forwarded = Array.isArray(upstream) ? upstream : [upstream];
        } catch (err) {
          return answer(reply, 502, `${chain.slug}'s node did not answer: ${(err as Error).message}`);
        }
      }
      const byPlace = new Map(forwarded.map((r) => [(r as RpcCall).id, r as RpcCall]));
      const answers = calls.map((call, i) => {
        const id = (call as RpcCall)?.id ?? null;
        const why = refused[i];
        if (why) return rpcError(id, -32601, why);
        const result = byPlace.get(i);
        return result ? { ...result, id } : rpcError(id, -32603, "the node gave no answer to this call");
      });
      return Array.isArray(body) ? answers : answers[0];
    };
    app.post("/nodes/:chain", handle);
    app.post("/nodes/:chain/:key", handle);
  };
}
