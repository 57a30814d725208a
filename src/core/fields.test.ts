import { describe, expect, it } from "vitest";
import { unstorableTextAt } from "./fields.ts";

describe("text that cannot be stored", () => {
  it("names the first value or key holding a NUL or an unpaired surrogate", () => {
    expect(unstorableTextAt({ a: "fine", b: ["x", { c: "a\u0000b" }] })).toBe("b.1.c");
    expect(unstorableTextAt({ meta: { "k\ud800": 1 } })).toBe("meta.k\ud800");
    expect(unstorableTextAt("\udc00", "query")).toBe("query");
    expect(unstorableTextAt({ ok: "😀 paired surrogates are fine", n: 1, z: null })).toBeNull();
  });

  it("walks a body nested deeper than the call stack", () => {
    let deep: unknown = "a\u0000";
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(unstorableTextAt(deep)?.split(".")).toHaveLength(100_000);
  });
});
