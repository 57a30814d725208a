/**
 * Admission control on one Junction with small limits: request timeouts against clients that
 * trickle their request, the cap on open long-polls, and the rate limits per key and per address,
 * each refused in its dialect's format with Retry-After. Every request here comes from loopback,
 * so loopback's default exemption is lifted, and loopback is trusted as a proxy, so that an
 * X-Forwarded-For header stands for a client at another address.
 */
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { TrailsApi } from "@0xtrails/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";

const REQUEST_TIMEOUT_MS = 1_000;
const PER_KEY = 10;
const PER_IP = 60;
const KEYS = ["key-alpha-01", "key-bravo-02", "key-charlie-03"] as const;

let t: TestJunction;
beforeAll(async () => {
  t = await startTestJunction(
    {
      JUNCTION_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      JUNCTION_HEADERS_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      JUNCTION_LONG_POLLS_PER_CLIENT: "2",
      JUNCTION_RATE_LIMIT_PER_IP: String(PER_IP),
      JUNCTION_RATE_LIMIT_PER_KEY: String(PER_KEY),
      JUNCTION_LIMITS_EXEMPT_ADDRESSES: "none",
      JUNCTION_TRUST_PROXY: "127.0.0.1",
      JUNCTION_ACCESS_KEYS: KEYS.join(","),
    },
    KEYS[0],
  );
});
afterAll(() => t?.stop());

const trails = (key: string) => new TrailsApi(key, { hostname: t.url });

function rpc(method: string, body: unknown, key: string) {
  return fetch(`${t.url}/rpc/Trails/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-access-key": key },
    body: JSON.stringify(body),
  });
}

const supportedTokens = (headers: Record<string, string> = {}) =>
  fetch(`${t.url}/api/v1/supported_tokens`, { headers });

/** A 429 with Retry-After between 1 s and `maxSeconds`; its body. */
async function refused(res: Response, maxSeconds = 60): Promise<Record<string, unknown>> {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Opens a raw connection, sends `head` at once and then `drip` a byte every 200 ms, and resolves
 * with what the server answered and when it closed the connection.
 */
function trickle(head: string, drip: string): Promise<{ answer: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let answer = "";
    let sent = 0;
    const dripping = setInterval(() => {
      if (sent < drip.length && socket.writable) socket.write(drip.charAt(sent++));
    }, 200);
    socket.on("data", (chunk) => {
      answer += chunk.toString();
    });
    // A write racing the server's close may fail; the close is what is being waited for.
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(dripping);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
  });
}

describe("request timeouts", () => {
  it("a client trickling its headers or its body is answered 408 and cut off within the request timeout", async () => {
    const body = JSON.stringify({ padding: "x".repeat(60) });
    const [headers, slowBody] = await Promise.all([
      trickle("POST /rpc/Trails/Ping HTTP/1.1\r\nHost: junction\r\n", `X-Slow: ${"a".repeat(40)}\r\n\r\n`),
      trickle(
        `POST /rpc/Trails/Ping HTTP/1.1\r\nHost: junction\r\nContent-Type: application/json\r\nX-Access-Key: ${KEYS[2]}\r\nContent-Length: ${body.length}\r\n\r\n`,
        body,
      ),
    ]);
    for (const cut of [headers, slowBody]) {
      expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
      // Dripping the whole request would take over 8 s; the server cuts it off after about 1 s.
      expect(cut.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(cut.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 1_500);
    }
  });
});

describe("long-polls per client", () => {
  it("beyond the cap, WaitIntentReceipt is refused at once with RateLimited; those held answer, even after the request timeout", async () => {
    const api = trails(KEYS[1]);
    const { intentId } = await flows(t).quotePayment(api, devnetAccount(4).address);
    const { receiptStates } = await api.waitIntentReceipt({ intentId });
    const wait = () => rpc("WaitIntentReceipt", { intentId, lastReceiptStates: receiptStates }, KEYS[1]);

    // Nothing changes for a quoted intent: these two hold until it does, past the request timeout.
    const held = [wait(), wait()];
    await sleep(REQUEST_TIMEOUT_MS + 500);
    const body = await refused(await wait(), 30);
    expect(body).toMatchObject({ error: "RateLimited", code: 1007, status: 429 });
    expect(body.message).toContain("limits.longPollsPerClient");
    // The real client sees its RateLimited error.
    await expect(api.waitIntentReceipt({ intentId, lastReceiptStates: receiptStates })).rejects.toMatchObject(
      { code: 1007, status: 429 },
    );
    // Another key from the same address has slots of its own (this call answers at once).
    await expect(trails(KEYS[2]).waitIntentReceipt({ intentId })).resolves.toHaveProperty("receiptStates");

    // Answered when the intent changes: the request timeout did not cut them.
    await api.abortIntent({ intentId, chainId: 0, abortTransactionHash: "" });
    const answers = await Promise.all(held);
    expect(answers.map((res) => res.status)).toEqual([200, 200]);
    for (const answer of answers) {
      const { receiptStates: now } = (await answer.json()) as { receiptStates: string[] };
      expect(now).not.toEqual(receiptStates);
    }
    // Their slots are free again.
    expect((await wait()).status).toBe(200);
  });
});

describe("rate limits", () => {
  it("per access key: over the limit, Trails answers 429 RateLimited with Retry-After; another key is unaffected", async () => {
    const api = trails(KEYS[0]);
    for (let i = 0; i < PER_KEY; i++) await api.ping();
    await expect(api.ping()).rejects.toMatchObject({ code: 1007, status: 429 });
    const body = await refused(await rpc("Ping", {}, KEYS[0]));
    expect(body).toMatchObject({ error: "RateLimited", code: 1007, status: 429 });
    expect(body.message).toContain("limits.requestsPerMinutePerKey");
    await expect(trails(KEYS[2]).ping()).resolves.toHaveProperty("version");
  });

  it("per API key: over the limit, Connect answers 429 {error} with Retry-After; another key is unaffected", async () => {
    const key = { "x-api-key": "connect-key-1" };
    for (let i = 0; i < PER_KEY; i++) expect((await supportedTokens(key)).status).toBe(200);
    const body = await refused(await supportedTokens(key));
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error).toContain("limits.requestsPerMinutePerKey");
    expect((await supportedTokens({ "x-api-key": "connect-key-2" })).status).toBe(200);
  });

  it("per address, across both APIs: 429 in each one's format; another address is unaffected; /health is exempt", async () => {
    const from = (address: string) => ({ "x-forwarded-for": address });
    for (let i = 0; i < PER_IP; i++) expect((await supportedTokens(from("198.51.100.7"))).status).toBe(200);
    const body = await refused(await supportedTokens(from("198.51.100.7")));
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error).toContain("limits.requestsPerMinutePerIp");
    const trailsRefusal = await fetch(`${t.url}/rpc/Trails/Ping`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-access-key": KEYS[2], ...from("198.51.100.7") },
      body: "{}",
    });
    expect(await refused(trailsRefusal)).toMatchObject({ error: "RateLimited", code: 1007, status: 429 });
    expect((await supportedTokens(from("203.0.113.9"))).status).toBe(200);
    expect((await fetch(`${t.url}/health`, { headers: from("198.51.100.7") })).status).toBe(200);
  });
});
