import { describe, expect, it } from "vitest";
import { priceAt } from "./price-feeds.ts";

describe("priceAt", () => {
  it("follows keys and array indexes to a positive number or numeric string", () => {
    expect(priceAt({ ethereum: { usd: 3012.5 } }, "ethereum.usd")).toBe("3012.5");
    expect(priceAt({ data: [{ price: "0.9998" }] }, "data.0.price")).toBe("0.9998");
    expect(priceAt({ p: 1e-7 }, "p")).toBe("0.0000001");
    expect(priceAt({ p: 2 }, "p")).toBe("2");
  });

  it("has no price for a missing path, a non-number, zero, a negative or a non-finite value", () => {
    for (const [doc, path] of [
      [{ a: 1 }, "b"],
      [{ a: { b: 1 } }, "a.b.c"],
      [{ a: "x" }, "a"],
      [{ a: 0 }, "a"],
      [{ a: -3 }, "a"],
      [{ a: null }, "a"],
      ["text", "a"],
    ] as [unknown, string][]) {
      expect(priceAt(doc, path), `${JSON.stringify(doc)} ${path}`).toBeNull();
    }
  });
});
