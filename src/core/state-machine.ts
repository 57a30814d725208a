import { JunctionError } from "./errors.ts";

/** One allowed status change: the statuses it may start from, where it leads, the event it records. */
export interface Transition<S extends string> {
  from: readonly S[];
  to: S;
  event: string;
}

/**
 * The checks every transition table gets: whether a change is allowed from a status, and the
 * status and event it leads to, refusing (`wrong_status`, naming `subject`) a pair the table does
 * not list.
 */
export function stateMachine<S extends string, T extends Record<string, Transition<S>>>(
  subject: string,
  table: T,
) {
  const can = (status: S, name: keyof T & string): boolean => table[name]?.from.includes(status) ?? false;
  const apply = (status: S, name: keyof T & string): { to: S; event: string } => {
    const t = table[name] as Transition<S>;
    if (!can(status, name)) {
      throw new JunctionError(
        "wrong_status",
        `cannot ${name} ${subject} that is ${status}; allowed from ${t.from.join(", ")}`,
      );
    }
    return { to: t.to, event: t.event };
  };
  return { can, apply };
}
