import { TradeType } from "@0xtrails/api";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { intentEvents } from "../../src/store/events.ts";
import { findIntent } from "../../src/store/intents.ts";
import { poisonedBalanceReads } from "../support/faults.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";

/**
 * A step that throws forever (its chain reads fail for one intent) backs off, parks after the
 * maximum, shows in /health and in the operator's listing, and completes once an operator retries
 * it after the fault is gone; another intent flows normally all the while.
 */

const MAX_ATTEMPTS = 4;
const faults = poisonedBalanceReads();
const poisoned = faults.poisoned;

let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction(
    {
      JUNCTION_QUEUE_RETRY_BASE_MS: "40",
      JUNCTION_QUEUE_RETRY_MAX_MS: "400",
      JUNCTION_QUEUE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    },
    "",
    faults.ports,
  );
  f = flows(t);
});
afterAll(() => t?.stop());

const USER = 5;
const admin = { authorization: "Bearer devnet-admin" };

async function getJson(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A committed USDC A → B intent with its deposit made and announced. */
async function paidIntent(amount: bigint, poison: boolean) {
  const usdc = f.token(0, "USDC");
  const { intent } = await t.trails.quoteIntent({
    ownerAddress: devnetAccount(USER).address,
    originChainId: f.chain(0).chainId,
    originTokenAddress: usdc,
    destinationChainId: f.chain(1).chainId,
    destinationTokenAddress: f.token(1, "USDC"),
    tradeType: TradeType.EXACT_INPUT,
    originTokenAmount: amount,
  });
  await t.trails.commitIntent({ intent });
  if (poison) poisoned.add((intent.originIntentAddress as string).toLowerCase());
  const hash = await f.transfer(0, USER, usdc, intent.originIntentAddress as Address, amount);
  await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
  return intent;
}

describe("a step that keeps failing", () => {
  it("backs off, parks, shows in /health, and completes after an operator's retry; others flow meanwhile", async () => {
    const stuck = await paidIntent(11_000_000n, true);
    const healthy = await paidIntent(12_000_000n, false);

    // The healthy intent completes while the other one fails.
    expect((await f.waitFinal(t.trails, healthy.intentId)).status).toBe("SUCCEEDED");

    const parked = await until(
      () => findIntent(t.db, stuck.intentId),
      (row) => row?.parked_at != null,
      "the failing intent to be parked",
    );
    expect(parked).toMatchObject({ status: "EXECUTING", attempts: MAX_ATTEMPTS });
    expect(parked?.last_error).toMatch(/connection reset by peer/);

    // Each failure waited longer than the one before (exponential backoff with jitter in the upper half).
    const events = await intentEvents(t.db, stuck.intentId);
    const failures = events.filter((e) => e.type === "intent.step_failed");
    expect(failures.map((e) => (e.data as { attempts: number }).attempts)).toEqual([1, 2, 3]);
    const delays = failures.map((e) => Date.parse((e.data as { retryAt: string }).retryAt) - e.at.getTime());
    expect(delays[0]).toBeGreaterThanOrEqual(20);
    expect(delays[0]).toBeLessThanOrEqual(40);
    expect(delays[2]).toBeGreaterThanOrEqual(80);
    expect(delays[2]).toBeLessThanOrEqual(160);
    expect(events.filter((e) => e.type === "intent.parked")).toHaveLength(1);

    // Parked: nothing happens to it any more, and the funds stay at the deposit address.
    await new Promise((r) => setTimeout(r, 300));
    expect((await findIntent(t.db, stuck.intentId))?.attempts).toBe(MAX_ATTEMPTS);
    expect(await f.balance(0, f.token(0, "USDC"), stuck.originIntentAddress as Address)).toBe(11_000_000n);

    const health = await getJson("/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: "degraded",
      queue: { intents: { parked: 1, failing: 0 }, executions: { parked: 0, failing: 0 } },
    });

    expect((await getJson("/admin/parked")).status).toBe(401);
    const listing = await getJson("/admin/parked", admin);
    expect(listing.body.parked).toEqual([
      expect.objectContaining({
        kind: "intents",
        id: stuck.intentId,
        status: "EXECUTING",
        attempts: MAX_ATTEMPTS,
        lastError: expect.stringMatching(/connection reset by peer/),
      }),
    ]);

    // The operator fixes the node and retries: the intent completes, paid once.
    poisoned.clear();
    const retry = await fetch(`${t.url}/admin/intents/${stuck.intentId}/retry`, {
      method: "POST",
      headers: admin,
    });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ retried: [{ kind: "intents", id: stuck.intentId }] });
    const again = await fetch(`${t.url}/admin/intents/${stuck.intentId}/retry`, {
      method: "POST",
      headers: admin,
    });
    expect(again.status).toBe(404);
    const all = await fetch(`${t.url}/admin/parked/retry`, { method: "POST", headers: admin });
    expect(await all.json()).toEqual({ retried: [] });
    expect((await f.waitFinal(t.trails, stuck.intentId)).status).toBe("SUCCEEDED");
    expect((await getJson("/health")).body).toMatchObject({ status: "ok" });
    expect((await findIntent(t.db, stuck.intentId))?.attempts).toBe(0);
    const types = (await intentEvents(t.db, stuck.intentId)).map((e) => e.type);
    expect(types.filter((type) => type === "fill.sent")).toHaveLength(1);
    expect(types).toContain("intent.retried");
  });
});
