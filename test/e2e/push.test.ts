import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { connectApi, evmSigner, vaultSteps } from "../support/connect.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { openStream, type SseEvent } from "../support/sse.ts";
import { flows } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";
import { type Receiver, startReceiver } from "../support/webhook-receiver.ts";

let t: TestJunction;
let f: ReturnType<typeof flows>;
let api: ReturnType<typeof connectApi>;
beforeAll(async () => {
  // Retries a second apart, so a receiver's outage is waited out within the test.
  t = await startTestJunction({ JUNCTION_WEBHOOK_RETRY_SECONDS: "1", JUNCTION_WEBHOOK_DISABLE_AFTER: "4" });
  f = flows(t);
  api = connectApi(t);
});
afterAll(() => t?.stop());

const ADMIN = { authorization: "Bearer devnet-admin" };
const USER = 2;
const user = devnetAccount(USER).address;

const events = (query: string, headers: Record<string, string> = {}) =>
  openStream(`${t.url}/events?${query}`, headers);

async function admin(method: string, path: string, body?: unknown, headers: Record<string, string> = ADMIN) {
  const res = await fetch(`${t.url}/admin${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the server sent
  return { status: res.status, body: (await res.json()) as any };
}

type Quoted = Awaited<ReturnType<ReturnType<typeof flows>["quotePayment"]>>;

/** Commits a quoted payment and pays its 10 USDC deposit from the test account; returns the deposit's hash. */
async function pay(intent: Quoted) {
  await t.trails.commitIntent({ intent });
  const to = intent.depositTransaction.toAddress as Address;
  const hash = await f.transfer(0, USER, f.token(0, "USDC"), to, intent.quote.fromAmount);
  await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
  return hash;
}

/** A whole payment from chain A to chain B for `owner` through the real Trails client; returns the intent id. */
async function payment(owner: Address = user): Promise<string> {
  const intent = await f.quotePayment(t.trails, owner);
  await pay(intent);
  return intent.intentId;
}

const sequences = (list: SseEvent[]) => list.map((e) => BigInt(e.id));
const increasing = (list: bigint[]) => list.every((s, i) => i === 0 || s > (list[i - 1] as bigint));

describe("GET /events (Server-Sent Events)", () => {
  it("a Trails payment: a stream filtered by the intent sees every status in order, ending in SUCCEEDED", async () => {
    const intent = await f.quotePayment(t.trails, user);
    const stream = await events(`intentId=${intent.intentId}`);
    expect(stream.status).toBe(200);
    const hash = await pay(intent);
    const receipt = await f.waitFinal(t.trails, intent.intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    const seen = await stream.until((list) => list.some((e) => e.event === "intent.succeeded"));
    stream.close();

    const types = seen.map((e) => e.event);
    // The history from the quote on, then live: each status change in order, the terminal one last.
    expect(types[0]).toBe("intent.quoted");
    const statusChanges = types.filter((ty) =>
      ["intent.quoted", "intent.committed", "intent.executing", "intent.succeeded"].includes(ty),
    );
    expect(statusChanges).toEqual([
      "intent.quoted",
      "intent.committed",
      "intent.executing",
      "intent.succeeded",
    ]);
    expect(types).toContain("intent.deposit_detected");
    expect(types).toContain("intent.fill_sent");
    expect(types.indexOf("intent.fill_sent")).toBeLessThan(types.indexOf("intent.fill_mined"));
    expect(increasing(sequences(seen))).toBe(true);
    for (const e of seen) {
      expect(e.data).toMatchObject({ type: e.event, sequence: e.id, intentId: intent.intentId });
      expect(typeof e.data.occurredAt).toBe("string");
      expect(e.data.intentReceipt.intentId).toBe(intent.intentId);
    }
    const last = seen.at(-1) as SseEvent;
    expect(last.data.status).toBe("SUCCEEDED");
    expect(last.data.intentReceipt.status).toBe("SUCCEEDED");
    // The transactions concerned, by chain: the deposit on A, the fill on B.
    const detected = seen.find((e) => e.event === "intent.deposit_detected") as SseEvent;
    const depositBlock = (await f.client(0).getTransactionReceipt({ hash })).blockNumber;
    expect(detected.data.transaction).toEqual({
      chainId: f.chain(0).chainId,
      hash,
      blockNumber: depositBlock.toString(),
    });
    const fill = seen.find((e) => e.event === "intent.fill_sent") as SseEvent;
    expect(fill.data.transaction.chainId).toBe(f.chain(1).chainId);
    // Once mined, the fill's event names its block, as the chain does.
    const mined = seen.find((e) => e.event === "intent.fill_mined") as SseEvent;
    const fillHash = receipt.destinationTransaction?.txnHash as Hex;
    const fillBlock = (await f.client(1).getTransactionReceipt({ hash: fillHash })).blockNumber;
    expect(mined.data.transaction).toEqual({
      chainId: f.chain(1).chainId,
      hash: fillHash,
      blockNumber: fillBlock.toString(),
    });
  });

  it("a Connect bridge-in streamed by executionId sees each execution status in order, ending in SUCCESS", async () => {
    const wallet = privateKeyToAccount(devnetAccount(3).privateKey);
    const usdcA = api.asset(0, "USDC");
    const usdcB = api.asset(1, "USDC");
    const execution = await api.createSigned(evmSigner(wallet), {
      version: "1.0",
      type: "evm",
      dry: false,
      outOperation: false,
      metadata: {},
      quote: {
        originAsset: usdcA.id,
        destinationAsset: usdcB.id,
        amount: "50000000",
        swapType: "EXACT_INPUT",
        slippageTolerance: 50,
        deadline: new Date(Date.now() + 10 * 60_000).toISOString(),
      },
      steps: vaultSteps(usdcB.address, usdcB.chain.contracts.DemoVault as Address, freshAddress()),
    });
    const stream = await events(`executionId=${execution.id}&types=execution.*`);
    const hash = await f.transfer(
      0,
      3,
      f.token(0, "USDC"),
      execution.quote.depositAddress,
      BigInt(execution.quote.amountIn),
    );
    await api.depositSubmit({ txHash: hash, depositAddress: execution.quote.depositAddress });
    const streamed = await stream.until(
      (list) => list.some((e) => e.event === "execution.succeeded"),
      45_000,
    );
    stream.close();
    // A step that lost a race (the watcher and the announcement at once) is retried, and says so
    // in the stream; nothing is parked. The status changes are what this test follows.
    const queueEvents = ["execution.step_failed", "execution.retried", "execution.parked"];
    expect(streamed.map((e) => e.event)).not.toContain("execution.parked");
    const seen = streamed.filter((e) => !queueEvents.includes(e.event));
    expect(seen.map((e) => e.data.status)).toEqual([
      "DEPOSIT_PENDING",
      "DEPOSIT_PROCESSING",
      "OPERATION_PENDING",
      "OPERATION_PROCESSING",
      "SUCCESS",
    ]);
    expect(seen.map((e) => e.event)).toEqual([
      "execution.signed",
      "execution.deposit_seen",
      "execution.delivered_to_intermediary",
      "execution.steps_sent",
      "execution.succeeded",
    ]);
    expect(seen.at(-1)?.data.execution).toMatchObject({ id: execution.id, status: "SUCCESS" });
    expect(increasing(sequences(seen))).toBe(true);
  });

  it("resumes with Last-Event-ID: exactly the events missed while disconnected", async () => {
    const owner = `owner=${user.toLowerCase()}`;
    const first = await events(owner);
    const a = await payment();
    // The payment's last event: the sweep, after the user was told SUCCEEDED.
    await first.until((list) => list.some((e) => e.event === "intent.sweep_mined" && e.data.intentId === a));
    first.close();
    const lastId = first.events.at(-1)?.id as string;
    // While nobody listens: a whole payment.
    const b = await payment();
    await f.waitFinal(t.trails, b);
    const resumed = await events(owner, { "last-event-id": lastId });
    await resumed.until((list) => list.some((e) => e.event === "intent.succeeded" && e.data.intentId === b));
    await new Promise((r) => setTimeout(r, 300));
    resumed.close();
    // Exactly what the log holds for this owner after lastId, from b's quote to its end.
    const logged = await t.db
      .selectFrom("events")
      .innerJoin("intents", "intents.id", "events.intent_id")
      .select("events.seq")
      .where("events.seq", ">", lastId)
      .where("intents.owner", "=", user)
      .orderBy("events.seq")
      .execute();
    expect(resumed.events.map((e) => e.id)).toEqual(logged.map((r) => r.seq));
    // All of b from its quote on, nothing of a (an earlier test's intent may still be sweeping).
    const ofB = resumed.events.filter((e) => e.data.intentId === b);
    expect(ofB[0]?.event).toBe("intent.quoted");
    expect(ofB.map((e) => e.event)).toContain("intent.succeeded");
    expect(resumed.events.some((e) => e.data.intentId === a)).toBe(false);
    // The query form resumes the same way.
    const again = await events(`${owner}&lastEventId=${lastId}`);
    await again.until((list) => list.length === logged.length);
    again.close();
    expect(again.events.map((e) => e.id)).toEqual(logged.map((r) => r.seq));
  });

  it("with the admin key and no filter, every event; heartbeats keep the stream alive", async () => {
    const stream = await events("", ADMIN);
    expect(stream.status).toBe(200);
    const intent = await f.quotePayment(t.trails, user);
    await stream.until((list) => list.some((e) => e.data.intentId === intent.intentId));
    await stream.until(() => stream.comments.includes("live"));
    stream.close();
  });

  it.each([
    ["an unknown filter", "intent=abc", {}, 400, /intent/],
    [
      "a malformed lastEventId",
      "owner=0x0000000000000000000000000000000000000001&lastEventId=abc",
      {},
      400,
      /lastEventId/,
    ],
    ["no filter without the admin key", "", {}, 401, /admin key/],
    ["a wrong admin key", "", { authorization: "Bearer nope" }, 401, /admin key/],
    ["an unknown intent", "intentId=0xdead", {}, 404, /0xdead/],
    ["an unknown execution", "executionId=nope", {}, 404, /nope/],
    ["an owner that is no wallet", "owner=not%20a%20wallet", {}, 400, /owner/],
    [
      "an unknown event type",
      "owner=0x0000000000000000000000000000000000000001&types=intent.nope",
      {},
      400,
      /intent\.nope/,
    ],
    ["a NUL in an id", "intentId=%00", {}, 400, /NUL/],
    ["a truncated EVM address as owner", "owner=0x123", {}, 400, /not 0x \+ 40 hex/],
    [
      "an empty list of types",
      "owner=0x0000000000000000000000000000000000000001&types=,,",
      {},
      400,
      /types: empty/,
    ],
    [
      "more than 100 intent ids",
      Array.from({ length: 101 }, (_, i) => `intentId=${i}`).join("&"),
      {},
      400,
      /at most 100/,
    ],
  ])("refuses %s with a clear error", async (_name, query, headers, status, message) => {
    const stream = await events(query, headers as Record<string, string>);
    expect(stream.status).toBe(status);
    expect(stream.error.error).toMatch(message);
  });

  it("resumes at the log's end from a Last-Event-ID beyond it (another deployment's), not in silence", async () => {
    const owner = freshAddress();
    const stream = await events(`owner=${owner}`, { "last-event-id": "99999999999" });
    expect(stream.status).toBe(200);
    const quoted = await f.quotePayment(t.trails, owner);
    const [first] = await stream.until((list) => list.length === 1);
    stream.close();
    expect(first?.data.intentId).toBe(quoted.intentId);
  });

  it("answers HEAD with the stream's headers and ends (an uptime check does not hold a stream)", async () => {
    const intent = await f.quotePayment(t.trails, user);
    const res = await fetch(`${t.url}/events?intentId=${intent.intentId}`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  });

  it("takes an intent id in any case, as GetIntentReceipt does", async () => {
    const intent = await f.quotePayment(t.trails, user);
    const stream = await events(`intentId=0x${intent.intentId.slice(2).toUpperCase()}`);
    expect(stream.status).toBe(200);
    await stream.until((list) => list.some((e) => e.event === "intent.quoted"));
    stream.close();
  });

  it("sends a long history to a client that reads at its pace, without cutting it off", async () => {
    const owner = freshAddress();
    const quotes = 450;
    for (let i = 0; i < quotes; i++) await f.quotePayment(t.trails, owner);
    const stream = await events(`owner=${owner}&lastEventId=0`);
    await stream.until((list) => list.length === quotes, 60_000);
    await stream.until(() => stream.comments.includes("live"));
    stream.close();
    expect(stream.comments.some((c) => c.startsWith("closing"))).toBe(false);
    expect(new Set(stream.events.map((e) => e.id)).size).toBe(quotes);
  }, 90_000);

  it("refuses a malformed Last-Event-ID header", async () => {
    const stream = await events("owner=0x0000000000000000000000000000000000000001", {
      "last-event-id": "-1",
    });
    expect(stream.status).toBe(400);
    expect(stream.error.error).toMatch(/Last-Event-ID/);
  });
});

describe("webhooks", () => {
  const receivers: Receiver[] = [];
  afterAll(() => Promise.all(receivers.map((r) => r.close())));

  async function subscribe(owner: string, events?: string[]) {
    const r = await startReceiver();
    receivers.push(r);
    const created = await admin("POST", "/webhooks", { url: r.url, owner, ...(events ? { events } : {}) });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    r.secret = created.body.secret;
    return { r, id: created.body.id as string, created: created.body };
  }

  it("delivers signed events in order; while the receiver fails they are retried, then each is delivered once", async () => {
    const owner = freshAddress();
    const { r, id } = await subscribe(owner);
    r.failing = true;
    // A payment for this owner, paid for by the test account (anyone may fund a deposit address).
    const intentId = await payment(owner);
    await until(
      async () => r.attempts,
      (n) => n >= 2,
      "two failed attempts",
      15_000,
    );
    const failed = await admin("GET", `/webhooks/${id}/deliveries`);
    expect(failed.body.deliveries[0]).toMatchObject({
      statusCode: 500,
      responseExcerpt: "down for maintenance",
    });
    expect(r.got).toEqual([]);
    r.failing = false;
    await f.waitFinal(t.trails, intentId);
    await until(
      async () => r.got.map((g) => g.type),
      (types) => types.includes("intent.sweep_mined"),
      "the payment's last event delivered",
      20_000,
    );
    const sent = r.got.map((g) => g.sequence);
    expect(new Set(r.got.map((g) => g.id)).size).toBe(r.got.length);
    expect(increasing(sent.map(BigInt))).toBe(true);
    const logged = await t.db
      .selectFrom("events")
      .select("seq")
      .where("intent_id", "=", intentId)
      .orderBy("seq")
      .execute();
    expect(sent).toEqual(logged.map((l) => l.seq));
    expect(r.got[0]).toMatchObject({ type: "intent.quoted", id: `msg_${id}_${logged[0]?.seq}` });
    expect(r.got.at(-1)?.data).toMatchObject({ type: "intent.sweep_mined", status: "SUCCEEDED", intentId });
  });

  it("a replay sends the events again from a sequence, under the same webhook-ids", async () => {
    const owner = freshAddress();
    const { r, id } = await subscribe(owner, ["intent.quoted"]);
    const quoted = await f.quotePayment(t.trails, owner);
    await until(
      async () => r.got.length,
      (n) => n === 1,
      "one delivery",
      10_000,
    );
    expect(r.got[0]?.data.intentId).toBe(quoted.intentId);
    const replay = await admin("POST", `/webhooks/${id}/replay`, { fromSequence: r.got[0]?.sequence });
    expect(replay.status).toBe(202);
    await until(
      async () => r.got.length,
      (n) => n === 2,
      "the replayed delivery",
      10_000,
    );
    expect(r.got[1]?.id).toBe(r.got[0]?.id);
  });

  it("disables an endpoint after a run of failures; enabling it resumes where it stopped", async () => {
    const owner = freshAddress();
    const { r, id } = await subscribe(owner, ["intent.quoted"]);
    r.failing = true;
    await f.quotePayment(t.trails, owner);
    await until(
      async () => (await admin("GET", "/webhooks")).body.webhooks.find((w: { id: string }) => w.id === id),
      (hook) => hook.enabled === false,
      "the endpoint disabled",
      20_000,
    );
    const attempts = r.attempts;
    expect(attempts).toBe(4);
    r.failing = false;
    // As a client library sends it: a JSON content type and no body.
    const enabled = await admin("POST", `/webhooks/${id}/enable`, undefined, {
      ...ADMIN,
      "content-type": "application/json",
    });
    expect(enabled.body).toMatchObject({ enabled: true, failures: 0 });
    await until(
      async () => r.got.length,
      (n) => n === 1,
      "one delivery",
      10_000,
    );
  });

  it("a receiver that hangs holds up only its own endpoint", async () => {
    const owner = freshAddress();
    const hung = await subscribe(owner, ["intent.quoted"]);
    const healthy = await subscribe(owner, ["intent.quoted"]);
    hung.r.hanging = true;
    await f.quotePayment(t.trails, owner);
    await until(
      async () => hung.r.attempts,
      (n) => n === 1,
      "the hanging delivery under way",
      10_000,
    );
    await f.quotePayment(t.trails, owner);
    // Both events reach the healthy endpoint while the first delivery to the other still hangs.
    await until(
      async () => healthy.r.got.length,
      (n) => n === 2,
      "both deliveries to the healthy endpoint",
      10_000,
    );
    expect(hung.r.got).toEqual([]);
    expect(hung.r.attempts).toBe(1);
  });

  it("a replay while a delivery is under way takes effect: the early events come again", async () => {
    const owner = freshAddress();
    const { r, id } = await subscribe(owner, ["intent.quoted"]);
    r.delayMs = 300;
    for (let i = 0; i < 4; i++) await f.quotePayment(t.trails, owner);
    await until(
      async () => r.got.length,
      (n) => n >= 1,
      "the first delivery",
      10_000,
    );
    const first = r.got[0]?.sequence as string;
    expect((await admin("POST", `/webhooks/${id}/replay`, { fromSequence: first })).status).toBe(202);
    await until(
      async () => r.got.filter((g) => g.sequence === first).length,
      (n) => n === 2,
      "the first event again after the replay",
      15_000,
    );
    // And the rest follows in order after it.
    await until(
      async () => r.got.length,
      (n) => n >= 5,
      "the events after the replayed one",
      15_000,
    );
    const again = r.got.findLastIndex((g) => g.sequence === first);
    expect(increasing(r.got.slice(again).map((g) => BigInt(g.sequence)))).toBe(true);
  });

  it("a lease left by a process that died mid-delivery runs out, and another delivers", async () => {
    const owner = freshAddress();
    const { r, id } = await subscribe(owner, ["intent.quoted"]);
    // As a crashed process leaves it: claimed, the lease not yet run out.
    await t.db
      .updateTable("webhooks")
      .set({ lease_owner: "dead", lease_until: new Date(Date.now() + 1_500) })
      .where("id", "=", id)
      .execute();
    await f.quotePayment(t.trails, owner);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(r.got).toEqual([]);
    await until(
      async () => r.got.length,
      (n) => n === 1,
      "one delivery",
      10_000,
    );
  });

  it.each([
    ["a URL that is not http(s)", { url: "ftp://example.com/x" }, ADMIN, 400, /url: the scheme ftp:/],
    [
      "an unknown event type",
      { url: "https://example.com/x", events: ["intent.nope"] },
      ADMIN,
      400,
      /events\[0\]/,
    ],
    ["an unknown field", { url: "https://example.com/x", secret: "mine" }, ADMIN, 400, /secret/],
    ["an owner that is no wallet", { url: "https://example.com/x", owner: "?" }, ADMIN, 400, /owner/],
    ["no admin key", { url: "https://example.com/x" }, {}, 401, /admin key/],
    [
      "a wrong admin key",
      { url: "https://example.com/x" },
      { authorization: "Bearer wrong-key" },
      401,
      /admin key/,
    ],
  ])("refuses %s, storing nothing", async (_name, body, headers, status, message) => {
    const before = (await admin("GET", "/webhooks")).body.webhooks.length;
    const res = await admin("POST", "/webhooks", body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(message);
    expect((await admin("GET", "/webhooks")).body.webhooks.length).toBe(before);
  });

  it("answers 404 for an unknown webhook id, 400 for a malformed replay, and deletes", async () => {
    expect((await admin("DELETE", "/webhooks/wh_nope")).status).toBe(404);
    expect((await admin("GET", "/webhooks/wh_nope/deliveries")).status).toBe(404);
    expect((await admin("POST", "/webhooks/wh_nope/replay", { fromSequence: 1 })).status).toBe(404);
    const { id, created } = await subscribe(freshAddress());
    for (const fromSequence of ["abc", -1, "99999999999"]) {
      const bad = await admin("POST", `/webhooks/${id}/replay`, { fromSequence });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatch(/fromSequence/);
    }
    expect(
      (await admin("GET", "/webhooks")).body.webhooks.find((w: { id: string }) => w.id === id),
    ).toMatchObject({ cursor: created.cursor });
    expect((await admin("DELETE", `/webhooks/${id}`)).body).toEqual({ status: "DELETED", id });
    expect((await admin("DELETE", `/webhooks/${id}`)).status).toBe(404);
  });
});
