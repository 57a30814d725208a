import { describe, expect, it } from "vitest";
import { JunctionError } from "../errors.ts";
import {
  applyExecutionTransition,
  canApplyExecution,
  checkDeletable,
  deletableExecutionStatuses,
  type ExecutionTransition,
  executionStatuses,
  executionTransitions,
  liveExecutionStatuses,
} from "./execution-status.ts";

const names = Object.keys(executionTransitions) as ExecutionTransition[];

describe("execution transitions", () => {
  const pairs = executionStatuses.flatMap((status) => names.map((name) => [status, name] as const));

  it.each(pairs)("%s --%s-->", (status, name) => {
    const allowed = (executionTransitions[name].from as readonly string[]).includes(status);
    expect(canApplyExecution(status, name)).toBe(allowed);
    if (allowed) {
      expect(applyExecutionTransition(status, name).to).toBe(executionTransitions[name].to);
    } else {
      expect(() => applyExecutionTransition(status, name)).toThrow(JunctionError);
    }
  });

  it("leaves SUCCESS, OPERATION_FAILED and DEPOSIT_FAILED for good, and EXPIRED only through a late deposit", () => {
    for (const name of names) {
      const from = executionTransitions[name].from as readonly string[];
      for (const final of ["SUCCESS", "OPERATION_FAILED", "DEPOSIT_FAILED"])
        expect(from).not.toContain(final);
      if (from.includes("EXPIRED")) expect(["depositSeen", "depositFailed"]).toContain(name);
    }
  });

  it("never deletes a SUCCESS, nor anything with work in flight", () => {
    expect(() => checkDeletable("SUCCESS")).toThrow(/SUCCESS cannot be deleted/);
    for (const busy of ["DEPOSIT_PROCESSING", "OPERATION_PROCESSING"] as const)
      expect(() => checkDeletable(busy)).toThrow(JunctionError);
    for (const status of deletableExecutionStatuses) expect(() => checkDeletable(status)).not.toThrow();
    for (const live of liveExecutionStatuses) expect(executionStatuses).toContain(live);
  });
});
