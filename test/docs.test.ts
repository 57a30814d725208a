import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventTypes } from "../src/core/events.ts";
import { projectRoot } from "../src/paths.ts";

const doc = (name: string) => readFileSync(join(projectRoot, "docs", name), "utf8");

describe("docs", () => {
  it("push.md describes every event type a client can be sent", () => {
    const push = doc("push.md");
    expect(eventTypes.filter((type) => !push.includes(`\`${type}\``))).toEqual([]);
  });
});
