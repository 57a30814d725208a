import { describe, expect, it } from "vitest";
import { JunctionError } from "../errors.ts";
import {
  applyTransition,
  canTransition,
  type IntentStatus,
  intentStatuses,
  lateDepositAction,
  type TransitionName,
  terminalStatuses,
  transitions,
} from "./status.ts";

const names = Object.keys(transitions) as TransitionName[];
const allowedFrom = (name: TransitionName): readonly IntentStatus[] => transitions[name].from;

describe("applyTransition", () => {
  const pairs = intentStatuses.flatMap((status) => names.map((name) => [status, name] as const));

  it("covers every (status, transition) pair", () => {
    expect(pairs).toHaveLength(intentStatuses.length * names.length);
    expect(names.length).toBeGreaterThan(0);
  });

  it.each(pairs)("%s --%s-->", (status, name) => {
    const allowed = allowedFrom(name).includes(status);
    expect(canTransition(status, name)).toBe(allowed);
    if (allowed) {
      expect(applyTransition(status, name)).toEqual({
        to: transitions[name].to,
        event: transitions[name].event,
      });
    } else {
      let thrown: unknown;
      try {
        applyTransition(status, name);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(JunctionError);
      const err = thrown as JunctionError;
      expect(err.kind).toBe("wrong_status");
      expect(err.message).toContain(name);
      expect(err.message).toContain(status);
    }
  });
});

describe("transition table", () => {
  it("only names known statuses", () => {
    for (const name of names) {
      expect(intentStatuses).toContain(transitions[name].to);
      for (const from of allowedFrom(name)) expect(intentStatuses).toContain(from);
      expect(transitions[name].event).toMatch(/^intent\./);
    }
    for (const status of terminalStatuses) expect(intentStatuses).toContain(status);
  });

  it("has no transition out of SUCCEEDED or REFUNDED", () => {
    for (const status of ["SUCCEEDED", "REFUNDED"] as const) {
      for (const name of names) {
        expect(canTransition(status, name)).toBe(false);
        expect(() => applyTransition(status, name)).toThrow(JunctionError);
      }
    }
  });

  it("nothing leads back to QUOTED", () => {
    for (const name of names) expect(transitions[name].to).not.toBe("QUOTED");
  });

  it("reaches every status from QUOTED", () => {
    const seen = new Set<IntentStatus>(["QUOTED"]);
    const queue: IntentStatus[] = ["QUOTED"];
    for (let status = queue.shift(); status !== undefined; status = queue.shift()) {
      for (const name of names) {
        if (!canTransition(status, name)) continue;
        const { to } = applyTransition(status, name);
        if (!seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
      }
    }
    expect([...seen].sort()).toEqual([...intentStatuses].sort());
  });
});

describe("lateDepositAction", () => {
  it.each([
    [true, false, "FAILED", false, "revive"],
    [true, false, "FAILED", true, "refund"],
    [true, false, "REFUNDED", false, "refund"],
    [true, false, "ABORTED", false, "refund"],
    [true, false, "SUCCEEDED", true, "refund"],
    [false, false, "FAILED", false, "refund"],
    [false, true, "FAILED", false, "revive"],
    [false, true, "FAILED", true, "refund"],
    [false, true, "REFUNDED", false, "refund"],
  ] as const)(
    "revivable %s, relay failed %s, %s, filled %s → %s",
    (revivable, relayFailed, status, filled, action) => {
      expect(lateDepositAction({ revivable, relayFailed, status, filled })).toBe(action);
    },
  );
});
