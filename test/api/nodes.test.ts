import { defineChain } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicClientFor } from "../../src/chains/clients.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";

let t: TestJunction;
beforeAll(async () => {
  t = await startTestJunction({ JUNCTION_ACCESS_KEYS: "gateway-key-1" });
});
afterAll(() => t?.stop());

const chain = () =>
  t.junction.ctx.registry.chains[0] as NonNullable<(typeof t.junction.ctx.registry.chains)[0]>;

async function rpc(path: string, body: unknown) {
  const res = await fetch(`${t.url}/nodes/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the gateway sent
  return { status: res.status, body: (await res.json()) as any };
}

const call = (method: string, params: unknown[] = [], id = 1) => ({ jsonrpc: "2.0", id, method, params });

describe("the node gateway (/nodes/<chain>/<key>)", () => {
  it("forwards reads to the chain named by slug or id, as a viem client uses it", async () => {
    const c = chain();
    for (const name of [c.slug, String(c.chainId)]) {
      const { status, body } = await rpc(`${name}/gateway-key-1`, call("eth_chainId"));
      expect(status).toBe(200);
      expect(Number(body.result)).toBe(c.chainId);
    }
    const client = publicClientFor(
      defineChain({ ...c.viem, rpcUrls: { default: { http: [`${t.url}/nodes/${c.slug}/gateway-key-1`] } } }),
    );
    expect(await client.getBlockNumber()).toBeGreaterThan(0n);
  });

  it("answers a batch call by call, refusing what it does not serve beside what it forwards", async () => {
    const { status, body } = await rpc(`${chain().slug}/gateway-key-1`, [
      call("eth_blockNumber", [], 1),
      call("anvil_setBalance", ["0x0000000000000000000000000000000000000001", "0x1"], 2),
      call("eth_sendTransaction", [{}], 3),
      call("eth_chainId", [], 4),
    ]);
    expect(status).toBe(200);
    expect(body.map((r: { id: number }) => r.id)).toEqual([1, 2, 3, 4]);
    expect(body[0].result).toMatch(/^0x/);
    expect(body[1].error).toMatchObject({
      code: -32601,
      message: expect.stringMatching(/anvil_setBalance is not served/),
    });
    expect(body[2].error.code).toBe(-32601);
    expect(Number(body[3].result)).toBe(chain().chainId);
  });

  it("answers each call of a batch with its own result whatever its id (repeated, missing, odd)", async () => {
    const { status, body } = await rpc(`${chain().slug}/gateway-key-1`, [
      call("eth_chainId", [], 1),
      call("eth_blockNumber", [], 1),
      { jsonrpc: "2.0", method: "eth_chainId", params: [] },
      call("eth_chainId", [], { odd: true } as never),
    ]);
    expect(status).toBe(200);
    expect(body.map((r: { id: unknown }) => r.id)).toEqual([1, 1, null, { odd: true }]);
    expect(Number(body[0].result)).toBe(chain().chainId);
    expect(Number(body[1].result)).toBeGreaterThan(0);
    expect(Number(body[1].result)).not.toBe(chain().chainId);
    expect(Number(body[2].result)).toBe(chain().chainId);
    const single = await rpc(`${chain().slug}/gateway-key-1`, {
      jsonrpc: "2.0",
      method: "eth_chainId",
      params: [],
    });
    expect(single.status).toBe(200);
    expect(single.body).toMatchObject({ id: null, result: expect.stringMatching(/^0x/) });
  });

  it.each([
    ["an unknown chain", "nowhere/gateway-key-1", call("eth_chainId"), 404, /no chain nowhere/],
    ["a missing key", `alpha`, call("eth_chainId"), 401, /access key/],
    ["a wrong key", `alpha/nope`, call("eth_chainId"), 401, /access key/],
    ["a body that is not JSON", `alpha/gateway-key-1`, "{not json", 400, /JSON-RPC/],
    ["an empty batch", `alpha/gateway-key-1`, [], 400, /1 to 50 calls/],
  ])("refuses %s in JSON-RPC's error shape", async (_name, path, body, status, message) => {
    const res = await rpc(path, body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({
      jsonrpc: "2.0",
      id: null,
      error: { message: expect.stringMatching(message) },
    });
  });
});
