/**
 * Bad input to the Intents Connect API, table-driven: every row sends one mistake and expects the
 * documented status with `{error}` naming what to fix; none may be a 5xx, and none may store
 * anything.
 */
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { type ApiAnswer, connectApi, vaultSteps } from "../support/connect.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";

let t: TestJunction;
let api: ReturnType<typeof connectApi>;
beforeAll(async () => {
  t = await startTestJunction();
  api = connectApi(t);
});
afterAll(() => t?.stop());

const wallet = devnetAccount(6).address;
type Json = Record<string, unknown>;

/** A valid bridge-in create: 100 USDC from the first chain into the second chain's DemoVault. */
function valid(): Json {
  const usdcA = api.asset(0, "USDC");
  const usdcB = api.asset(1, "USDC");
  return {
    version: "1.0",
    type: "evm",
    dry: false,
    quote: {
      originAsset: usdcA.id,
      destinationAsset: usdcB.id,
      amount: "100000000",
      swapType: "EXACT_INPUT",
      slippageTolerance: 50,
      deadline: new Date(Date.now() + 600_000).toISOString(),
    },
    steps: vaultSteps(usdcB.address, usdcB.chain.contracts.DemoVault as Address, wallet),
  };
}

const withQuote = (patch: Json) => (b: Json) => ({ ...b, quote: { ...(b.quote as Json), ...patch } });
const withStep = (patch: (step: Json) => Json) => (b: Json) => {
  const [first, ...rest] = b.steps as Json[];
  return { ...b, steps: [patch(first as Json), ...rest] };
};
const nested = (depth: number): unknown => (depth === 0 ? "x" : { a: nested(depth - 1) });
const nestedType = (depth: number): string => (depth === 0 ? "uint256" : `${nestedType(depth - 1)}[]`);

interface Row {
  name: string;
  /** The create body, changed from a valid one; a string is sent as the raw body. */
  body: (valid: Json) => Json | string;
  status: number;
  mentions: RegExp;
  path?: string;
  apiKey?: string;
}

const rows: Row[] = [
  {
    name: "a step with an unknown key",
    body: withStep((s) => ({ ...s, gas: "1" })),
    status: 400,
    mentions: /steps\[0\]: unknown key "gas"/,
  },
  {
    name: "a step with a re-cased key",
    body: withStep(({ functionSignature, ...s }) => ({ ...s, FunctionSignature: functionSignature })),
    status: 400,
    mentions: /steps\[0\]: unknown key "FunctionSignature".*case-sensitive/,
  },
  {
    name: "a step with a duplicated key",
    body: (b) =>
      JSON.stringify(b).replace(
        '"functionSignature":',
        '"to":"0x0000000000000000000000000000000000000001","functionSignature":',
      ),
    status: 400,
    mentions: /steps\[0\]: duplicate key "to"/,
  },
  {
    name: "31 steps",
    body: (b) => ({ ...b, steps: Array.from({ length: 31 }, () => (b.steps as Json[])[0]) }),
    status: 400,
    mentions: /steps: at most 30 steps/,
  },
  {
    name: "a functionSignature over 1024 bytes",
    body: withStep((s) => ({ ...s, functionSignature: `f${"a".repeat(1020)}(uint256)` })),
    status: 400,
    mentions: /steps\[0\]\.functionSignature: .*at most 1024/,
  },
  {
    name: "a parameter type nested 7 deep",
    body: withStep((s) => ({ ...s, functionSignature: `f(${nestedType(7)})`, parameters: [nested(0)] })),
    status: 400,
    mentions: /steps\[0\]\.functionSignature: .*nest/,
  },
  {
    name: "a step nested 16 deep outside its metadata",
    body: withStep((s) => ({ ...s, parameters: [s.parameters, nested(15)].flat() })),
    status: 400,
    mentions: /steps\[0\].*(deep|nest|depth)/,
  },
  {
    name: "parameters that do not ABI-encode",
    body: withStep((s) => ({ ...s, parameters: ["0xnot-an-address", "{MIN_AMOUNT_OUT}"] })),
    status: 400,
    mentions: /steps\[0\]\.parameters\[0\]/,
  },
  {
    name: "a wrong parameter count",
    body: withStep((s) => ({ ...s, parameters: ["{MIN_AMOUNT_OUT}"] })),
    status: 400,
    mentions: /steps\[0\]\.parameters/,
  },
  {
    name: "a placeholder a bridge-in cannot fill",
    body: withStep((s) => ({ ...s, parameters: ["{DEPOSIT_ADDRESS}", "{MIN_AMOUNT_OUT}"] })),
    status: 400,
    mentions: /\{DEPOSIT_ADDRESS\}/,
  },
  {
    name: "a value that is not a whole number",
    body: withStep((s) => ({ ...s, value: "1.5" })),
    status: 400,
    mentions: /steps\[0\]\.value/,
  },
  {
    name: "a body over 256 KB",
    body: (b) => ({ ...b, metadata: { pad: "x".repeat(300 * 1024) } }),
    status: 413,
    mentions: /256 KB/,
  },
  {
    name: "a wallet that is no wallet id",
    path: "/executions/not%20a%20wallet!",
    body: (b) => b,
    status: 400,
    mentions: /wallet: .*EVM address.*NEAR.*Solana/,
  },
  {
    name: "type solana",
    body: (b) => ({ ...b, type: "solana" }),
    status: 400,
    mentions: /type: "solana" is not supported/,
  },
  { name: "type bitcoin", body: (b) => ({ ...b, type: "bitcoin" }), status: 400, mentions: /^type: / },
  { name: "version 2.0", body: (b) => ({ ...b, version: "2.0" }), status: 400, mentions: /^version: / },
  { name: "no x-api-key", apiKey: "", body: (b) => b, status: 401, mentions: /x-api-key/ },
  { name: "a wrong x-api-key", apiKey: "not-the-key", body: (b) => b, status: 401, mentions: /x-api-key/ },
  {
    name: "a bridge-in with a recipient",
    body: withQuote({ recipient: wallet }),
    status: 400,
    mentions: /quote\.recipient: not allowed for a bridge-in/,
  },
  {
    name: "dry:false with no steps",
    body: (b) => ({ ...b, steps: [] }),
    status: 400,
    mentions: /steps: at least one step/,
  },
  {
    name: "no step that uses the destination token",
    body: (b) => ({ ...b, steps: [(b.steps as Json[])[1]] }),
    status: 400,
    mentions: /steps: no step uses the destination token/,
  },
  {
    name: "an unknown asset",
    body: withQuote({ originAsset: "nep141:nowhere.omft.near" }),
    status: 400,
    mentions: /quote\.originAsset: .* not an asset/,
  },
  { name: "amount 0", body: withQuote({ amount: "0" }), status: 400, mentions: /quote\.amount/ },
  { name: "amount -1", body: withQuote({ amount: "-1" }), status: 400, mentions: /quote\.amount/ },
  { name: "amount 1.5", body: withQuote({ amount: "1.5" }), status: 400, mentions: /quote\.amount/ },
  {
    name: "amount as a JSON number",
    body: withQuote({ amount: 100 }),
    status: 400,
    mentions: /quote\.amount/,
  },
  {
    name: "fractional slippage",
    body: withQuote({ slippageTolerance: 0.5 }),
    status: 400,
    mentions: /quote\.slippageTolerance: expected integer basis points/,
  },
  {
    name: "a deadline that has passed",
    body: withQuote({ deadline: "2020-01-01T00:00:00Z" }),
    status: 400,
    mentions: /quote\.deadline: .* has passed/,
  },
  {
    name: "a deadline that is no date",
    body: withQuote({ deadline: "tomorrow" }),
    status: 400,
    mentions: /quote\.deadline: expected an ISO 8601/,
  },
  {
    name: "an unknown swapType",
    body: withQuote({ swapType: "EXACT" }),
    status: 400,
    mentions: /quote\.swapType/,
  },
  {
    name: "an unknown quote key",
    body: withQuote({ refundTo: wallet }),
    status: 400,
    mentions: /quote.*refundTo/,
  },
  { name: "malformed JSON", body: () => '{"version": "1.0",', status: 400, mentions: /JSON|end of/i },
];

const seen: ApiAnswer[] = [];

describe("Intents Connect bad input", () => {
  it.each(rows)("$name → $status", async (row) => {
    const body = row.body(valid());
    const res = await api.call(
      "POST",
      row.path ?? `/executions/${wallet}`,
      body,
      row.apiKey === "" ? {} : { "x-api-key": row.apiKey ?? "devnet" },
    );
    seen.push(res);
    expect(res.status, JSON.stringify(res.body)).toBe(row.status);
    expect(Object.keys(res.body)).toEqual(["error"]);
    expect(res.body.error).toMatch(row.mentions);
  });

  it("accepts deep metadata, and a dry run answers 200 with no deposit address and nothing to sign", async () => {
    const body = withStep((s) => ({ ...s, metadata: { name: "deep", extra: nested(20) } }))({
      ...valid(),
      dry: true,
    });
    const res = await api.create(wallet, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result.quote.depositAddress).toBeUndefined();
    expect(res.body.result.details.payload).toBeUndefined();
    expect(res.body.result.details.messageToSign).toBeUndefined();
  });

  it("refuses other calls' mistakes in the same format", async () => {
    const cases: [string, string, unknown, number, RegExp][] = [
      [
        "POST",
        `/executions/${wallet}/submit`,
        { executionId: "1234", signature: "0x00" },
        400,
        /executionId/,
      ],
      [
        "POST",
        `/executions/${wallet}/submit`,
        { executionId: crypto.randomUUID(), signature: "0x00" },
        404,
        /no execution/,
      ],
      [
        "POST",
        `/executions/${wallet}/steps`,
        { version: "1.0", type: "evm", destinationAsset: api.asset(1, "USDC").id, steps: [] },
        400,
        /steps: at least one step/,
      ],
      ["POST", "/executions/deposit/submit", { txHash: "0x12", depositAddress: wallet }, 400, /txHash/],
      [
        "POST",
        "/executions/deposit/submit",
        { txHash: `0x${"ab".repeat(32)}`, depositAddress: wallet },
        404,
        /no execution has the deposit address/,
      ],
      ["DELETE", `/executions/${wallet}/${crypto.randomUUID()}`, { signature: "0x00" }, 404, /no execution/],
      ["GET", "/supported_tokens?flow=sideways", undefined, 400, /flow/],
      // Text PostgreSQL cannot hold (a NUL, an unpaired surrogate), in a path, a query or a body.
      ["GET", `/executions/${wallet}?id=%00`, undefined, 400, /^query\.id: contains a NUL character/],
      [
        "DELETE",
        `/executions/${wallet}/%00`,
        { signature: "0x00" },
        400,
        /^path\.executionId: contains a NUL/,
      ],
      [
        "POST",
        `/executions/${wallet}/steps`,
        {
          version: "1.0",
          type: "evm",
          destinationAsset: api.asset(1, "USDC").id,
          steps: [],
          metadata: { x: "a\ud800" },
        },
        400,
        /^metadata\.x: contains a NUL character or an unpaired UTF-16 surrogate/,
      ],
      [
        "DELETE",
        `/executions/${wallet}/${crypto.randomUUID()}`,
        { signature: `0x${"11".repeat(65)}`, nep413: { recipient: "junction", nonce: "AB==" } },
        400,
        /nep413\.nonce: expected 32 bytes in base64/,
      ],
      ["GET", "/nowhere", undefined, 404, /no such route/],
    ];
    for (const [method, path, body, status, mentions] of cases) {
      const res = await api.call(method, path, body);
      seen.push(res);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
      expect(res.body.error).toMatch(mentions);
    }
  });

  it("never answered 5xx, and stored nothing", async () => {
    expect(seen.filter((r) => r.status >= 500)).toEqual([]);
    expect((await api.list(wallet)).body.result).toEqual([]);
  });
});
