import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ed25519 } from "@noble/curves/ed25519";
import { base58 } from "@scure/base";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { nearRpcKeyResolver, registryKeyResolver } from "./near-keys.ts";

const newKey = () => ed25519.getPublicKey(ed25519.utils.randomSecretKey());
const wire = (key: Uint8Array) => `ed25519:${base58.encode(key)}`;

describe("registryKeyResolver", () => {
  const [first, second] = [newKey(), newKey()];
  const resolver = registryKeyResolver({ "alice.near": [wire(first), wire(second)], "bob.near": [] });

  it("returns an account's configured keys", async () => {
    expect(await resolver.keysOf("alice.near")).toEqual([first, second]);
    expect(await resolver.keysOf("bob.near")).toEqual([]);
  });

  it("knows no keys for an account it does not list", async () => {
    expect(await resolver.keysOf("carol.near")).toEqual([]);
  });

  it("refuses a malformed key when built, naming the account", () => {
    expect(() => registryKeyResolver({ "alice.near": ["ed25519:abc"] })).toThrowError(
      'NEAR key registry: account alice.near: "ed25519:abc" is not ed25519:<base58 of 32 bytes>',
    );
  });
});

describe("nearRpcKeyResolver (against a local server that answers like NEAR RPC)", () => {
  type Answer = { status: number; body: string };
  let answer: Answer;
  const requests: unknown[] = [];
  let server: Server;
  let url: string;

  const json = (body: unknown, status = 200): Answer => ({ status, body: JSON.stringify(body) });
  const rpcError = (name: string, cause: string) =>
    json({
      jsonrpc: "2.0",
      id: "junction",
      error: { name, cause: { name: cause, info: {} }, code: -32000, message: "Server error", data: cause },
    });

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        requests.push({
          method: request.method,
          type: request.headers["content-type"],
          body: JSON.parse(body),
        });
        response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
      });
    });
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((closed) => server.close(closed));
  });

  beforeEach(() => {
    requests.length = 0;
  });

  it("asks view_access_key_list at final finality and keeps the FullAccess ed25519 keys", async () => {
    const [full, alsoFull, functionCall] = [newKey(), newKey(), newKey()];
    // The shape of NEAR's documented example answer (docs.near.org, RPC "View access key list").
    answer = json({
      jsonrpc: "2.0",
      id: "junction",
      result: {
        keys: [
          {
            public_key: wire(functionCall),
            access_key: {
              nonce: 17,
              permission: {
                FunctionCall: {
                  allowance: "9999203942481156415000",
                  receiver_id: "place.meta",
                  method_names: [],
                },
              },
            },
          },
          { public_key: wire(full), access_key: { nonce: 0, permission: "FullAccess" } },
          {
            public_key:
              "secp256k1:5ftgm7wYK5gtVqq1kxMGy7gSudkrfYCbpsjL6sH1nwx2oj5NR2JktohjzB6fbEhhRERQpiwJcpwnQjxtoX3GS3cQ",
            access_key: { nonce: 1, permission: "FullAccess" },
          },
          { public_key: wire(alsoFull), access_key: { nonce: 8, permission: "FullAccess" } },
        ],
        block_height: 17798231,
        block_hash: "Gm7YSdx22wPuciW1jTTeRGP9mFqmon69ErFQvgcFyEEB",
      },
    });

    expect(await nearRpcKeyResolver(url).keysOf("alice.near")).toEqual([full, alsoFull]);
    expect(requests).toEqual([
      {
        method: "POST",
        type: "application/json",
        body: {
          jsonrpc: "2.0",
          id: "junction",
          method: "query",
          params: { request_type: "view_access_key_list", finality: "final", account_id: "alice.near" },
        },
      },
    ]);
  });

  it("returns no keys for an account that does not exist", async () => {
    answer = rpcError("HANDLER_ERROR", "UNKNOWN_ACCOUNT");
    expect(await nearRpcKeyResolver(url).keysOf("nobody.near")).toEqual([]);
  });

  it.each<[string, () => Answer, RegExp]>([
    ["another RPC error", () => rpcError("HANDLER_ERROR", "UNKNOWN_BLOCK"), /HANDLER_ERROR\/UNKNOWN_BLOCK/],
    ["an internal error", () => rpcError("INTERNAL_ERROR", "INTERNAL_ERROR"), /INTERNAL_ERROR/],
    ["a 500 that is not JSON", () => ({ status: 500, body: "<html>Bad Gateway</html>" }), /HTTP 500/],
    ["JSON that is no JSON-RPC answer", () => json({ hello: "world" }), /HTTP 200/],
    [
      "a malformed FullAccess key",
      () =>
        json({ result: { keys: [{ public_key: "ed25519:abc", access_key: { permission: "FullAccess" } }] } }),
      /"ed25519:abc" is not ed25519/,
    ],
  ])("throws on %s", async (_, respond, detail) => {
    answer = respond();
    const lookup = nearRpcKeyResolver(url).keysOf("alice.near");
    await expect(lookup).rejects.toThrowError(/^NEAR RPC could not be reached: /);
    await expect(lookup).rejects.toThrowError(detail);
  });

  it("throws when nothing listens, without naming the URL", async () => {
    const closed = createServer();
    await new Promise<void>((listening) => closed.listen(0, "127.0.0.1", listening));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((done) => closed.close(done));

    const lookup = nearRpcKeyResolver(closedUrl).keysOf("alice.near");
    await expect(lookup).rejects.toThrowError(/^NEAR RPC could not be reached: /);
    await expect(lookup).rejects.not.toThrowError(closedUrl);
  });

  it("uses the fetch it is given", async () => {
    answer = rpcError("HANDLER_ERROR", "UNKNOWN_ACCOUNT");
    const fetchFn = vi.fn(fetch);
    await nearRpcKeyResolver(url, fetchFn).keysOf("alice.near");
    expect(fetchFn).toHaveBeenCalledOnce();
  });
});
