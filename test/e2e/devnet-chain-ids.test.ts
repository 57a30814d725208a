import { TradeType } from "@0xtrails/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";

/** The mainnets the Trails widget has compiled in. */
const widgetChains = [
  1, 10, 56, 100, 137, 143, 1868, 5031, 8333, 8453, 33139, 42161, 42170, 42793, 43114, 81457, 660279, 747474,
];

let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction({ JUNCTION_DEVNET_CHAIN_IDS: "8453,42161,10" });
  f = flows(t);
}, 120_000);
afterAll(() => t?.stop());

describe("a devnet under the ids of chains the widget knows", () => {
  it("serves them under those ids, names and gateway slugs", async () => {
    const { chains } = await t.trails.getChains({});
    expect(chains.map((c) => [c.id, c.name])).toEqual([
      [8453, "Base (local devnet)"],
      [42161, "Arbitrum One (local devnet)"],
      [10, "OP Mainnet (local devnet)"],
    ]);
    const { tokens } = await t.trails.getTokenList({ chainIds: widgetChains });
    expect([...new Set(tokens.map((tk) => tk.chainId))].sort((a, b) => a - b)).toEqual([10, 8453, 42161]);
    const res = await fetch(`${t.url}/nodes/arbitrum/any-key`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    expect(Number(((await res.json()) as { result: string }).result)).toBe(42161);
  });

  it("pays across them", async () => {
    const user = devnetAccount(2).address;
    const { intent } = await t.trails.quoteIntent({
      ownerAddress: user,
      originChainId: 8453,
      originTokenAddress: f.token(0, "USDC"),
      destinationChainId: 42161,
      destinationTokenAddress: f.token(1, "USDC"),
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: 1_000_000n,
    });
    await t.trails.commitIntent({ intent });
    const hash = await f.transfer(
      0,
      2,
      f.token(0, "USDC"),
      intent.depositTransaction.toAddress as `0x${string}`,
      1_000_000n,
    );
    await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    expect((await f.waitFinal(t.trails, intent.intentId)).status).toBe("SUCCEEDED");
    expect(await f.balance(1, f.token(1, "USDC"), user)).toBeGreaterThan(0n);
  });
});
