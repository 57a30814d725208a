import { BlockList, isIPv6 } from "node:net";
import rateLimit, { normalizeIP } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config/schema.ts";
import { LongPolls } from "./long-polls.ts";

type Limits = Config["limits"];

/** A refusal for asking too much: what to tell the client, and in how many seconds to try again. */
export interface TooMany {
  message: string;
  retryAfterSeconds: number;
}

/** Counts a request against one limit: null while within it, else the seconds until its window resets. */
type Limiter = (request: FastifyRequest) => Promise<number | null>;

const MINUTE_MS = 60_000;

function addressList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = "", prefix] = entry.split("/");
    const type = isIPv6(address) ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

function headerOf(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === "string" && value !== "" ? value : null;
}

/**
 * Admission control beyond Node's request timeouts (set in server.ts): requests a minute per
 * client address and per key, counted by @fastify/rate-limit in this process, and the cap on the
 * long-polls each client holds open. The dialects ask it and answer in their own error format.
 */
export class Admission {
  private readonly exempt: BlockList;
  private readonly perIp: Limiter | null;
  private readonly longPolls: LongPolls;
  private readonly streams: LongPolls;

  private constructor(
    private readonly app: FastifyInstance,
    private readonly limits: Limits,
    streamsPerClient: number,
  ) {
    this.exempt = addressList(limits.exemptAddresses);
    this.perIp = this.limiter(limits.requestsPerMinutePerIp, (request) => this.countedAddress(request) ?? "");
    this.longPolls = new LongPolls(limits.longPollsPerClient);
    this.streams = new LongPolls(streamsPerClient);
  }

  /** Registers the rate limiter on the root instance: one per-address count across every API. */
  static async register(app: FastifyInstance, limits: Limits, streamsPerClient: number): Promise<Admission> {
    // Not global: a request is counted against two limits (its address, its key), which the
    // plugin's own per-route hook cannot do, and refused in its dialect's error format.
    await app.register(rateLimit, { global: false });
    return new Admission(app, limits, streamsPerClient);
  }

  /**
   * One of the client's event-stream slots (push.streamsPerClient), held at most `maxHoldMs`;
   * exempt addresses are not counted.
   */
  openStream(request: FastifyRequest, maxHoldMs: number): { release(): void } | TooMany {
    const address = this.countedAddress(request);
    if (address === null) return { release: () => {} };
    const slot = this.streams.take(address, maxHoldMs);
    if ("release" in slot) return slot;
    return {
      message:
        `this client already holds ${this.streams.cap} open event streams, the most push.streamsPerClient ` +
        `allows: one stream can follow many subjects (repeat intentId, executionId, owner)`,
      retryAfterSeconds: slot.retryAfterSeconds,
    };
  }

  /**
   * An onRequest hook: counts the request against its address (unless exempt) and, if it carries
   * one, the key in the header `keyHeader`. Over either limit it answers 429 at once, with
   * Retry-After and `body(message)`, the dialect's error. Each call keeps its own per-key counts.
   */
  limitRequests(body: (message: string) => unknown, keyHeader?: string) {
    const perKey = keyHeader
      ? this.limiter(this.limits.requestsPerMinutePerKey, (request) => headerOf(request, keyHeader) ?? "")
      : null;
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const refusal = await this.overLimit(request, perKey, keyHeader);
      if (!refusal) return;
      return reply.code(429).header("retry-after", refusal.retryAfterSeconds).send(body(refusal.message));
    };
  }

  /**
   * One of the client's long-poll slots, held at most `maxHoldMs`, to release when the response
   * ends; or the refusal when the client holds limits.longPollsPerClient already. The client is
   * its address and, where keys are required, its key (checked by then), so that the users of one
   * integrator's key do not share one set of slots. Exempt addresses are not counted.
   */
  openLongPoll(
    request: FastifyRequest,
    checkedKey: string | null,
    maxHoldMs: number,
  ): { release(): void } | TooMany {
    const address = this.countedAddress(request);
    if (address === null) return { release: () => {} };
    const slot = this.longPolls.take(checkedKey === null ? address : `${address} ${checkedKey}`, maxHoldMs);
    if ("release" in slot) return slot;
    return {
      message:
        `this client already holds ${this.longPolls.cap} open long-polls, the most limits.longPollsPerClient ` +
        `allows: wait for one to answer before opening another (retry after ${slot.retryAfterSeconds} s)`,
      retryAfterSeconds: slot.retryAfterSeconds,
    };
  }

  private async overLimit(
    request: FastifyRequest,
    perKey: Limiter | null,
    keyHeader: string | undefined,
  ): Promise<TooMany | null> {
    if (this.perIp && this.countedAddress(request) !== null) {
      const wait = await this.perIp(request);
      if (wait !== null) {
        return this.tooMany("from this address", "requestsPerMinutePerIp", wait);
      }
    }
    if (perKey && keyHeader && headerOf(request, keyHeader) !== null) {
      const wait = await perKey(request);
      if (wait !== null) {
        return this.tooMany(`with this ${keyHeader}`, "requestsPerMinutePerKey", wait);
      }
    }
    return null;
  }

  private tooMany(
    what: string,
    field: "requestsPerMinutePerIp" | "requestsPerMinutePerKey",
    wait: number,
  ): TooMany {
    return {
      message: `too many requests ${what}: at most ${this.limits[field]} a minute (limits.${field}); retry after ${wait} s`,
      retryAfterSeconds: wait,
    };
  }

  /** Null for 0 (no limit): a counter of `max` requests a minute per key `keyOf` gives. */
  private limiter(max: number, keyOf: (request: FastifyRequest) => string): Limiter | null {
    if (max === 0) return null;
    const count = this.app.createRateLimit({ max, timeWindow: MINUTE_MS, keyGenerator: keyOf });
    return async (request) => {
      const counted = await count(request);
      return !counted.isAllowed && counted.isExceeded ? Math.max(1, counted.ttlInSeconds) : null;
    };
  }

  /** The address the limits count the client by (IPv6: its /64), or null when it is exempt. */
  private countedAddress(request: FastifyRequest): string | null {
    // Undefined once the client has gone: nothing left to count or answer.
    const ip = request.ip as string | undefined;
    if (!ip || this.exempt.check(ip, isIPv6(ip) ? "ipv6" : "ipv4")) return null;
    return normalizeIP(ip);
  }
}
