import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { testJunctionFixture } from "../support/junction.ts";

const j = testJunctionFixture();

/** The scrape, as sample name with labels → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${j.t.url}/metrics`);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const sample = (s: Map<string, number>, key: string) => s.get(key) ?? 0;

describe("GET /metrics", () => {
  it("moves with a payment: quotes, transitions, fill latency, intents by status, inventory, requests", async () => {
    const before = await scrape();
    const user = devnetAccount(2).address;
    const intent = await j.f.quotePayment(j.t.trails, user, { amount: 10_000_000n });
    await j.t.trails.commitIntent({ intent });
    const hash = await j.f.transfer(
      0,
      2,
      j.f.token(0, "USDC"),
      intent.depositTransaction.toAddress as Address,
      10_000_000n,
    );
    await j.t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    await j.f.waitFinal(j.t.trails, intent.intentId);
    const after = await scrape();
    const grew = (key: string) => sample(after, key) - sample(before, key);

    expect(grew('junction_quotes_total{dialect="trails"}')).toBe(1);
    expect(grew('junction_intent_transitions_total{from="QUOTED",to="COMMITTED"}')).toBe(1);
    expect(grew('junction_intent_transitions_total{from="COMMITTED",to="EXECUTING"}')).toBe(1);
    expect(grew('junction_intent_transitions_total{from="EXECUTING",to="SUCCEEDED"}')).toBe(1);
    expect(grew("junction_fill_latency_seconds_count")).toBe(1);
    expect(grew('junction_intents{status="SUCCEEDED"}')).toBe(1);
    // The solver paid out on chain B: its inventory there went down by what the recipient got.
    const inventoryB = `junction_inventory{chain="${j.f.chain(1).slug}",token="USDC"}`;
    expect(grew(inventoryB)).toBe(-Number(intent.quote.toAmount));
    expect(
      sample(after, `junction_signer_balance_wei{chain="${j.f.chain(0).slug}",role="solver"}`),
    ).toBeGreaterThan(0);
    expect(after.has('junction_queue_due{queue="intents"}')).toBe(true);
    expect(after.has('junction_queue_parked{queue="executions"}')).toBe(true);
    expect(after.has('junction_executions{status="SUCCESS"}')).toBe(true);
    expect(
      grew(
        'junction_http_request_duration_seconds_count{method="POST",route="/rpc/Trails/QuoteIntent",status="200"}',
      ),
    ).toBe(1);
    expect(after.has("process_resident_memory_bytes")).toBe(true);
  });
});

describe("a refused quote", () => {
  it("is counted by its reason", async () => {
    const before = await scrape();
    const huge = 10n ** 15n * 1_000_000n; // more USDC than the solver holds
    await expect(j.f.quotePayment(j.t.trails, devnetAccount(2).address, { amount: huge })).rejects.toThrow(
      /can deliver at most/,
    );
    const key = 'junction_quotes_refused_total{dialect="trails",reason="insufficient_inventory"}';
    expect(sample(await scrape(), key) - sample(before, key)).toBe(1);
  });
});

describe("GET /ready", () => {
  it("is ready with the database, every chain fresh and watched, nothing parked", async () => {
    const res = await fetch(`${j.t.url}/ready`);
    const body = (await res.json()) as {
      ready: boolean;
      notReady: string[];
      checks: { name: string; ok: boolean }[];
    };
    expect(res.status).toBe(200);
    expect(body.ready).toBe(true);
    expect(body.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "database",
        "parked",
        `chain:${j.f.chain(0).slug}`,
        `watcher:${j.f.chain(0).slug}`,
      ]),
    );
  });
});
