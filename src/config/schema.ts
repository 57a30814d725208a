import { isIP } from "node:net";
import type { Address, Hex } from "viem";
import { z } from "zod";
import { addressField, chainIdField } from "../core/fields.ts";
import { listingsModes } from "../core/listing.ts";
import type { Secret } from "./secret.ts";

const decimalString = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'expected a non-negative decimal number as a string, e.g. "1.00"');

const priceSource = z.discriminatedUnion("source", [
  z.object({ source: z.literal("fixed"), usd: decimalString }).strict(),
  /**
   * A JSON document at `url` polled every `pollSeconds`; `path` (dot-separated keys and array
   * indexes, e.g. "ethereum.usd") leads to the price in US dollars, a number or a numeric string.
   * Quotes that need the token are refused while its last good read is older than `maxAgeSeconds`.
   */
  z
    .object({
      source: z.literal("http"),
      url: z.url(),
      path: z.string().min(1),
      pollSeconds: z.number().int().min(1).max(3_600).default(30),
      maxAgeSeconds: z.number().int().min(1).max(86_400).default(300),
    })
    .strict(),
]);

const tokenSchema = z
  .object({
    symbol: z.string().min(1).max(16),
    name: z.string().min(1).optional(),
    /** Zero address = the chain's native coin. Omitted on the devnet: a DevToken is deployed. */
    address: addressField.optional(),
    decimals: z.number().int().min(0).max(36),
    price: priceSource,
    /**
     * The least Settlement should hold of this token, in whole tokens (e.g. "5000"): below it the
     * operator page marks the inventory low, so it is topped up before quotes start to be refused.
     */
    lowWater: decimalString.optional(),
  })
  .strict();

export const contractNamesOnChain = [
  "DepositFactory",
  "Settlement",
  "Executor",
  "IntentEntrypoint",
  "IntermediaryAccountFactory",
  "DemoVault",
] as const;
export type ChainContractName = (typeof contractNamesOnChain)[number];

const contractsSchema = z
  .object({
    DepositFactory: addressField,
    Settlement: addressField,
    Executor: addressField,
    IntentEntrypoint: addressField,
    IntermediaryAccountFactory: addressField,
    DemoVault: addressField.optional(),
  })
  .strict();

const chainSchema = z
  .object({
    chainId: chainIdField,
    name: z.string().min(1),
    slug: z
      .string()
      .regex(/^[a-z][a-z0-9]{1,15}$/, "expected 2-16 lowercase letters or digits, starting with a letter"),
    rpcUrl: z.url().optional(),
    /** More endpoints of the same chain, tried in order when the one before fails (viem's fallback). */
    fallbackRpcUrls: z.array(z.url()).default([]),
    confirmations: z.number().int().min(0).max(1000).default(1),
    /**
     * The node's WebSocket endpoint (ws:// or wss://): new blocks are announced by its `newHeads`
     * subscription. The devnet's own is used there. Without one, the head is polled.
     */
    wsUrl: z.url({ protocol: /^wss?$/, error: "expected a ws:// or wss:// URL" }).optional(),
    /** How often the deposit watcher asks the node for a new block (ms), when it is not told. */
    blockPollMs: z.number().int().min(10).max(60_000).default(250),
    /**
     * The least native coin (whole coins) each of Junction's signers must hold here; under it, new
     * quotes that would need that signer here are refused and an alert is logged.
     */
    minSignerBalance: decimalString.default("0.01"),
    explorerUrl: z.url().optional(),
    tokens: z.array(tokenSchema).min(1),
    contracts: contractsSchema.optional(),
    /** Devnet only: the anvil port; 0 picks a free one. */
    port: z.number().int().min(0).max(65535).optional(),
  })
  .strict();

/** An IPv4 or IPv6 address, or a CIDR range of them. */
const addressOrRange = z.string().refine((value) => {
  const [address = "", prefix, extra] = value.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}, "expected an IP address or a CIDR range, e.g. 10.0.0.0/8");

const limitsSchema = z
  .object({
    /**
     * The whole request, headers and body, must arrive within this (ms), or the connection gets a
     * 408 and is closed. Only receiving the request is timed: a long-poll's answer is not.
     */
    requestTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    /** The request's headers must arrive within this (ms); at most requestTimeoutMs. */
    headersTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
    /**
     * How long an idle kept-alive connection stays open (ms). Longer than the idle timeout of a
     * load balancer in front (often 60 s), so that the balancer, not Junction, closes it first.
     */
    keepAliveTimeoutMs: z.number().int().min(1_000).max(600_000).default(72_000),
    /** WaitIntentReceipt long-polls one client (address, and key when keys are required) may hold at once. */
    longPollsPerClient: z.number().int().min(1).max(100_000).default(8),
    /** Requests a minute from one client address (IPv6: its /64); 0 = no limit. */
    requestsPerMinutePerIp: z.number().int().min(0).default(600),
    /** Requests a minute with one key (Trails X-Access-Key, Connect x-api-key); 0 = no limit. */
    requestsPerMinutePerKey: z.number().int().min(0).default(3_000),
    /**
     * Client addresses the per-address limit and the long-poll cap do not apply to. Loopback by
     * default: local tools, tests and benchmarks, and a proxy on the same host that is not
     * trusted (trustProxy below), whose clients would otherwise all share one budget.
     */
    exemptAddresses: z.array(addressOrRange).default(["127.0.0.1", "::1"]),
    /**
     * Behind a reverse proxy, whose X-Forwarded-For to believe for the client's address, which
     * the per-address limits count by: the proxies' addresses or CIDR ranges, or `true` (any
     * sender: only where nothing but the proxy can reach Junction). `false`: the connection's.
     */
    trustProxy: z.union([z.boolean(), z.array(addressOrRange).min(1)]).default(false),
  })
  .strict();

export const configSchema = z
  .object({
    profile: z.enum(["devnet", "live"]).default("devnet"),
    server: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .strict()
      .default({ host: "127.0.0.1", port: 8080 }),
    database: z
      .object({
        /** postgres://… switches from the embedded PGlite to a PostgreSQL server. */
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL")
          .optional(),
        schema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, "expected a lowercase SQL identifier")
          .default("junction"),
      })
      .strict()
      .default({ schema: "junction" }),
    /** Where PGlite and the devnet's chain state live. */
    dataDir: z.string().min(1).default("./data"),
    quoteLifetimeSeconds: z.number().int().positive().default(300),
    /** How long one of the engine's transactions may wait unmined before it is replaced with a higher fee. */
    replaceAfterSeconds: z.number().int().positive().default(60),
    /**
     * How the deposit watchers learn of new blocks: "subscription" where a chain has a WebSocket
     * endpoint (polling while it is down), or "polling" everywhere.
     */
    followHeads: z.enum(["subscription", "polling"]).default("subscription"),
    commitLifetimeSeconds: z.number().int().positive().default(600),
    fees: z
      .object({
        protocolFeeBps: z.number().int().min(0).max(10_000).default(10),
        /** Defaults on the devnet to a dedicated anvil account. */
        feeCollector: addressField.optional(),
        /** Added to the gas cost of a gasless (permit) deposit when pricing its fee. */
        gaslessFeeMarginBps: z.number().int().min(0).max(100_000).default(2_000),
      })
      .strict()
      .default({ protocolFeeBps: 10, gaslessFeeMarginBps: 2_000 }),
    /** Trails `X-Access-Key` values; empty = no key required. */
    accessKeys: z.array(z.string().min(8)).default([]),
    /**
     * Who may list intents and executions (lookups by id, hash or deposit address stay public):
     * `public`, as on a block explorer, or `own`: the caller's access key's, or a signed owner's.
     */
    listings: z.enum(listingsModes).default("public"),
    connect: z
      .object({
        /** `x-api-key` values the quote-backed create accepts. */
        apiKeys: z.array(z.string().min(1)).default([]),
        /** NEP-413 `recipient`: whom NEAR wallets' signed messages are for. */
        nep413Recipient: z.string().min(1).default("junction"),
        /** NEAR named accounts and their ed25519 public keys (`ed25519:<base58>`): the devnet's registry. */
        nearAccounts: z
          .record(
            z.string(),
            z.array(
              z
                .string()
                .regex(/^ed25519:[1-9A-HJ-NP-Za-km-z]{32,44}$/, "expected ed25519:<base58 public key>"),
            ),
          )
          .default({}),
        /** A NEAR RPC endpoint to look up named accounts' keys (view_access_key_list) on a real network. */
        nearRpcUrl: z.url().optional(),
        /** Added to the executor's gas cost when pricing an execution's network fee. */
        stepsFeeMarginBps: z.number().int().min(0).max(100_000).default(2_000),
      })
      .strict()
      .default({ apiKeys: [], nep413Recipient: "junction", nearAccounts: {}, stepsFeeMarginBps: 2_000 }),
    /** How the work queues treat a step that throws: exponential backoff, then parked for an operator. */
    queue: z
      .object({
        retryBaseMs: z.number().int().min(1).max(3_600_000).default(1_000),
        retryMaxMs: z.number().int().min(1).max(86_400_000).default(300_000),
        /**
         * Failed attempts in a row after which a row is parked; with the defaults, 45 to 90
         * minutes of failing (an RPC outage shorter than that heals by itself).
         */
        maxAttempts: z.number().int().min(1).max(1_000).default(25),
      })
      .strict()
      .default({ retryBaseMs: 1_000, retryMaxMs: 300_000, maxAttempts: 25 }),
    /** Admission control: how long a request may take to arrive, and how much one client may ask. */
    limits: limitsSchema.prefault({}),
    /** Which web pages on other origins may call the APIs from a browser. */
    cors: z
      .object({
        /** Exact origins (`https://app.example`), or `"*"` for any; empty: none (same origin only). */
        origins: z
          .array(
            z.union([
              z.literal("*"),
              z.url({ error: "expected an origin such as https://app.example, or *" }),
            ]),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        /**
         * Days after its expiry that a quote never committed, with nothing sent to its deposit
         * address, is retired: its plan is dropped and clients no longer find it; its address is
         * still watched, and anything sent there is returned to the owner.
         */
        unusedQuoteDays: z.number().int().min(1).max(36_500).default(7),
      })
      .strict()
      .prefault({}),
    /** The event stream (GET /events) and webhooks. */
    push: z
      .object({
        /** A comment line this often keeps proxies from closing an idle stream. */
        heartbeatSeconds: z.number().int().min(1).max(300).default(15),
        /**
         * A stream is ended after this long; EventSource reconnects by itself with Last-Event-ID,
         * so nothing is missed, and long-lived connections spread again over the processes.
         */
        streamMaxSeconds: z.number().int().min(10).max(86_400).default(900),
        /** Streams one client (address) may hold at once. */
        streamsPerClient: z.number().int().min(1).max(100_000).default(32),
        /**
         * A stream's events waiting for a client that does not read (rendering, or behind its full
         * socket): past this, the client is cut off rather than buffered further.
         */
        maxQueuedEvents: z.number().int().min(10).max(1_000_000).default(2_000),
        /** How long a client's full socket may stay unread before the client is cut off (seconds). */
        drainTimeoutSeconds: z.number().int().min(1).max(3_600).default(30),
        webhooks: z
          .object({
            /**
             * Seconds before each retry after a failed delivery (the last repeats): the Standard
             * Webhooks schedule, about 28 hours in all.
             */
            retryScheduleSeconds: z
              .array(
                z
                  .number()
                  .int()
                  .min(0)
                  .max(7 * 86_400),
              )
              .min(1)
              .default([5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]),
            /** Failed attempts in a row after which an endpoint is disabled until re-enabled. */
            disableAfterFailures: z.number().int().min(1).max(1_000).default(8),
            /** Allow endpoints on loopback, private or link-local addresses (the devnet does). */
            allowPrivateUrls: z.boolean().default(false),
            connectTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
            /** The whole delivery, connection to answer. */
            timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** When GET /ready says this process should not be sent traffic. */
    ready: z
      .object({
        /** A chain whose newest block is older than this (seconds) makes the process not ready. */
        maxHeadAgeSeconds: z.number().int().min(1).max(86_400).default(120),
        /** More parked rows than this (both queues) make the process not ready. */
        maxParked: z.number().int().min(0).default(50),
      })
      .strict()
      .prefault({}),
    /** Bearer key of the operator endpoints (/admin/*); the devnet's is "devnet-admin". */
    adminKey: z.string().min(8).optional(),
    devnet: z
      .object({
        mining: z.enum(["interval", "auto"]).default("interval"),
        blockTimeSeconds: z.number().int().positive().default(1),
        /** Keep chain state and database across restarts. */
        persist: z.boolean().default(true),
        /**
         * Run the devnet's chains under these ids instead (one per configured chain, in order),
         * with the names and slugs of the mainnets that have them, so that clients with compiled-in
         * chain lists (the Trails widget) recognise them. Still local chains: never real ones.
         */
        chainIds: z.array(z.number().int().positive()).optional(),
      })
      .strict()
      .default({ mining: "interval", blockTimeSeconds: 1, persist: true }),
    chains: z.array(chainSchema).min(1),
  })
  .strict()
  .superRefine((config, ctx) => {
    const unique = (key: "chainId" | "slug") => {
      const seen = new Set<unknown>();
      config.chains.forEach((chain, i) => {
        if (seen.has(chain[key]))
          ctx.addIssue({ code: "custom", path: ["chains", i, key], message: `duplicate ${key}` });
        seen.add(chain[key]);
      });
    };
    unique("chainId");
    unique("slug");
    if (config.limits.headersTimeoutMs > config.limits.requestTimeoutMs) {
      ctx.addIssue({
        code: "custom",
        path: ["limits", "headersTimeoutMs"],
        message: "must be at most limits.requestTimeoutMs (the headers are part of the request)",
      });
    }
    if (config.queue.retryMaxMs < config.queue.retryBaseMs) {
      ctx.addIssue({
        code: "custom",
        path: ["queue", "retryMaxMs"],
        message: "must be at least queue.retryBaseMs",
      });
    }
    if (config.profile !== "live") return;
    if (!config.fees.feeCollector) {
      ctx.addIssue({
        code: "custom",
        path: ["fees", "feeCollector"],
        message: "required in the live profile",
      });
    }
    config.chains.forEach((chain, i) => {
      if (!chain.rpcUrl)
        ctx.addIssue({
          code: "custom",
          path: ["chains", i, "rpcUrl"],
          message: "required in the live profile",
        });
      if (!chain.contracts) {
        ctx.addIssue({
          code: "custom",
          path: ["chains", i, "contracts"],
          message: "required in the live profile",
        });
      }
      chain.tokens.forEach((token, j) => {
        if (!token.address) {
          ctx.addIssue({
            code: "custom",
            path: ["chains", i, "tokens", j, "address"],
            message: "required in the live profile (only the devnet deploys tokens)",
          });
        }
      });
    });
  });

export type ConfigFile = z.infer<typeof configSchema>;
export type ChainConfig = ConfigFile["chains"][number];
export type TokenConfig = ChainConfig["tokens"][number];

/** Keys come only from the environment and stay wrapped until a signer needs them. */
export interface Keys {
  solver: Secret<Hex>;
  relayer: Secret<Hex>;
  executor: Secret<Hex>;
}

export interface Config extends Omit<ConfigFile, "fees"> {
  fees: { protocolFeeBps: number; feeCollector: Address; gaslessFeeMarginBps: number };
  keys: Keys;
  /** Where the values came from, for the start-up log. */
  source: { file: string | null; env: string[] };
}

export type { Address };
