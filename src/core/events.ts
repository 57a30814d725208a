import { executionTransitions } from "./connect/execution-status.ts";
import { parseWallet } from "./connect/wallet.ts";
import { JunctionError } from "./errors.ts";
import { transitions } from "./intent/status.ts";

/**
 * Events as clients see them (the push stream and webhooks): every state change of an intent or
 * an execution, numbered in commit order. The engine records some of its steps under short names
 * (`fill.sent`); clients see each under its subject, `intent.fill_sent`.
 */
export interface PushEvent {
  /** Its place in commit order, a decimal integer: the SSE `id` and the resume point. */
  sequence: string;
  type: string;
  intentId: string | null;
  /** The execution, or for an event of the intent under an execution, that execution. */
  executionId: string | null;
  /** The subject's status when the event happened. */
  status: string;
  occurredAt: Date;
  /** What the engine recorded with it (a transaction hash, a reason, an amount). */
  details: Record<string, unknown>;
  /** Whose it is, each as `ownerKey` gives it: the intent's owner, the execution's wallet. */
  owners: readonly string[];
}

/** The engine's own step events, recorded under `<what>.<happened>` on an intent. */
const intentSteps = [
  "quoted",
  "deposit_detected",
  "deposit_confirmed",
  "deposit_returned",
  "deposit_vanished",
  "deposit_sent",
  "fill_sent",
  "fill_mined",
  "fill_found_on_chain",
  "sweep_sent",
  "sweep_mined",
  "refund_decided",
  "refund_sent",
  "refund_late_deposit",
  "refund_refused_filled",
];
/** The failure accounting's events, of either subject. */
const queueEvents = ["step_failed", "parked", "retried"];

/** Every event type a client can be sent, for validating subscriptions and for the docs. */
export const eventTypes: readonly string[] = [
  ...new Set([
    ...Object.values(transitions).map((t) => t.event),
    ...intentSteps.map((s) => `intent.${s}`),
    ...queueEvents.map((s) => `intent.${s}`),
    ...Object.values(executionTransitions).map((t) => t.event),
    "execution.deleted",
    ...queueEvents.map((s) => `execution.${s}`),
  ]),
].sort();

/** The type a client sees for an event stored as `stored`. */
export function publicEventType(stored: string): string {
  if (stored.startsWith("intent.") || stored.startsWith("execution.")) return stored;
  return `intent.${stored.replace(".", "_")}`;
}

/** Patterns a subscription may name besides exact types. */
const wildcards = ["*", "intent.*", "execution.*"];

/** Checks event-type patterns: each an exact type or a wildcard; names the first unknown one. */
export function parseEventPatterns(raw: readonly string[], field: string): string[] {
  raw.forEach((pattern, i) => {
    if (!wildcards.includes(pattern) && !eventTypes.includes(pattern)) {
      throw new JunctionError(
        "invalid_argument",
        `${field}[${i}]: unknown event type ${JSON.stringify(pattern)}; expected one of ${[...wildcards, ...eventTypes].join(", ")}`,
      );
    }
  });
  return [...new Set(raw)];
}

export function typeMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some(
    (p) => p === "*" || p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))),
  );
}

/**
 * How owners are compared: EVM addresses in lowercase (any checksum casing matches), every other
 * wallet id (NEAR, Solana, Stellar) as it is, since base58 is case-sensitive.
 */
export function ownerKey(raw: string): string {
  return /^0x[0-9a-fA-F]{40}$/.test(raw) ? raw.toLowerCase() : raw;
}

/** The owner a filter names, as events are compared by: an EVM address or a wallet id. */
export function parseOwner(raw: string, field: string): string {
  // A NEAR name may start with 0x too; one that is 0x and hex is a mistyped EVM address.
  if (/^0x[0-9a-fA-F]*$/.test(raw) && raw.length !== 42) {
    throw new JunctionError(
      "invalid_argument",
      `${field}: ${JSON.stringify(raw.slice(0, 100))} looks like an EVM address but is not 0x + 40 hex digits`,
    );
  }
  try {
    return ownerKey(parseWallet(raw).id);
  } catch {
    throw new JunctionError(
      "invalid_argument",
      `${field}: ${JSON.stringify(raw.slice(0, 100))} is not an address or wallet id; expected an EVM address (0x + 40 hex), a NEAR account, a Solana or a Stellar public key`,
    );
  }
}

/** The Standard Webhooks message id: the same on every attempt of one event to one endpoint. */
export const messageId = (webhookId: string, sequence: string) => `msg_${webhookId}_${sequence}`;

/**
 * Which events a subscriber receives: those of any named intent, execution or owner (a union),
 * or every event (`all`); and of those, only the `types` patterns.
 */
export interface EventFilter {
  all: boolean;
  intentIds: readonly string[];
  executionIds: readonly string[];
  /** As `ownerKey` gives them. */
  owners: readonly string[];
  types: readonly string[];
}

export function matchesEvent(filter: EventFilter, event: PushEvent): boolean {
  if (!typeMatches(filter.types, event.type)) return false;
  return (
    filter.all ||
    (event.intentId !== null && filter.intentIds.includes(event.intentId)) ||
    (event.executionId !== null && filter.executionIds.includes(event.executionId)) ||
    event.owners.some((o) => filter.owners.includes(o))
  );
}

/** Where a subscription starts: after a sequence number, or at its subjects' first event. */
export type StreamStart = { after: bigint } | "history";

/**
 * Where a stream starts: right after `resume` (its Last-Event-ID), but never past the log's end,
 * `last` (an id from another deployment or a reset devnet would otherwise wait in silence); else
 * at the history of the subjects it names; else (an owner's, everything) now.
 */
export function streamStart(filter: EventFilter, resume: bigint | null, last: bigint): StreamStart {
  if (resume !== null) return { after: resume > last ? last : resume };
  if (!filter.all && filter.owners.length === 0) return "history";
  return { after: last };
}

/** A sequence number a client sends back (Last-Event-ID, fromSequence): a non-negative integer. */
export function parseSequence(raw: string, field: string): bigint {
  if (!/^\d{1,19}$/.test(raw)) {
    throw new JunctionError(
      "invalid_argument",
      `${field}: ${JSON.stringify(raw.slice(0, 40))} is not an event sequence number; send back an event's id (a non-negative integer)`,
    );
  }
  return BigInt(raw);
}

/**
 * When a webhook delivery is tried again after `failures` failed attempts in a row: the
 * schedule's entry (its last, once past its end), with ±20% jitter so endpoints that failed
 * together do not all retry in the same second. `random` is in [0, 1).
 */
export function webhookRetryAt(
  failures: number,
  scheduleSeconds: readonly number[],
  now: Date,
  random: number,
): Date {
  const base = scheduleSeconds[Math.min(failures, scheduleSeconds.length) - 1] ?? 0;
  const jittered = base * (0.8 + 0.4 * random);
  return new Date(now.getTime() + Math.round(jittered * 1000));
}
