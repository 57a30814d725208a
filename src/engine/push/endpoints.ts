import { randomBytes } from "node:crypto";
import { JunctionError } from "../../core/errors.ts";
import { parseEventPatterns, parseOwner } from "../../core/events.ts";
import { lastSequence } from "../../store/events.ts";
import {
  type DeliveryRow,
  deleteWebhook,
  deliveriesOf,
  findWebhook,
  insertWebhook,
  listWebhooks,
  resumeWebhook,
  type WebhookRow,
} from "../../store/webhooks.ts";
import type { EngineDeps } from "../ports.ts";
import { blockedAddress } from "./post.ts";

/** A webhook endpoint as the admin API shows it. The secret is shown only when it is created. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  owner: string | null;
  enabled: boolean;
  disabledReason: string | null;
  /** The last event it acknowledged (or skipped as not its). */
  cursor: string;
  failures: number;
  nextAttemptAt: Date;
  createdAt: Date;
}

export const endpointOf = (row: WebhookRow): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  events: row.events,
  owner: row.owner,
  enabled: row.enabled,
  disabledReason: row.disabled_reason,
  cursor: row.cursor,
  failures: row.failures,
  nextAttemptAt: row.next_attempt_at,
  createdAt: row.created_at,
});

export interface NewEndpoint {
  url: string;
  events?: readonly string[];
  owner?: string;
}

/** Names that mean this machine (a name that resolves to it otherwise is refused when connecting). */
function loopbackName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return (
    ["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"].includes(name) ||
    name.endsWith(".localhost")
  );
}

/** Parses a receiver's URL: http(s), no credentials, and a public host unless private ones are allowed. */
function parseEndpointUrl(raw: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new JunctionError(
      "invalid_argument",
      `url: ${JSON.stringify(raw.slice(0, 100))} is not a URL; expected https://host/path`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new JunctionError(
      "invalid_argument",
      `url: the scheme ${url.protocol} is not allowed; expected http: or https:`,
    );
  }
  if (url.username || url.password) {
    throw new JunctionError(
      "invalid_argument",
      "url: credentials in the URL are not allowed; authenticate with the signature instead",
    );
  }
  if (url.port === "0") {
    throw new JunctionError(
      "invalid_argument",
      "url: port 0 cannot be connected to; give the receiver's port",
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = /^[\d.]+$|:/.test(host) ? blockedAddress(host, allowPrivate) : null;
  const local = !allowPrivate && loopbackName(host);
  if (literal || local) {
    throw new JunctionError(
      "invalid_argument",
      `url: ${literal ?? `${host} is a loopback name`}; only public addresses are allowed (push.webhooks.allowPrivateUrls lifts this)`,
    );
  }
  return url.toString();
}

/** Adds an endpoint; it is sent the events committed from now on. Returns it with its secret. */
export async function createEndpoint(
  deps: EngineDeps,
  req: NewEndpoint,
): Promise<WebhookEndpoint & { secret: string }> {
  const row = await insertWebhook(
    deps.store.db,
    {
      id: `wh_${randomBytes(12).toString("hex")}`,
      url: parseEndpointUrl(req.url, deps.settings.push.webhooks.allowPrivateUrls),
      events: parseEventPatterns(req.events ?? ["*"], "events"),
      owner: req.owner === undefined ? null : parseOwner(req.owner, "owner"),
      secret: `whsec_${randomBytes(32).toString("base64")}`,
      cursor: await lastSequence(deps.store.db),
    },
    deps.clock.now(),
  );
  return { ...endpointOf(row), secret: row.secret };
}

export async function requireEndpoint(deps: EngineDeps, id: string): Promise<WebhookRow> {
  const row = await findWebhook(deps.store.db, id);
  if (!row) throw new JunctionError("not_found", `id: no webhook ${id}; GET /admin/webhooks lists them`);
  return row;
}

export async function endpoints(deps: EngineDeps): Promise<WebhookEndpoint[]> {
  return (await listWebhooks(deps.store.db)).map(endpointOf);
}

export async function removeEndpoint(deps: EngineDeps, id: string): Promise<void> {
  if (!(await deleteWebhook(deps.store.db, id))) await requireEndpoint(deps, id);
}

export async function endpointDeliveries(
  deps: EngineDeps,
  id: string,
  limit: number,
): Promise<DeliveryRow[]> {
  await requireEndpoint(deps, id);
  return deliveriesOf(deps.store.db, id, limit);
}

/**
 * Sends the endpoint every event from `fromSequence` on again (each with its usual webhook-id, so
 * a receiver that deduplicates sees nothing new), or, without one, resumes a disabled endpoint
 * where it stopped. Either way it is enabled and due now.
 */
export async function resumeEndpoint(
  deps: EngineDeps,
  id: string,
  fromSequence?: bigint,
): Promise<WebhookEndpoint> {
  const cursor = fromSequence === undefined ? undefined : fromSequence > 0n ? fromSequence - 1n : 0n;
  const last = await lastSequence(deps.store.db);
  if (cursor !== undefined && cursor > last) {
    // The endpoint would silently skip every event up to it.
    throw new JunctionError(
      "invalid_argument",
      `fromSequence: ${fromSequence} is past the newest event, ${last}; replay from an event's sequence`,
    );
  }
  const row = await resumeWebhook(deps.store.db, id, deps.clock.now(), cursor);
  if (!row) return endpointOf(await requireEndpoint(deps, id));
  return endpointOf(row);
}
