import { type FeeOption, type Intent, TradeType } from "@0xtrails/api";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { depositSignature, signGasless } from "../support/gasless.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows } from "../support/trails-flow.ts";

/**
 * GET /admin/activity on a fresh Junction: the fees it reports are the quotes' fees (and the
 * relayer's fee of a gasless deposit, and the slippage allowance an exact-output deposit brought),
 * each fill lands in a bucket with its volume and latency; bad input and strangers are refused.
 */
let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  // The watchers poll for blocks here, as with a node without WebSocket: that path is covered too.
  t = await startTestJunction({ JUNCTION_FOLLOW_HEADS: "polling" });
  f = flows(t);
});
afterAll(() => t?.stop());

const A = 0;
const B = 1;
const PAYER = 3;
const admin = { authorization: "Bearer devnet-admin" };

interface ActivityBody {
  since: string;
  bucketSeconds: number;
  fees: Record<string, string | number>[];
  buckets: { start: string; fills: number; volumeUsd: number; latencyP50Ms: number | null }[];
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

async function activity(query = "", headers: Record<string, string> = admin) {
  const res = await fetch(`${t.url}/admin/activity${query}`, { headers });
  return { status: res.status, body: (await res.json()) as ActivityBody & { error?: string } };
}

const quote = (owner: Address, over: Partial<Parameters<TestJunction["trails"]["quoteIntent"]>[0]>) =>
  t.trails.quoteIntent({
    ownerAddress: owner,
    originChainId: f.chain(A).chainId,
    originTokenAddress: f.token(A, "USDC"),
    destinationChainId: f.chain(B).chainId,
    destinationTokenAddress: f.token(B, "USDC"),
    destinationToAddress: freshAddress(),
    tradeType: TradeType.EXACT_INPUT,
    originTokenAmount: 20_000_000n,
    ...over,
  });

const quotedFee = (intent: Intent) => {
  const p = intent.fees.provider;
  return { protocol: BigInt(p.trailsFee), gas: BigInt(p.quoteProviderFee) };
};

describe("GET /admin/activity", () => {
  it("reports each fill's fees, volume and latency in the window", async () => {
    const payer = devnetAccount(PAYER).address;
    // 1. Exact input, deposited by transfer.
    const plain = (await quote(payer, {})).intent;
    await t.trails.commitIntent({ intent: plain });
    const plainHash = await f.transfer(
      A,
      PAYER,
      f.token(A, "USDC"),
      plain.originIntentAddress as Address,
      20_000_000n,
    );
    await t.trails.executeIntent({ intentId: plain.intentId, depositTransactionHash: plainHash });

    // 2. Exact output, deposited in full: the solver keeps the slippage allowance (fromAmount − min).
    const exact = (
      await quote(payer, {
        tradeType: TradeType.EXACT_OUTPUT,
        originTokenAmount: undefined,
        destinationTokenAmount: 10_000_000n,
      })
    ).intent;
    await t.trails.commitIntent({ intent: exact });
    const exactIn = BigInt(exact.quote.fromAmount);
    const exactMin = BigInt(exact.quote.fromAmountMin);
    expect(exactIn).toBeGreaterThan(exactMin);
    const exactHash = await f.transfer(
      A,
      PAYER,
      f.token(A, "USDC"),
      exact.originIntentAddress as Address,
      exactIn,
    );
    await t.trails.executeIntent({ intentId: exact.intentId, depositTransactionHash: exactHash });

    // 3. Gasless: the relayer's fee is charged in USDC beside the quote's.
    const user = privateKeyToAccount(generatePrivateKey());
    const { intent: relayed, gasFeeOptions } = await quote(user.address, {});
    await t.trails.commitIntent({ intent: relayed });
    const option = gasFeeOptions.feeOptions[0] as FeeOption;
    await f.transfer(A, PAYER, f.token(A, "USDC"), user.address, 20_000_000n + option.amount);
    const chain = {
      client: f.client(A),
      chainId: f.chain(A).chainId,
      entrypoint: f.chain(A).contracts.IntentEntrypoint,
    };
    const signed = await signGasless(chain, user, relayed, option);
    await t.trails.executeIntent({
      intentId: relayed.intentId,
      depositSignature: depositSignature(signed, option),
    });

    for (const intent of [plain, exact, relayed]) {
      expect((await f.waitFinal(t.trails, intent.intentId)).status).toBe("SUCCEEDED");
    }

    const { status, body } = await activity();
    expect(status).toBe(200);
    expect(body.bucketSeconds).toBe(120);
    expect(body.buckets).toHaveLength(30);
    const fees = [plain, exact, relayed].map(quotedFee);
    const protocol = fees.reduce((n, x) => n + x.protocol, 0n);
    const gas = fees.reduce((n, x) => n + x.gas, 0n) + option.amount;
    const slippageKept = exactIn - exactMin;
    expect(body.fees).toEqual([
      {
        chainId: f.chain(A).chainId,
        token: f.token(A, "USDC"),
        symbol: "USDC",
        decimals: 6,
        protocol: protocol.toString(),
        gas: gas.toString(),
        slippageKept: slippageKept.toString(),
        earned: (protocol + gas + slippageKept).toString(),
        // USDC at $1 on the devnet.
        earnedUsd: Number(protocol + gas + slippageKept) / 1e6,
      },
    ]);
    expect(body.buckets.reduce((n, b) => n + b.fills, 0)).toBe(3);
    const delivered = [plain, exact, relayed].reduce((n, i) => n + BigInt(i.quote.toAmount), 0n);
    expect(body.buckets.reduce((n, b) => n + b.volumeUsd, 0)).toBeCloseTo(Number(delivered) / 1e6, 6);
    // Deposit confirmed → fill mined, for each of the three: measured, and not from a clock gone wrong.
    expect(body.latencyP50Ms).toBeGreaterThanOrEqual(0);
    expect(body.latencyP95Ms).toBeLessThan(60_000);

    // The longer windows see the same three fills.
    const day = await activity("?window=24h");
    expect(day.body.buckets.reduce((n, b) => n + b.fills, 0)).toBe(3);
    expect(day.body.fees).toEqual(body.fees);
  });

  it("refuses a window it does not chart, and a request without the admin key", async () => {
    const bad = await activity("?window=2h");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("window");
    expect(bad.body.error).toContain("1h, 24h, 7d");
    expect((await activity("", {})).status).toBe(401);
    expect((await activity("", { authorization: "Bearer wrong" })).status).toBe(401);
    for (const path of ["/admin/overview", "/admin/executions"]) {
      expect((await fetch(`${t.url}${path}`)).status).toBe(401);
    }
  });
});
