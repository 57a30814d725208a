import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** What an attempt to POST a webhook came to. */
export interface PostResult {
  /** The receiver's HTTP status; null when no answer came (refused, timed out, blocked). */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** The start of the receiver's answer, for the delivery log. */
  excerpt: string | null;
}

export interface PostOptions {
  /** Allow addresses that are not public unicast (loopback, private, link-local): the devnet does. */
  allowPrivate: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
  /** Aborts the attempt when the caller stops (the result is then "stopped", not a failure). */
  stop?: AbortSignal;
}

/** Characters of the receiver's answer kept. */
const EXCERPT_CHARS = 256;

/** Why `address` may not be called, or null when it may. */
export function blockedAddress(address: string, allowPrivate: boolean): string | null {
  if (allowPrivate) return null;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  return range === "unicast" ? null : `${address} is a ${range} address`;
}

/**
 * Resolves like dns.lookup, refusing addresses that are not public: checked on the address the
 * connection is made to, so a name that resolves differently the second time (DNS rebinding)
 * cannot reach a private address either.
 */
function guardedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: object,
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      const blocked = list.map((a) => blockedAddress(a.address, allowPrivate)).find((b) => b !== null);
      if (blocked) return callback(new Error(`${hostname} resolves to ${blocked}: not allowed`), []);
      if ((options as { all?: boolean }).all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`${hostname} has no address`), []);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * POSTs `body` to `url` with `headers`: a connect timeout, an overall timeout, no redirects
 * followed, and only public addresses unless `allowPrivate`. Never throws: every outcome is a
 * result for the delivery log.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: PostOptions,
): Promise<PostResult | "stopped"> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const finish = (result: Omit<PostResult, "latencyMs">) => resolve({ ...result, latencyMs: elapsed() });
    if (options.stop?.aborted) return resolve("stopped");
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, "");
    // A literal address is connected to without a lookup, so it is checked here.
    const literal = isIP(host) ? blockedAddress(host, options.allowPrivate) : null;
    if (literal) return finish({ statusCode: null, error: `${literal}: not allowed`, excerpt: null });
    const client = target.protocol === "https:" ? https : http;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const request = client.request(target, {
      method: "POST",
      headers: { ...headers, "content-length": Buffer.byteLength(body).toString() },
      lookup: guardedLookup(options.allowPrivate) as never,
      // A connection of its own each time: every connection is checked by the lookup, and nothing
      // is kept per delivery on a shared socket.
      agent: false,
      signal: options.stop ? AbortSignal.any([timeout, options.stop]) : timeout,
    });
    let answered = false;
    const connectTimer = setTimeout(
      () => request.destroy(new Error(`no connection within ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
    request.on("socket", (socket) => {
      if (socket.connecting) socket.once("connect", () => clearTimeout(connectTimer));
      else clearTimeout(connectTimer);
    });
    request.on("response", (response) => {
      clearTimeout(connectTimer);
      answered = true;
      let excerpt = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        excerpt += chunk;
        // Only the start is kept; the rest is not worth reading.
        if (excerpt.length >= EXCERPT_CHARS) response.destroy();
      });
      const status = response.statusCode ?? null;
      const redirect = status !== null && status >= 300 && status < 400;
      const done = () =>
        finish({
          statusCode: status,
          error: redirect ? `HTTP ${status}: redirects are not followed; register the final URL` : null,
          excerpt: excerpt.slice(0, EXCERPT_CHARS) || null,
        });
      response.on("end", done);
      response.on("close", done);
    });
    request.on("error", (err) => {
      clearTimeout(connectTimer);
      if (options.stop?.aborted) return resolve("stopped");
      const timedOut = err.name === "AbortError" || err.name === "TimeoutError";
      const message = !timedOut
        ? err.message
        : answered
          ? `the answer did not finish within ${options.timeoutMs} ms`
          : `no answer within ${options.timeoutMs} ms`;
      finish({ statusCode: null, error: message, excerpt: null });
    });
    request.end(body);
  });
}
