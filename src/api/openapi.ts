import { z } from "zod";
import { executionStatuses } from "../core/connect/execution-status.ts";
import { eventTypes } from "../core/events.ts";
import {
  createExecutionRequest,
  createStepsRequest,
  deleteRequest,
  depositSubmitRequest,
  errorDoc,
  executionDoc,
  listHeaders,
  listQuery,
  submitRequest,
  supportedTokensQuery,
  tokenDoc,
  walletParam,
} from "./connect/schemas.ts";
import { eventsQuery } from "./push/events-route.ts";
import { createWebhookBody, replayBody } from "./push/webhooks-routes.ts";
import { trailsMethods } from "./trails/plugin.ts";

type JsonSchema = Record<string, unknown>;

/** A component's JSON Schema, as an OpenAPI reference. */
const ref = (schema: z.ZodType): JsonSchema => {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error("a schema referenced from the OpenAPI document needs a meta id");
  return { $ref: `#/components/schemas/${id}` };
};

/** Inline JSON Schema of a schema that is not a component; request shapes are described as sent. */
const inline = (schema: z.ZodType): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  }) as JsonSchema;
  return rest;
};

/** Every schema given a meta id, as OpenAPI components (their JSON Schema ids stripped). */
function components(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    io: "input",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]),
  );
}

const json = (schema: JsonSchema) => ({ content: { "application/json": { schema } } });
const ok = (description: string, result: JsonSchema) =>
  ({ description, ...json({ type: "object", properties: { result }, required: ["result"] }) }) as const;
const errors = (statuses: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [
      status,
      { description, ...json(ref(errorDoc)) },
    ]),
  );
const parameters = (schema: z.ZodObject, where: "path" | "query" | "header") =>
  Object.entries((inline(schema).properties ?? {}) as Record<string, JsonSchema>).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path",
    schema: s,
    ...(typeof s.description === "string" ? { description: s.description } : {}),
  }));

const wallet = parameters(walletParam, "path");
const common = { 400: "Bad request: the message names the field", 500: "Internal error" };

/** The Intents Connect REST API. */
function connectPaths() {
  return {
    "/api/v1/supported_tokens": {
      get: {
        tags: ["Intents Connect"],
        summary: "Tokens that can be deposited (in) and that steps can use (out)",
        parameters: parameters(supportedTokensQuery, "query"),
        responses: {
          200: ok("The tokens", {
            type: "object",
            properties: {
              in: { type: "array", items: ref(tokenDoc) },
              out: { type: "array", items: ref(tokenDoc) },
            },
          }),
          ...errors(common),
        },
      },
    },
    "/api/v1/executions/{wallet}/intermediary": {
      get: {
        tags: ["Intents Connect"],
        summary: "The wallet's intermediary account (one CREATE2 address on every EVM chain)",
        parameters: wallet,
        responses: {
          200: ok("The account", {
            type: "object",
            properties: {
              originAccount: { type: "string" },
              originType: { enum: ["evm", "near", "solana"] },
              evm: { type: "string" },
              solana: { type: "null" },
            },
          }),
          ...errors(common),
        },
      },
    },
    "/api/v1/executions/{wallet}": {
      post: {
        tags: ["Intents Connect"],
        summary: "Create (201) or dry-run (200) a quote-backed execution: a bridge-in, or an out-operation",
        security: [{ apiKey: [] }],
        parameters: wallet,
        requestBody: { required: true, ...json(ref(createExecutionRequest)) },
        responses: {
          200: ok("Dry run: the quote and the steps, nothing stored, nothing to sign", ref(executionDoc)),
          201: ok("Created: sign details.payload and submit the signature", ref(executionDoc)),
          ...errors({
            ...common,
            401: "Missing or unknown x-api-key",
            409: "An execution for this wallet is already in progress on that chain",
            413: "Body over 256 KB",
            502: "A service behind Junction could not be reached",
          }),
        },
      },
      get: {
        tags: ["Intents Connect"],
        summary: "The wallet's executions, newest first",
        parameters: [...wallet, ...parameters(listQuery, "query"), ...parameters(listHeaders, "header")],
        responses: {
          200: ok("Always an array", { type: "array", items: ref(executionDoc) }),
          ...errors({
            ...common,
            401: "listings: own, without ids: neither a known x-api-key nor the wallet's signature",
          }),
        },
      },
    },
    "/api/v1/executions/{wallet}/steps": {
      post: {
        tags: ["Intents Connect"],
        summary: "Create a steps-only execution: the intermediary already holds destinationAsset",
        parameters: wallet,
        requestBody: { required: true, ...json(ref(createStepsRequest)) },
        responses: {
          201: ok("Created: sign details.payload and submit the signature", ref(executionDoc)),
          ...errors({
            ...common,
            409: "An execution for this wallet is already in progress on that chain",
            413: "Body over 256 KB",
          }),
        },
      },
    },
    "/api/v1/executions/{wallet}/submit": {
      post: {
        tags: ["Intents Connect"],
        summary: "Submit the wallet's signature of details.payload; the execution proceeds",
        parameters: wallet,
        requestBody: { required: true, ...json(ref(submitRequest)) },
        responses: {
          200: ok(
            "Signed. The answer has its own status set (Aurora's client's SubmitStatus): SIGNING for an " +
              "out-operation or a steps-only execution (no deposit from the user: the steps run now), " +
              "SIGNED_PENDING_DEPOSIT for a bridge-in waiting for its deposit, and for a bridge-in signed " +
              "again after its deposit was seen, the execution's status.",
            {
              type: "object",
              properties: {
                status: {
                  type: "string",
                  enum: ["SIGNING", "SIGNED_PENDING_DEPOSIT", ...executionStatuses],
                },
              },
            },
          ),
          ...errors({
            ...common,
            404: "No such execution",
            409: "Already signed, or past its deadline",
            502: "NEAR RPC unreachable",
          }),
        },
      },
    },
    "/api/v1/executions/deposit/submit": {
      post: {
        tags: ["Intents Connect"],
        summary: "Announce a deposit transaction, so it is acted on at once",
        requestBody: { required: true, ...json(ref(depositSubmitRequest)) },
        responses: {
          200: ok("Recorded", {
            type: "object",
            properties: { executionId: { type: "string" }, status: { type: "string" } },
          }),
          ...errors({
            ...common,
            404: "No execution has this deposit address",
            409: "The execution is not signed yet",
          }),
        },
      },
    },
    "/api/v1/executions/{wallet}/{executionId}": {
      delete: {
        tags: ["Intents Connect"],
        summary: "Cancel, with the wallet's signature over delete_execution:<executionId>",
        parameters: [
          ...wallet,
          { name: "executionId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
        ],
        requestBody: { required: true, ...json(ref(deleteRequest)) },
        responses: {
          200: ok("Deleted", {
            type: "object",
            properties: { status: { type: "string", enum: ["DELETED"] }, executionId: { type: "string" } },
          }),
          ...errors({
            ...common,
            404: "No such execution",
            409: "Not deletable in its status (never after SUCCESS)",
          }),
        },
      },
    },
  };
}

/** The Trails RPC: one POST per method, its request as validated; answers as in @0xtrails/api's types. */
function trailsPaths() {
  return Object.fromEntries(
    Object.entries(trailsMethods).map(([name, m]) => [
      `/rpc/Trails/${name}`,
      {
        post: {
          tags: ["Trails RPC"],
          summary: name,
          requestBody: { required: true, ...json(inline(m.request)) },
          responses: {
            200: {
              description: `${name}Response, as @0xtrails/api declares it`,
              ...json({ type: "object" }),
            },
            default: {
              description: "A webrpc error",
              ...json({
                type: "object",
                properties: {
                  error: { type: "string" },
                  code: { type: "integer" },
                  msg: { type: "string" },
                  message: { type: "string" },
                  status: { type: "integer" },
                },
              }),
            },
          },
        },
      },
    ]),
  );
}

const plainErrors = (statuses: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [
      status,
      { description, ...json({ type: "object", properties: { error: { type: "string" } } }) },
    ]),
  );

const webhookDoc: JsonSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    url: { type: "string" },
    events: { type: "array", items: { type: "string" } },
    owner: { type: ["string", "null"] },
    enabled: { type: "boolean" },
    disabledReason: { type: ["string", "null"] },
    cursor: { type: "string", description: "The last event acknowledged" },
    failures: { type: "integer", description: "Failed attempts in a row" },
    nextAttemptAt: { type: "string", format: "date-time" },
    createdAt: { type: "string", format: "date-time" },
  },
};
const webhookId = [{ name: "id", in: "path", required: true, schema: { type: "string" } }];
const admin = { tags: ["Push"], security: [{ adminKey: [] }] };
const adminErrors = plainErrors({ 401: "Missing or wrong admin key", 404: "No such webhook" });

/** The event stream and the webhook admin API. */
function pushPaths() {
  return {
    "/events": {
      get: {
        tags: ["Push"],
        summary:
          "Server-Sent Events of intents and executions: name intentId, executionId or owner (each repeatable; " +
          "the union), or send the admin key for every event. Resume with Last-Event-ID.",
        parameters: [
          ...parameters(eventsQuery, "query"),
          { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
        ],
        responses: {
          200: {
            description: `text/event-stream; each event's type is one of: ${eventTypes.join(", ")}`,
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          ...plainErrors({
            400: "Bad request: the message names the parameter",
            401: "No filter without the admin key, or a wrong key",
            404: "A named intent or execution does not exist",
            429: "Too many open streams from this client",
          }),
        },
      },
    },
    "/admin/webhooks": {
      post: {
        ...admin,
        summary: "Add a webhook endpoint; the answer carries its signing secret (whsec_…), shown once",
        requestBody: { required: true, ...json(inline(createWebhookBody)) },
        responses: {
          201: { description: "Added", ...json(webhookDoc) },
          ...plainErrors({
            400: "Bad request: the message names the field",
            401: "Missing or wrong admin key",
          }),
        },
      },
      get: {
        ...admin,
        summary: "Every webhook endpoint",
        responses: {
          200: {
            description: "The endpoints",
            ...json({ type: "object", properties: { webhooks: { type: "array", items: webhookDoc } } }),
          },
          ...adminErrors,
        },
      },
    },
    "/admin/webhooks/{id}": {
      delete: {
        ...admin,
        summary: "Remove an endpoint",
        parameters: webhookId,
        responses: { 200: { description: "Removed" }, ...adminErrors },
      },
    },
    "/admin/webhooks/{id}/deliveries": {
      get: {
        ...admin,
        summary: "The endpoint's latest delivery attempts, newest first",
        parameters: [
          ...webhookId,
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500 } },
        ],
        responses: {
          200: {
            description:
              "Attempts: sequence, eventType, webhookId, attempt, at, statusCode, latencyMs, error, responseExcerpt",
          },
          ...adminErrors,
        },
      },
    },
    "/admin/webhooks/{id}/replay": {
      post: {
        ...admin,
        summary: "Send every event from fromSequence on again (same webhook-ids)",
        parameters: webhookId,
        requestBody: { required: true, ...json(inline(replayBody)) },
        responses: { 202: { description: "Replaying", ...json(webhookDoc) }, ...adminErrors },
      },
    },
    "/admin/webhooks/{id}/enable": {
      post: {
        ...admin,
        summary: "Enable a disabled endpoint: it resumes where it stopped",
        parameters: webhookId,
        responses: { 200: { description: "Enabled", ...json(webhookDoc) }, ...adminErrors },
      },
    },
  };
}

/** The OpenAPI 3.1 document of both APIs, generated from the schemas that validate their requests. */
export function openApiDocument(version: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Junction",
      version,
      description:
        "A self-hostable cross-chain intents engine: the Trails RPC and the Intents Connect REST API on one engine.",
    },
    paths: { ...connectPaths(), ...trailsPaths(), ...pushPaths() },
    components: {
      schemas: components(),
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
        adminKey: { type: "http", scheme: "bearer" },
      },
    },
  };
}
