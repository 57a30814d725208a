import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { devnetDefaults } from "../../src/devnet/accounts.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";

/**
 * Browser pages on other origins: the preflight a browser sends before a cross-origin POST with
 * custom headers, and the headers on the answer itself, for both APIs.
 */
const APP = "https://app.example";
let t: TestJunction;
beforeAll(async () => {
  t = await startTestJunction({ JUNCTION_CORS_ORIGINS: `${APP},https://shop.example` });
});
afterAll(() => t?.stop());

function preflight(path: string, origin: string, headers: string) {
  return fetch(`${t.url}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": headers },
  });
}

describe("CORS", () => {
  it.each([
    ["/rpc/Trails/QuoteIntent", "content-type,x-access-key,webrpc"],
    ["/api/v1/executions/deposit/submit", "content-type,x-api-key"],
  ])("a preflight to %s from an allowed origin is answered, cached for a day", async (path, headers) => {
    const res = await preflight(path, APP, headers);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    for (const header of headers.split(",")) {
      expect(res.headers.get("access-control-allow-headers")).toContain(header);
    }
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-max-age")).toBe("86400");
  });

  it("the answer itself carries the origin, for both APIs", async () => {
    const trails = await fetch(`${t.url}/rpc/Trails/GetChains`, {
      method: "POST",
      headers: { origin: APP, "content-type": "application/json" },
      body: "{}",
    });
    expect(trails.status).toBe(200);
    expect(trails.headers.get("access-control-allow-origin")).toBe(APP);
    const connect = await fetch(`${t.url}/api/v1/supported_tokens`, { headers: { origin: APP } });
    expect(connect.status).toBe(200);
    expect(connect.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("an origin not configured gets no CORS headers, so the browser keeps the answer from the page", async () => {
    const res = await preflight("/rpc/Trails/QuoteIntent", "https://evil.example", "content-type");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const answer = await fetch(`${t.url}/api/v1/supported_tokens`, {
      headers: { origin: "https://evil.example" },
    });
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("the devnet allows any origin; without configuration, none", () => {
    const devnet = loadConfig({}, "/tmp", devnetDefaults());
    expect(devnet.cors.origins).toEqual(["*"]);
    expect(loadConfig({ JUNCTION_CORS_ORIGINS: "none" }, "/tmp", devnetDefaults()).cors.origins).toEqual([]);
  });
});
