import { type Address, createTestClient, erc20Abi, http, publicActions } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicClientFor } from "../../src/chains/clients.ts";
import type { RuntimeChain } from "../../src/chains/registry.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";

const KEY = "indexer-key-1";
const MULTICALL3: Address = "0xcA11bde05977b3631167028862bE2a173976CA11";

let t: TestJunction;
beforeAll(async () => {
  t = await startTestJunction({ JUNCTION_ACCESS_KEYS: KEY });
});
afterAll(() => t?.stop());

const chains = () => t.junction.ctx.registry.chains;
const funded = () => t.junction.ctx.devnet?.accounts[0]?.address as Address;

async function gateway(method: string, body: unknown, key: string | null = KEY) {
  const res = await fetch(`${t.url}/indexer/rpc/IndexerGateway/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === null ? {} : { "x-access-key": key }) },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the gateway sent
  return { status: res.status, body: (await res.json()) as any };
}

const summaryOf = (accountAddresses: unknown, more: Record<string, unknown> = {}) =>
  gateway("GetTokenBalancesSummary", {
    filter: {
      accountAddresses,
      contractStatus: "VERIFIED",
      contractTypes: ["ERC20"],
      omitNativeBalances: false,
    },
    ...more,
  });

/** What the chain itself says `account` holds of each listed ERC-20 and of its native coin. */
async function onChain(chain: RuntimeChain, account: Address) {
  const client = publicClientFor(chain.viem);
  const erc20s = chain.tokens.filter((token) => !token.native);
  const balances = await Promise.all(
    erc20s.map((token) =>
      client.readContract({
        address: token.address,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [account],
      }),
    ),
  );
  return {
    tokens: erc20s.map((token, i) => ({ token, balance: balances[i] as bigint })),
    native: await client.getBalance({ address: account }),
    client,
  };
}

describe("the indexer gateway (/indexer/rpc/IndexerGateway/GetTokenBalancesSummary)", () => {
  it("answers a funded account's balances per chain, as the chain holds them", async () => {
    const account = funded();
    const { status, body } = await summaryOf([account.toLowerCase()]);
    expect(status).toBe(200);
    expect(body.page).toEqual({ page: 1, more: false });
    expect(body.balances.map((b: { chainId: number }) => b.chainId)).toEqual(chains().map((c) => c.chainId));
    for (const chain of chains()) {
      const held = await onChain(chain, account);
      const entry = body.balances.find((b: { chainId: number }) => b.chainId === chain.chainId);
      expect(entry.error).toBe("");
      const expected = held.tokens.filter((h) => h.balance > 0n);
      expect(expected.length).toBeGreaterThan(0);
      expect(entry.results).toHaveLength(expected.length);
      for (const { token, balance } of expected) {
        const result = entry.results.find(
          (r: { contractAddress: string }) => r.contractAddress === token.address,
        );
        expect(result).toMatchObject({
          contractType: "ERC20",
          accountAddress: account,
          balance: balance.toString(),
          chainId: chain.chainId,
          contractInfo: {
            chainId: chain.chainId,
            address: token.address,
            name: token.name,
            symbol: token.symbol,
            decimals: token.decimals,
            type: "ERC20",
          },
        });
        const block = await held.client.getBlock({ blockNumber: BigInt(result.blockNumber) });
        expect(result.blockHash).toBe(block.hash);
      }
      const native = body.nativeBalances.find((b: { chainId: number }) => b.chainId === chain.chainId);
      expect(native).toEqual({
        chainId: chain.chainId,
        error: "",
        results: [
          { accountAddress: account, chainId: chain.chainId, balance: held.native.toString(), error: "" },
        ],
      });
    }
  });

  it("leaves native balances out when asked to, and metadata when asked to", async () => {
    const { status, body } = await gateway("GetTokenBalancesSummary", {
      filter: { accountAddresses: [funded()], omitNativeBalances: true },
      omitMetadata: true,
    });
    expect(status).toBe(200);
    expect(body.nativeBalances).toEqual([]);
    const results = body.balances.flatMap((b: { results: unknown[] }) => b.results);
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) expect(result).not.toHaveProperty("contractInfo");
  });

  it("answers only the chains asked for", async () => {
    const chain = chains()[1] as RuntimeChain;
    const { body } = await summaryOf([funded()], { chainIds: [chain.chainId] });
    expect(body.balances.map((b: { chainId: number }) => b.chainId)).toEqual([chain.chainId]);
  });

  it("answers an account that holds nothing with empty results on every chain", async () => {
    const { status, body } = await summaryOf([privateKeyToAccount(generatePrivateKey()).address]);
    expect(status).toBe(200);
    const empty = chains().map((c) => ({ chainId: c.chainId, error: "", results: [] }));
    expect(body.balances).toEqual(empty);
    expect(body.nativeBalances).toEqual(empty);
  });

  it("answers the other chains when one chain's read fails, that chain's entries carrying the error", async () => {
    const chain = chains()[0] as RuntimeChain;
    const anvil = createTestClient({
      mode: "anvil",
      chain: chain.viem,
      transport: http(chain.rpcUrl),
    }).extend(publicActions);
    const code = await anvil.getCode({ address: MULTICALL3 });
    // A real failure on a real chain: the contract every read goes through is gone.
    await anvil.setCode({ address: MULTICALL3, bytecode: "0x" });
    try {
      const { status, body } = await summaryOf([funded()]);
      expect(status).toBe(200);
      const broken = body.balances.find((b: { chainId: number }) => b.chainId === chain.chainId);
      expect(broken).toMatchObject({
        error: expect.stringContaining(`${chain.slug}: the balances could not be read`),
        results: [],
      });
      const brokenNative = body.nativeBalances.find((b: { chainId: number }) => b.chainId === chain.chainId);
      expect(brokenNative).toMatchObject({ error: broken.error, results: [] });
      const others = body.balances.filter((b: { chainId: number }) => b.chainId !== chain.chainId);
      expect(
        others.every((b: { error: string; results: unknown[] }) => b.error === "" && b.results.length > 0),
      ).toBe(true);
    } finally {
      await anvil.setCode({ address: MULTICALL3, bytecode: code ?? "0x" });
    }
  });

  it.each([
    ["no filter", {}, /filter: expected an object/],
    [
      "no accounts",
      { filter: { accountAddresses: [] } },
      /filter\.accountAddresses: expected 1 to 50 account addresses/,
    ],
    [
      "a bad address",
      { filter: { accountAddresses: ["0x123"] } },
      /filter\.accountAddresses\.0: expected an 0x-prefixed/,
    ],
    [
      "51 accounts",
      {
        filter: {
          accountAddresses: Array.from(
            { length: 51 },
            () => privateKeyToAccount(generatePrivateKey()).address,
          ),
        },
      },
      /filter\.accountAddresses: expected 1 to 50 account addresses/,
    ],
  ])("refuses %s with a 400 naming the field", async (_name, body, message) => {
    const { status, body: answer } = await gateway("GetTokenBalancesSummary", body);
    expect(status).toBe(400);
    expect(answer).toMatchObject({
      error: "WebrpcBadRequest",
      code: -4,
      status: 400,
      msg: expect.stringMatching(message),
    });
  });

  it.each([
    ["a wrong key", "nope"],
    ["no key", null],
  ])("refuses %s with 401", async (_name, key) => {
    const { status, body } = await gateway(
      "GetTokenBalancesSummary",
      { filter: { accountAddresses: [funded()] } },
      key,
    );
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: "Unauthorized", code: 1000, status: 401 });
  });

  it("answers methods and services it does not serve with webrpc's 404", async () => {
    const other = await gateway("GetTokenBalances", {});
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({
      error: "WebrpcBadRoute",
      code: -2,
      msg: expect.stringMatching(/GetTokenBalances/),
    });
    const history = await fetch(`${t.url}/indexer/rpc/Indexer/GetTransactionHistory`, {
      method: "POST",
      body: "{}",
    });
    expect(history.status).toBe(404);
    expect(await history.json()).toMatchObject({ error: "WebrpcBadRoute", code: -2, status: 404 });
  });
});
