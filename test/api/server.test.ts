import { TradeType, TrailsApi, WebrpcError } from "@0xtrails/api";
import { createPublicClient, http, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settlementAbi } from "../../src/chains/abi.gen.ts";
import { abortMessage } from "../../src/core/intent/authority.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";

let t: TestJunction;
beforeAll(async () => {
  t = await startTestJunction();
});
afterAll(() => t?.stop());

interface DevnetBody {
  adminKey?: string;
  chains: {
    chainId: number;
    name: string;
    slug: string;
    rpcUrl: string;
    tokens: { symbol: string; address: string; decimals: number }[];
    contracts: Record<string, string>;
  }[];
  accounts: { address: string; privateKey: string }[];
}

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("GET /devnet", () => {
  it("describes three chains with tokens, contracts and live RPC URLs, and ten funded test accounts", async () => {
    const body = (await (await fetch(`${t.url}/devnet`)).json()) as DevnetBody;
    expect(body.chains.map((c) => c.chainId)).toEqual([900001, 900002, 900003]);
    expect(Object.keys(body).sort()).toEqual(["accounts", "adminKey", "chains", "connectApiKey"]);
    expect(body.adminKey).toBe(t.junction.ctx.config.adminKey);
    for (const chain of body.chains) {
      expect(Object.keys(chain).sort()).toEqual(["chainId", "contracts", "name", "rpcUrl", "slug", "tokens"]);
      expect(chain.tokens.map((tk) => [tk.symbol, tk.decimals])).toEqual([
        ["USDC", 6],
        ["WETH", 18],
        ["ETH", 18],
      ]);
      expect(chain.tokens[2]?.address).toBe("0x0000000000000000000000000000000000000000");
      expect(Object.keys(chain.contracts).sort()).toEqual([
        "DemoVault",
        "DepositFactory",
        "Executor",
        "IntentEntrypoint",
        "IntermediaryAccountFactory",
        "Settlement",
      ]);
      // The RPC URL reaches a chain with that id, where Settlement is deployed.
      const client = createPublicClient({ transport: http(chain.rpcUrl) });
      expect(await client.getChainId()).toBe(chain.chainId);
      const solver = await client.readContract({
        address: chain.contracts.Settlement as `0x${string}`,
        abi: settlementAbi,
        functionName: "solver",
      });
      expect(solver).toMatch(/^0x[0-9a-fA-F]{40}$/);
    }
    expect(body.accounts).toHaveLength(10);
    expect(body.accounts[0]?.address).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  });
});

describe("GET /health", () => {
  it("reports the database and every chain healthy", async () => {
    const res = await fetch(`${t.url}/health`);
    const body = (await res.json()) as { status: string; services: { name: string; healthy: boolean }[] };
    expect(res.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.services.map((s) => [s.name, s.healthy])).toEqual([
      ["database", true],
      ["chain:alpha", true],
      ["chain:beta", true],
      ["chain:gamma", true],
    ]);
  });
});

describe("Trails RPC through the real @0xtrails/api client", () => {
  it("Ping, Clock and RuntimeStatus", async () => {
    expect((await t.trails.ping()).version).toBe("0.1.0");
    const { serverTime } = await t.trails.clock();
    expect(Math.abs(Date.parse(serverTime) - Date.now())).toBeLessThan(60_000);
    const { status } = await t.trails.runtimeStatus();
    expect(status.healthOK).toBe(true);
    expect(status.services.map((s) => s.name)).toEqual([
      "database",
      "chain:alpha",
      "chain:beta",
      "chain:gamma",
    ]);
  });

  it("GetChains lists the configured chains", async () => {
    const { chains } = await t.trails.getChains({});
    expect(
      chains.map((c) => [c.id, c.name, c.tokenSymbol, c.tokenDecimals, c.isTestnet, c.supportsBridging]),
    ).toEqual([
      [900001, "Junction Alpha", "ETH", 18, true, true],
      [900002, "Junction Beta", "ETH", 18, true, true],
      [900003, "Junction Gamma", "ETH", 18, true, true],
    ]);
  });

  it("GetTokenList filters by chain, search text, address, exclusions and limit", async () => {
    const devnet = (await (await fetch(`${t.url}/devnet`)).json()) as DevnetBody;
    const usdc = devnet.chains[1]?.tokens[0]?.address as string;
    const all = await t.trails.getTokenList({ chainIds: [] });
    expect(all.tokens).toHaveLength(9);
    const beta = await t.trails.getTokenList({ chainIds: [900002] });
    expect(beta.tokens.map((tk) => tk.symbol)).toEqual(["USDC", "WETH", "ETH"]);
    expect(beta.tokens[0]).toMatchObject({
      chainId: 900002,
      address: usdc,
      decimals: 6,
      name: "USD Coin (devnet)",
    });
    const search = await t.trails.getTokenList({ chainIds: [900001], searchQuery: "wrapped" });
    expect(search.tokens.map((tk) => tk.symbol)).toEqual(["WETH"]);
    const byAddress = await t.trails.getTokenList({ chainIds: [900002], tokenAddress: usdc.toLowerCase() });
    expect(byAddress.tokens.map((tk) => tk.symbol)).toEqual(["USDC"]);
    const excluded = await t.trails.getTokenList({ chainIds: [900002], excludeTokens: [usdc] });
    expect(excluded.tokens.map((tk) => tk.symbol)).toEqual(["WETH", "ETH"]);
    const limited = await t.trails.getTokenList({ chainIds: [900001, 900003], limit: 4 });
    expect(limited.tokens.map((tk) => tk.chainId)).toEqual([900001, 900001, 900001, 900003]);
  });

  it("GetTokenPrices prices listed tokens and leaves unknown ones without a price", async () => {
    const { tokenPrices } = await t.trails.getTokenPrices({
      tokens: [
        { chainId: 900001, tokenAddress: "0x0000000000000000000000000000000000000000" },
        { chainId: 900001, tokenAddress: "0x000000000000000000000000000000000000dEaD" },
      ],
    });
    expect(tokenPrices[0]).toMatchObject({ token: { chainId: 900001, tokenSymbol: "ETH" }, priceUsd: 3000 });
    expect(tokenPrices[1]?.priceUsd).toBeUndefined();
    expect(Date.parse(tokenPrices[0]?.updatedAt ?? "")).not.toBeNaN();
  });

  it("GetTrailsContracts names the entrypoint, Settlement (router) and Executor (shim)", async () => {
    const devnet = (await (await fetch(`${t.url}/devnet`)).json()) as DevnetBody;
    const contracts = devnet.chains[0]?.contracts ?? {};
    const { TrailsContracts } = await t.trails.getTrailsContracts();
    expect(TrailsContracts).toEqual({
      trailsIntentEntrypointAddress: contracts.IntentEntrypoint,
      trailsRouterAddress: contracts.Settlement,
      trailsRouterShimAddress: contracts.Executor,
    });
  });

  it("QuoteIntent EXACT_OUTPUT with the payer's balance as originTokenAmount: quoted within it (as the widget sends it)", async () => {
    const usdc = (chainId: number) =>
      t.junction.ctx.registry.chains
        .find((c) => c.chainId === chainId)
        ?.tokens.find((tk) => tk.symbol === "USDC")?.address as `0x${string}`;
    const { intent } = await t.trails.quoteIntent({
      ownerAddress: devnetAccount(1).address,
      originChainId: 900001,
      originTokenAddress: usdc(900001),
      destinationChainId: 900002,
      destinationTokenAddress: usdc(900002),
      tradeType: TradeType.EXACT_OUTPUT,
      destinationTokenAmount: 10_000_000n,
      originTokenAmount: 1_000_000_000n,
    });
    expect(intent.quote.toAmount).toBe(10_000_000n);
    expect(intent.depositTransaction.amount).toBeGreaterThan(10_000_000n);
    expect(intent.depositTransaction.amount).toBeLessThanOrEqual(1_000_000_000n);
  });

  it("GetTokenList skips chains it does not serve (a widget asks with every chain it knows)", async () => {
    const beta = await t.trails.getTokenList({ chainIds: [900002] });
    expect((await t.trails.getTokenList({ chainIds: [1, 900002, 8453] })).tokens).toEqual(beta.tokens);
    expect((await t.trails.getTokenList({ chainIds: [1] })).tokens).toEqual([]);
  });

  it("an unknown chain is UnsupportedNetwork, through the client's own error type", async () => {
    const error = await t.trails
      .quoteIntent({
        ownerAddress: devnetAccount(1).address,
        originChainId: 1,
        originTokenAddress: zeroAddress,
        destinationChainId: 900002,
        destinationTokenAddress: zeroAddress,
        tradeType: TradeType.EXACT_INPUT,
        originTokenAmount: 1n,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebrpcError);
    expect(error).toMatchObject({ code: 8008, status: 422 });
    expect((error as Error).message).toMatch(/chain 1 is not supported/);
  });
});

describe("webrpc errors for malformed calls", () => {
  const cases: [
    string,
    () => Promise<{ status: number; body: Record<string, unknown> }>,
    string,
    number,
    number,
    RegExp,
  ][] = [
    [
      "unknown method",
      () => post("/rpc/Trails/Nope", "{}"),
      "WebrpcBadRoute",
      -2,
      404,
      /unknown method Nope/,
    ],
    [
      "wrong path depth",
      () => post("/rpc/Trails/Ping/extra", "{}"),
      "WebrpcBadRoute",
      -2,
      404,
      /no such route/,
    ],
    [
      "a webrpc service Junction does not run (a widget's TrailsOnramp)",
      () => post("/rpc/TrailsOnramp/GetOnrampQuote", "{}"),
      "WebrpcBadRoute",
      -2,
      404,
      /no such route: POST \/rpc\/TrailsOnramp\/GetOnrampQuote/,
    ],
    ["malformed JSON", () => post("/rpc/Trails/Ping", "{nope"), "WebrpcBadRequest", -4, 400, /bad request/],
    [
      "JSON array body",
      () => post("/rpc/Trails/GetChains", "[]"),
      "WebrpcBadRequest",
      -4,
      400,
      /JSON object/,
    ],
    [
      "mistyped field",
      () => post("/rpc/Trails/GetTokenList", '{"chainIds":"900001"}'),
      "InvalidArgument",
      2000,
      400,
      /^chainIds: /,
    ],
    [
      "missing field",
      () => post("/rpc/Trails/GetTokenPrices", "{}"),
      "InvalidArgument",
      2000,
      400,
      /^tokens: /,
    ],
    [
      "address that is not one",
      () => post("/rpc/Trails/GetTokenPrices", '{"tokens":[{"chainId":900001,"tokenAddress":"0x12"}]}'),
      "InvalidArgument",
      2000,
      400,
      /^tokens\.0\.tokenAddress: expected an 0x-prefixed 20-byte hex address/,
    ],
    [
      "fractional chain id",
      () => post("/rpc/Trails/GetTokenList", '{"chainIds":[1.5]}'),
      "InvalidArgument",
      2000,
      400,
      /^chainIds\.0: expected a chain id/,
    ],
  ];

  it.each(cases)("%s", async (_name, call, error, code, status, message) => {
    const res = await call();
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error, code, status });
    expect(res.body.msg).toMatch(message);
    expect(res.body.message).toBe(res.body.msg);
  });

  it("GET on a method is WebrpcBadMethod 405", async () => {
    const res = await fetch(`${t.url}/rpc/Trails/Ping`);
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ error: "WebrpcBadMethod", code: -3, status: 405 });
  });
});

describe("access keys", () => {
  let keyed: TestJunction;
  beforeAll(async () => {
    keyed = await startTestJunction(
      { JUNCTION_ACCESS_KEYS: "key-for-tests,another-key-456" },
      "key-for-tests",
    );
  });
  afterAll(() => keyed?.stop());

  it("once configured, a call without a valid X-Access-Key is Unauthorized", async () => {
    expect((await keyed.trails.ping()).version).toBe("0.1.0");
    const anonymous = new TrailsApi("", { hostname: keyed.url });
    await expect(anonymous.getChains({})).rejects.toMatchObject({ code: 1000, status: 401 });
    const wrong = new TrailsApi("wrong-key-123", { hostname: keyed.url });
    await expect(wrong.getChains({})).rejects.toMatchObject({ code: 1000, status: 401 });
  });

  it("an intent belongs to the key that quoted it and to its owner: no one else can abort it", async () => {
    const quote = async () =>
      (await flows(keyed).quotePayment(keyed.trails, devnetAccount(2).address)).intentId;
    const other = new TrailsApi("another-key-456", { hostname: keyed.url });
    const sign = (account: number, id: string) =>
      privateKeyToAccount(devnetAccount(account).privateKey).signMessage({ message: abortMessage(id) });
    const abort = (api: TrailsApi, intentId: string, ownerSignature?: string) =>
      api.abortIntent({
        intentId,
        chainId: 0,
        abortTransactionHash: "",
        ...(ownerSignature ? { ownerSignature } : {}),
      });
    const status = async (id: string) => (await keyed.trails.getIntent({ intentId: id })).intent.status;

    const first = await quote();
    // Another integrator, without the owner's signature, or with a stranger's: refused, nothing changes.
    await expect(abort(other, first)).rejects.toMatchObject({ code: 1000, status: 401 });
    await expect(abort(other, first, await sign(3, first))).rejects.toMatchObject({
      code: 1000,
      status: 401,
    });
    expect(await status(first)).toBe("QUOTED");
    // The refusal for an intent that does not exist reads the same.
    const unknown = `0x${"ab".repeat(32)}`;
    const messages = await Promise.all(
      [first, unknown].map((id) =>
        abort(other, id).catch((e: { message: string }) => e.message.replaceAll(id, "ID")),
      ),
    );
    expect(messages[0]).toBe(messages[1]);
    // The owner's signature works through any key; the quoting key works alone.
    expect((await abort(other, first, await sign(2, first))).status).toBe("ABORTED");
    const second = await quote();
    expect((await abort(keyed.trails, second)).status).toBe("ABORTED");
  });

  it("without configured keys, none is needed", async () => {
    expect((await new TrailsApi("", { hostname: t.url }).getChains({})).chains).toHaveLength(3);
  });
});

describe("API reference", () => {
  interface Operation {
    requestBody?: { content: { "application/json": { schema: { $ref?: string } } } };
    responses: Record<string, unknown>;
    security?: unknown[];
  }
  interface OpenApi {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: {
      schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }>;
    };
  }

  it("serves OpenAPI 3.1 for both APIs, with the Connect request schemas that validate requests", async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as OpenApi;
    expect(doc.openapi).toBe("3.1.0");
    const connect = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/v1/"))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(connect).toEqual([
      "DELETE /api/v1/executions/{wallet}/{executionId}",
      "GET /api/v1/executions/{wallet}",
      "GET /api/v1/executions/{wallet}/intermediary",
      "GET /api/v1/supported_tokens",
      "POST /api/v1/executions/deposit/submit",
      "POST /api/v1/executions/{wallet}",
      "POST /api/v1/executions/{wallet}/steps",
      "POST /api/v1/executions/{wallet}/submit",
    ]);
    const create = doc.paths["/api/v1/executions/{wallet}"]?.post as Operation;
    expect(create.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(create.responses).sort()).toEqual([
      "200",
      "201",
      "400",
      "401",
      "409",
      "413",
      "500",
      "502",
    ]);
    // Every reference resolves, and the step schema documents exactly the keys a step may have.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    for (const r of new Set(refs))
      expect(doc.components.schemas[r.split("/").at(-1) as string], r).toBeDefined();
    const step = doc.components.schemas.Step;
    expect(Object.keys(step?.properties ?? {})).toEqual([
      "to",
      "functionSignature",
      "parameters",
      "value",
      "metadata",
    ]);
    expect(step?.additionalProperties).toBe(false);
    expect(doc.paths["/rpc/Trails/QuoteIntent"]?.post).toBeDefined();
  });

  it("renders it at /docs from files served locally", async () => {
    const page = await fetch(`${t.url}/docs`);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('spec-url="/openapi.json"');
    const script = await fetch(`${t.url}/docs/rapidoc-min.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });
});
