import { describe, expect, it } from "vitest";
import { executionTransitions } from "./connect/execution-status.ts";
import {
  type EventFilter,
  eventTypes,
  matchesEvent,
  ownerKey,
  type PushEvent,
  parseEventPatterns,
  parseOwner,
  parseSequence,
  publicEventType,
  streamStart,
  webhookRetryAt,
} from "./events.ts";
import { transitions } from "./intent/status.ts";

const event = (over: Partial<PushEvent> = {}): PushEvent => ({
  sequence: "7",
  type: "intent.committed",
  intentId: "i1",
  executionId: null,
  status: "COMMITTED",
  occurredAt: new Date(0),
  details: {},
  owners: ["0xabc0000000000000000000000000000000000001"],
  ...over,
});

const filter = (over: Partial<EventFilter> = {}): EventFilter => ({
  all: false,
  intentIds: [],
  executionIds: [],
  owners: [],
  types: ["*"],
  ...over,
});

describe("event types", () => {
  it("names the engine's step events under their subject", () => {
    expect(publicEventType("fill.sent")).toBe("intent.fill_sent");
    expect(publicEventType("deposit.detected")).toBe("intent.deposit_detected");
    expect(publicEventType("intent.succeeded")).toBe("intent.succeeded");
    expect(publicEventType("execution.signed")).toBe("execution.signed");
  });

  it("lists every transition's event, so a subscription can name any of them", () => {
    for (const t of [...Object.values(transitions), ...Object.values(executionTransitions)]) {
      expect(eventTypes).toContain(t.event);
    }
    for (const stored of ["fill.sent", "fill.mined", "sweep.mined", "deposit.confirmed", "refund.decided"]) {
      expect(eventTypes).toContain(publicEventType(stored));
    }
  });

  it("accepts exact types and wildcards, and names the first unknown one", () => {
    expect(parseEventPatterns(["intent.*", "execution.succeeded", "intent.*"], "events")).toEqual([
      "intent.*",
      "execution.succeeded",
    ]);
    expect(() => parseEventPatterns(["intent.succeeded", "intent.done"], "events")).toThrow(/events\[1\]/);
  });
});

describe("matchesEvent", () => {
  it("is a union of the named subjects and owners, within the types", () => {
    expect(matchesEvent(filter({ intentIds: ["i1"] }), event())).toBe(true);
    expect(matchesEvent(filter({ intentIds: ["i2"], executionIds: ["x1"] }), event())).toBe(false);
    expect(matchesEvent(filter({ executionIds: ["x1"] }), event({ executionId: "x1" }))).toBe(true);
    expect(matchesEvent(filter({ owners: ["0xabc0000000000000000000000000000000000001"] }), event())).toBe(
      true,
    );
    expect(matchesEvent(filter({ all: true }), event())).toBe(true);
    expect(matchesEvent(filter({ all: true, types: ["execution.*"] }), event())).toBe(false);
    expect(matchesEvent(filter({ all: true, types: ["intent.*"] }), event())).toBe(true);
    expect(matchesEvent(filter({ all: true, types: ["intent.succeeded"] }), event())).toBe(false);
  });

  it("compares EVM owners in any casing, other wallet ids exactly", () => {
    expect(ownerKey("0xABC0000000000000000000000000000000000001")).toBe(
      "0xabc0000000000000000000000000000000000001",
    );
    expect(ownerKey("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty")).toBe(
      "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
    );
    expect(parseOwner("alice.near", "owner")).toBe("alice.near");
    expect(() => parseOwner("not a wallet", "owner")).toThrow(/owner: "not a wallet" is not an address/);
  });
});

describe("streamStart", () => {
  it("resumes after Last-Event-ID, never past the log's end; else the subjects' history; else now", () => {
    expect(streamStart(filter({ owners: ["o"] }), 5n, 9n)).toEqual({ after: 5n });
    expect(streamStart(filter({ owners: ["o"] }), 50n, 9n)).toEqual({ after: 9n });
    expect(streamStart(filter({ intentIds: ["i"] }), null, 9n)).toBe("history");
    expect(streamStart(filter({ intentIds: ["i"], owners: ["o"] }), null, 9n)).toEqual({ after: 9n });
    expect(streamStart(filter({ all: true }), null, 9n)).toEqual({ after: 9n });
  });
});

describe("parseSequence", () => {
  it("takes a non-negative integer and refuses anything else, naming the field", () => {
    expect(parseSequence("0", "Last-Event-ID")).toBe(0n);
    expect(parseSequence("12345678901234", "x")).toBe(12345678901234n);
    for (const bad of ["", "-1", "1.5", "abc", "1e3", "99999999999999999999"]) {
      expect(() => parseSequence(bad, "Last-Event-ID")).toThrow(/Last-Event-ID/);
    }
  });
});

describe("webhookRetryAt", () => {
  const schedule = [5, 300, 1_800];
  const now = new Date(0);
  it("follows the schedule with ±20% jitter, repeating its last entry", () => {
    expect(webhookRetryAt(1, schedule, now, 0).getTime()).toBe(4_000);
    expect(webhookRetryAt(1, schedule, now, 0.999_999).getTime()).toBe(6_000);
    expect(webhookRetryAt(2, schedule, now, 0.5).getTime()).toBe(300_000);
    expect(webhookRetryAt(9, schedule, now, 0.5).getTime()).toBe(1_800_000);
  });
});
