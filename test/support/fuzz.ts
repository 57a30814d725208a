/**
 * Property-based fuzzing of both HTTP APIs (fast-check): every endpoint gets generated requests
 * (bodies that mix nearly valid fields with garbage, odd headers, odd paths and HTTP methods, raw
 * bodies that are not JSON at all), and every answer must keep three promises:
 *
 * - never a 5xx: bad input is the client's fault, and a 5xx says it was Junction's;
 * - on a 4xx, the dialect's own error body (Trails: webrpc's `{error, code, msg, status}`;
 *   Connect: `{error}`), so clients can show what to fix;
 * - no stored state for rejected input: the rows of the engine's tables are counted before and
 *   after each request, and an answer other than 2xx must leave every count as it was (an
 *   accepted request may store rows; the next request counts from there).
 *
 * Most bodies start from a valid request (built from the real registry and from intents and
 * executions made at setup) and change a few fields, as the table-driven bad-input tests do, so
 * they get past the first schema check and reach the rules behind it; the rest are assembled
 * field by field. Used by test/api/fuzz.test.ts (short) and scripts/fuzz.ts (long).
 */
import fc from "fast-check";
import { sql } from "kysely";
import { type Address, getAddress, toHex, zeroAddress } from "viem";
import { webrpcErrors } from "../../src/api/trails/errors.ts";
import type { ChainRegistry } from "../../src/chains/registry.ts";
import { assetIdOf } from "../../src/core/connect/assets.ts";
import { devnetAccount, devnetNearAccount, testAccounts } from "../../src/devnet/accounts.ts";
import type { Db } from "../../src/store/database.ts";
import { vaultSteps } from "./connect.ts";
import type { TestJunction } from "./junction.ts";

type Json = Record<string, unknown>;

/** One generated HTTP request; the body is raw text, so it may be anything at all. */
export interface FuzzRequest {
  method: string;
  /** Path and query, starting with "/". */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Whose error format a path's 4xx answers must have. */
export type Dialect = "trails" | "connect" | "other";

export interface Endpoint {
  /** As the results table shows it. */
  name: string;
  request: fc.Arbitrary<FuzzRequest>;
}

// ---------------------------------------------------------------------------------------------
// The world the requests are drawn from: what Junction really serves, and rows made at setup.

export interface WorldToken {
  chainId: number;
  symbol: string;
  address: Address;
  decimals: number;
  assetId: string;
}

export interface FuzzWorld {
  chainIds: number[];
  tokens: WorldToken[];
  /** Every listed token, contract and test account: addresses Junction knows. */
  addresses: Address[];
  accounts: Address[];
  /** Intents quoted at setup, as QuoteIntent returned them (CommitIntent sends them back). */
  quoted: Json[];
  /** Every intent made at setup: quoted, and one aborted. */
  intentIds: string[];
  /** Executions made at setup, and the wallets that own them. */
  executions: { wallet: string; id: string; depositAddress: string }[];
  wallets: string[];
  /** The X-Access-Key the setup quoted with: AbortIntent with it may succeed. */
  accessKey: string;
  /** Connect's `x-api-key`. */
  apiKey: string;
  adminKey: string;
  /** An ISO deadline valid for the whole run (Connect's limit is 24 h ahead). */
  deadline: string;
  /** Valid requests the generated ones start from. */
  valid: { quote: Json; create: Json; steps: Json };
}

/** Far enough ahead that no execution made in a run expires during it (an expiry stores an event). */
const DEADLINE_AHEAD_MS = 2 * 60 * 60 * 1000;
const QUOTE_KEY = "fuzz-integrator-key";
/** The wallets of the setup's executions: any other wallet may create one more. */
const BRIDGE_WALLET = devnetAccount(6).address;
const STEPS_WALLET = devnetAccount(7).address;

/** Sends a setup request; anything but a 2xx stops the run, since the fixtures would be missing. */
async function setupCall(url: string, req: FuzzRequest): Promise<Json> {
  const answer = await send(url, req);
  if (answer.status >= 300)
    throw new Error(`setup ${req.method} ${req.path}: ${answer.status} ${answer.text}`);
  return answer.json as Json;
}

const jsonPost = (path: string, body: unknown, headers: Record<string, string> = {}): FuzzRequest => ({
  method: "POST",
  path,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

function tokensOf(registry: ChainRegistry): WorldToken[] {
  return registry.chains.flatMap((chain) =>
    chain.tokens.map((tk) => ({
      chainId: chain.chainId,
      symbol: tk.symbol,
      address: tk.address,
      decimals: tk.decimals,
      assetId: assetIdOf({ slug: chain.slug, address: tk.address, native: tk.address === zeroAddress }),
    })),
  );
}

/**
 * A valid request of each kind the bodies start from: 100 USDC from the first chain to the
 * second (a QuoteIntent; a Connect bridge-in into the DemoVault), and steps-only into the vault.
 */
function validRequests(registry: ChainRegistry, tokens: WorldToken[], deadline: string): FuzzWorld["valid"] {
  const [alpha, beta] = registry.chains;
  const usdcOf = (chainId?: number) => tokens.find((tk) => tk.chainId === chainId && tk.symbol === "USDC");
  const usdcA = usdcOf(alpha?.chainId);
  const usdcB = usdcOf(beta?.chainId);
  if (!beta || !usdcA || !usdcB) throw new Error("the devnet should have two chains with USDC");
  const vault = beta.contracts.DemoVault as Address;
  const amount = "100000000";
  const quote = {
    ownerAddress: testAccounts()[0]?.address,
    originChainId: usdcA.chainId,
    originTokenAddress: usdcA.address,
    destinationChainId: usdcB.chainId,
    destinationTokenAddress: usdcB.address,
    originTokenAmount: amount,
  };
  const approve = { to: usdcB.address, functionSignature: "approve(address,uint256)", value: "0" };
  const deposit = { to: vault, functionSignature: "deposit(uint256,address)", value: "0" };
  return {
    quote,
    create: {
      version: "1.0",
      type: "evm",
      quote: {
        originAsset: usdcA.assetId,
        destinationAsset: usdcB.assetId,
        amount,
        swapType: "EXACT_INPUT",
        slippageTolerance: 50,
        deadline,
      },
      steps: vaultSteps(usdcB.address, vault, BRIDGE_WALLET),
    },
    steps: {
      version: "1.0",
      type: "evm",
      destinationAsset: usdcB.assetId,
      deadline,
      steps: [
        { ...approve, parameters: [vault, "1000"] },
        { ...deposit, parameters: ["1000", "{INTERMEDIARY}"] },
      ],
    },
  };
}

/** Two quoted intents (one by QUOTE_KEY) and one quoted by QUOTE_KEY and aborted. */
async function setupIntents(url: string, quote: Json) {
  const quoteIntent = async (headers: Record<string, string>) =>
    (await setupCall(url, jsonPost("/rpc/Trails/QuoteIntent", quote, headers))).intent as Json;
  const byKey = { "x-access-key": QUOTE_KEY };
  const quoted = [await quoteIntent({}), await quoteIntent(byKey)];
  const aborted = await quoteIntent(byKey);
  await setupCall(url, jsonPost("/rpc/Trails/AbortIntent", { intentId: aborted.intentId }, byKey));
  return { quoted, intentIds: [...quoted, aborted].map((i) => i.intentId as string) };
}

/** A quote-backed execution and a steps-only one, each for its own wallet. */
async function setupExecutions(url: string, valid: FuzzWorld["valid"], apiKey: string) {
  const made = async (wallet: string, req: FuzzRequest) => {
    const result = (await setupCall(url, req)).result as { id: string; quote?: { depositAddress?: string } };
    return { wallet, id: result.id, depositAddress: result.quote?.depositAddress ?? wallet };
  };
  return [
    await made(
      BRIDGE_WALLET,
      jsonPost(`/api/v1/executions/${BRIDGE_WALLET}`, valid.create, { "x-api-key": apiKey }),
    ),
    await made(STEPS_WALLET, jsonPost(`/api/v1/executions/${STEPS_WALLET}/steps`, valid.steps)),
  ];
}

/** Reads the registry and makes the intents and executions the requests will refer to. */
export async function fuzzWorld(t: TestJunction): Promise<FuzzWorld> {
  const { registry, config } = t.junction.ctx;
  const tokens = tokensOf(registry);
  const deadline = new Date(Date.now() + DEADLINE_AHEAD_MS).toISOString();
  const valid = validRequests(registry, tokens, deadline);
  const apiKey = config.connect.apiKeys[0] ?? "";
  const accounts = testAccounts().map((a) => a.address);
  const contracts = registry.chains.flatMap((c) => Object.values(c.contracts) as Address[]);
  return {
    chainIds: registry.chains.map((c) => c.chainId),
    tokens,
    addresses: [...new Set([...tokens.map((tk) => tk.address), ...contracts, ...accounts])],
    accounts,
    ...(await setupIntents(t.url, valid.quote)),
    executions: await setupExecutions(t.url, valid, apiKey),
    wallets: [...accounts, devnetNearAccount.accountId],
    accessKey: QUOTE_KEY,
    apiKey,
    adminKey: config.adminKey ?? "",
    deadline,
    valid,
  };
}

// ---------------------------------------------------------------------------------------------
// Values: nearly valid ones and garbage.

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);

/** Strings made to hurt: NUL and other control characters, lone surrogates, RTL marks, SQL, HTML. */
const nastyStrings = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\u0007\b\f\v",
  "\ud800",
  "\udfff\ud800",
  "\u202e",
  "\ufeff",
  "💥🧨",
  "Ω≈ç√∫",
  "null",
  "undefined",
  "NaN",
  "%00",
  "%zz",
  "'; drop table intents; --",
  "<script>alert(1)</script>",
  "__proto__",
  "constructor",
  "{}",
  "[]",
] as const;

/** Numbers JSON can carry but no field expects. */
const nastyNumbers = [0, -0, -1, 1.5, -1.5, 2 ** 31, 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MIN_VALUE];

const shortText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 3, arbitrary: pick(nastyStrings) },
);

/** Any text: every Unicode code point (lone surrogates too), short or oversized. */
const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 7, arbitrary: shortText },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 100_000 }).map((n) => "x".repeat(n)) },
);

/** `{a: {a: … "x"}}` or `[[… "x"]]`, `depth` levels down. */
function nest(depth: number, asArray: boolean): unknown {
  let value: unknown = "x";
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

/** A value of the wrong kind for any field: any JSON type, nasty or huge or deep. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 2, arbitrary: pick<unknown>([null, true, false, ...nastyNumbers]) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 2, max: 80 }), fc.boolean()).map(([d, a]) => nest(d, a)),
  },
);

/** A nearly valid value most of the time, garbage otherwise. */
const orJunk = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: junk });

const randomHex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => toHex(b));
/** Hex of any length, odd ones and non-hex digits included. */
const looseHex = fc
  .string({ unit: pick([..."0123456789abcdefABCDEFxg"]), maxLength: 140 })
  .map((s) => `0x${s}`);

/** Flips the case of the `i`-th letter: an EIP-55 checksum that no longer matches. */
function flipCase(address: string, i: number): string {
  const letters = [...address.slice(2)].flatMap((c, at) => (/[a-f]/i.test(c) ? [at + 2] : []));
  const at = letters[i % Math.max(letters.length, 1)];
  if (at === undefined) return address.toUpperCase();
  const c = address[at] as string;
  const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
  return address.slice(0, at) + flipped + address.slice(at + 1);
}

/** One of `known` as is, lowercased or with a broken checksum; or random, short, non-hex. */
function addressOf(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: pick(known) },
    { weight: 1, arbitrary: pick(known).map((a) => a.toLowerCase()) },
    { weight: 1, arbitrary: fc.tuple(pick(known), fc.nat()).map(([a, i]) => flipCase(getAddress(a), i)) },
    { weight: 1, arbitrary: randomHex(20) },
    {
      weight: 1,
      arbitrary: pick([zeroAddress, "0x", "0x123", `0x${"zz".repeat(20)}`, "0X".padEnd(42, "A")]),
    },
    { weight: 1, arbitrary: looseHex },
  );
}

/** Base units: plausible, huge, or malformed (zero, negative, fractional, exponent, hex, full-width). */
const amount: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt(1n, 10n ** 24n).map(String) },
  { weight: 1, arbitrary: fc.bigInt(10n ** 24n, 10n ** 80n).map(String) },
  {
    weight: 2,
    arbitrary: pick<unknown>(["0", "-5", "1.5", "1e6", " 100 ", "0x10", "", "１００", "+7", 100, 1.5, -1]),
  },
  { weight: 1, arbitrary: fc.integer() },
);

const chainIdOf = (w: FuzzWorld): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 5, arbitrary: pick(w.chainIds) },
    { weight: 1, arbitrary: pick(w.chainIds).map(String) },
    { weight: 1, arbitrary: pick<unknown>([1, 10, 137, ...nastyNumbers]) },
  );

const intentIdOf = (w: FuzzWorld) =>
  fc.oneof(
    { weight: 4, arbitrary: pick(w.intentIds) },
    { weight: 1, arbitrary: pick(w.intentIds).map((id) => `0x${id.slice(2).toUpperCase()}`) },
    { weight: 2, arbitrary: randomHex(32) },
    { weight: 1, arbitrary: looseHex },
  );

const signature = fc.oneof({ weight: 3, arbitrary: randomHex(65) }, { weight: 1, arbitrary: looseHex });
const txHash = fc.oneof({ weight: 3, arbitrary: randomHex(32) }, { weight: 1, arbitrary: looseHex });
const unixTime = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 40 }),
  fc.integer({ min: 0, max: 2 ** 40 }).map(String),
  pick<unknown>([-1, 1.5, "soon"]),
);
const isoDate = (w: FuzzWorld) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(w.deadline) },
    { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
    { weight: 1, arbitrary: pick(["2020-01-01T00:00:00Z", "tomorrow", "2099-13-45T25:61:61Z", "1e9"]) },
  );

// ---------------------------------------------------------------------------------------------
// Request objects.

/** Each field a request may have, and what a nearly valid value for it looks like. */
type Shape = Record<string, fc.Arbitrary<unknown>>;

/** Keys no request has: prototype names, a known field re-cased, nonsense. */
const extraKey = (shape: Shape) =>
  fc.oneof(
    pick([
      "__proto__",
      "constructor",
      "prototype",
      "toString",
      ...Object.keys(shape).map((k) => k.toUpperCase()),
    ]),
    fc.string({ maxLength: 12 }),
  );

/** An object assembled field by field: all of `shape` or some, nearly valid or junk, maybe extra keys. */
function objectOf(shape: Shape): fc.Arbitrary<Json> {
  const fields = Object.fromEntries(Object.entries(shape).map(([key, good]) => [key, orJunk(good)]));
  return fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: fc.record(fields) },
        { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) },
      ),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.dictionary(extraKey(shape), junk, { maxKeys: 3 }) },
      ),
    )
    .map(([known, extra]) => ({ ...known, ...extra }));
}

const REMOVE = Symbol("remove");
type Change = [key: string, value: unknown];

/** One change to a valid object: a field set (nearly valid or junk) or removed, or a key added. */
function changeOf(shape: Shape): fc.Arbitrary<Change> {
  const keys = Object.keys(shape);
  const set = keys.map((k) => orJunk(shape[k] as fc.Arbitrary<unknown>).map((v): Change => [k, v]));
  return fc.oneof(
    ...set,
    ...(keys.length > 0 ? [pick(keys).map((k): Change => [k, REMOVE])] : []),
    fc.tuple(extraKey(shape), junk),
  );
}

/** `base` (a valid object) with up to three changes; often none or one, like a client's mistake. */
function changed(base: fc.Arbitrary<Json>, shape: Shape): fc.Arbitrary<Json> {
  return fc.tuple(base, fc.array(changeOf(shape), { maxLength: 3 })).map(([start, changes]) => {
    const result: Json = { ...start };
    for (const [key, value] of changes) {
      if (value === REMOVE) delete result[key];
      // Defined, not assigned: assigning "__proto__" would set the prototype, not send a key.
      else
        Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return result;
  });
}

/** Mostly a changed valid request, sometimes one assembled from scratch. */
const requestObject = (shape: Shape, base: fc.Arbitrary<Json> = fc.constant({})) =>
  fc.oneof({ weight: 3, arbitrary: changed(base, shape) }, { weight: 1, arbitrary: objectOf(shape) });

/** A list of nearly valid items, empty, or oversized. */
const listOf = (item: fc.Arbitrary<unknown>, maxLength = 5) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.array(item, { maxLength }) },
    { weight: 1, arbitrary: fc.array(item, { minLength: 100, maxLength: 300 }) },
  );

// ---------------------------------------------------------------------------------------------
// Bodies, headers, paths.

/** JSON text of `value` with one of its keys written twice: JSON.parse keeps the last silently. */
function withDuplicateKey(value: unknown, index: number, repeated: unknown): string {
  const json = JSON.stringify(value) ?? "null";
  if (value === null || typeof value !== "object" || Array.isArray(value)) return json;
  const keys = Object.keys(value);
  const key = keys[index % Math.max(keys.length, 1)] ?? "a";
  const first = `${JSON.stringify(key)}:${JSON.stringify(repeated) ?? "null"}`;
  return keys.length === 0 ? `{${first},${first}}` : `{${first},${json.slice(1)}`;
}

const rawGarbage = fc.oneof(
  pick([
    "not json",
    "{",
    '{"a":}',
    "{'a':1}",
    '{"a":1,}',
    "// comment\n{}",
    "{} {}",
    "\ufeff{}",
    '{"a":NaN}',
    '{"a":1e999}',
    '{"a":"\\u0000"}',
    '{"a":"\\ud800"}',
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    "null",
    "[]",
    '"a string"',
    "42",
  ]),
  fc.string({ unit: "binary", maxLength: 200 }),
);

/** `[[[…` or `{"a":{"a":…`, deep enough to hurt a recursive parser, under the 256 KB limit. */
const deepText = fc
  .tuple(fc.integer({ min: 60, max: 60_000 }), fc.boolean())
  .map(([depth, asArray]) =>
    asArray ? "[".repeat(depth) + "]".repeat(depth) : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
  );

/** Over the 256 KB body limit both APIs have. */
const oversized = (value: fc.Arbitrary<unknown>) =>
  value.map((v) => JSON.stringify({ pad: "x".repeat(300 * 1024), value: v }));

/** A body for `value`: mostly its JSON, sometimes a duplicated key, raw garbage, deep or huge text, none. */
function bodyOf(value: fc.Arbitrary<unknown>): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 16, arbitrary: value.map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.tuple(value, fc.nat(), junk).map(([v, i, r]) => withDuplicateKey(v, i, r)) },
    { weight: 2, arbitrary: rawGarbage },
    { weight: 1, arbitrary: deepText },
    { weight: 1, arbitrary: oversized(value) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** Header values fetch can send: Latin-1 without control characters. */
const headerText = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0xff })
    .filter((c) => c !== 0x7f)
    .map((c) => String.fromCharCode(c)),
  maxLength: 80,
});

const contentType = fc.oneof(
  { weight: 24, arbitrary: fc.constant("application/json") },
  {
    weight: 3,
    arbitrary: pick([
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/json; charset=latin1",
      "application/json;;",
      "text/plain",
      "text/json",
      "application/x-www-form-urlencoded",
      "application/json-patch+json",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
      "*/*",
    ]),
  },
  { weight: 1, arbitrary: headerText },
);

/**
 * Every header some endpoint reads, each maybe set to a real value or garbage, and random extras;
 * mostly with the `valid` headers the endpoint needs (an API key) in place.
 */
function headersOf(w: FuzzWorld, valid: Record<string, string> = {}): fc.Arbitrary<Record<string, string>> {
  const key = (real: string) =>
    fc.oneof(
      { weight: 3, arbitrary: pick([real, "", "wrong-key", real.toUpperCase()]) },
      { weight: 1, arbitrary: headerText },
    );
  const known = fc.record(
    {
      "content-type": contentType,
      "x-access-key": key(w.accessKey),
      "x-api-key": key(w.apiKey),
      "x-signature": fc.oneof(signature, headerText),
      "x-signature-deadline": fc.oneof(fc.nat().map(String), headerText),
      "x-public-key": fc.oneof(pick(["ed25519:GNPnVUWMkWAHriwWp2FSAx7HUCmeJjxeY4m9ZfAPxmZM"]), headerText),
      "x-nep413-recipient": fc.oneof(pick(["junction"]), headerText),
      "x-nep413-nonce": fc.oneof(fc.base64String({ minLength: 44, maxLength: 44 }), headerText),
      authorization: fc.oneof(pick([`Bearer ${w.adminKey}`, "Bearer", "Basic eA=="]), headerText),
    },
    { requiredKeys: ["content-type"] },
  );
  const extra = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,16}$/), headerText, { maxKeys: 2 });
  return fc
    .tuple(known, extra, fc.nat(3))
    .map(([k, e, keep]) => ({ ...e, ...k, ...(keep > 0 ? valid : {}) }));
}

/**
 * Node refuses a request line and headers over 16 KB (431) before any route sees them, so the
 * generated path segments and query values stay well under that.
 */
const MAX_URL_TEXT = 400;
const urlText = shortText.map((s) => s.slice(0, MAX_URL_TEXT));
/** Percent-encoded text; a lone surrogate (which encodeURIComponent throws on) as U+FFFD, as UTF-8 has it. */
const urlEncoded = urlText.map((s) => encodeURIComponent(s.replace(/\p{Cs}/gu, "\ufffd")));

/** A path segment: as given, or replaced by garbage (percent-encoded, or deliberately malformed). */
function segment(good: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: good },
    { weight: 1, arbitrary: urlEncoded },
    { weight: 1, arbitrary: pick(["%zz", "%", "%00", "%c0%ae", "..", ".", "%2F", "%252F", "a%2Fb", ""]) },
  );
}

/** A query string from `params` (each maybe absent or garbage), or a raw malformed one. */
function queryOf(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const value = (good: fc.Arbitrary<string>) =>
    fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: urlText });
  const fields = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, value(v)]));
  const built = fc.record(fields, { requiredKeys: [] }).map((q) => {
    const search = new URLSearchParams(q as Record<string, string>).toString();
    return search ? `?${search}` : "";
  });
  const raw = pick(["?", "?&&", "?id=%zz", "?id=a&id=b", "?status=&status=", "?flow[]=x", "?=", "?id=%00"]);
  return fc.oneof({ weight: 5, arbitrary: built }, { weight: 1, arbitrary: raw });
}

/** Wallet ids of every kind the Connect API reads, real and made up, and garbage. */
function walletOf(w: FuzzWorld): fc.Arbitrary<string> {
  return segment(
    fc.oneof(
      { weight: 4, arbitrary: pick(w.wallets) },
      { weight: 1, arbitrary: addressOf(w.accounts) },
      { weight: 1, arbitrary: randomHex(32).map((h) => h.slice(2)) },
      {
        weight: 1,
        arbitrary: pick([
          "bob.near",
          "a",
          "UPPER.near",
          "x".repeat(65),
          "deposit",
          "11111111111111111111111111111111",
        ]),
      },
    ),
  );
}

const oddMethods = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST"] as const;

/** The endpoint's own HTTP method most of the time, another one sometimes. */
const methodOf = (own: string) =>
  fc.oneof({ weight: 8, arbitrary: fc.constant(own) }, { weight: 1, arbitrary: pick(oddMethods) });

interface RequestParts {
  method: fc.Arbitrary<string>;
  path: fc.Arbitrary<string>;
  headers: fc.Arbitrary<Record<string, string>>;
  body: fc.Arbitrary<string | undefined>;
}

function requestOf(parts: RequestParts): fc.Arbitrary<FuzzRequest> {
  return fc.record(parts).map((req) => describable({ ...req }));
}

/** A request fast-check prints (in a counterexample) with long bodies cut short. */
function describable(req: FuzzRequest): FuzzRequest {
  return Object.assign(req, { [fc.toStringMethod]: () => describeRequest(req) });
}

const clip = (s: string, max = 400) => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);

/** The request on one line, each part cut at `max` characters. */
export function describeRequest(req: FuzzRequest, max = 400): string {
  const body = req.body === undefined ? "" : ` body ${clip(JSON.stringify(req.body), max)}`;
  return `${req.method} ${clip(req.path, max)} headers ${clip(JSON.stringify(req.headers), max)}${body}`;
}

// ---------------------------------------------------------------------------------------------
// The endpoints.

/** What a valid request to an endpoint starts from: its body (default `{}`), and headers it needs. */
interface Valid {
  body?: fc.Arbitrary<Json>;
  headers?: Record<string, string>;
}

/** A Trails method: POST /rpc/Trails/<name>, the body changed from a valid one along `shape`. */
function trails(w: FuzzWorld, name: string, shape: Shape, valid: Valid = {}): Endpoint {
  return {
    name: `Trails ${name}`,
    request: requestOf({
      method: methodOf("POST"),
      path: fc.constant(`/rpc/Trails/${name}`),
      headers: headersOf(w, valid.headers),
      body: bodyOf(requestObject(shape, valid.body)),
    }),
  };
}

/** A Connect route, "METHOD /path"; `path` is the URL below /api/v1; no body without `shape`. */
function connect(
  w: FuzzWorld,
  name: string,
  path: fc.Arbitrary<string>,
  shape?: Shape,
  valid: Valid = {},
): Endpoint {
  const [method] = name.split(" ");
  return {
    name: `Connect ${name}`,
    request: requestOf({
      method: methodOf(method as string),
      path: path.map((p) => `/api/v1${p}`),
      headers: headersOf(w, valid.headers),
      body: shape ? bodyOf(requestObject(shape, valid.body)) : fc.constant(undefined),
    }),
  };
}

/** A valid QuoteIntent between any two listed tokens: 1 to 1000 whole tokens, either trade type. */
function validQuote(w: FuzzWorld): fc.Arbitrary<Json> {
  const trade = {
    from: pick(w.tokens),
    to: pick(w.tokens),
    whole: fc.integer({ min: 1, max: 1000 }),
    out: fc.boolean(),
  };
  return fc.record(trade).map(({ from, to, whole, out }) => {
    const units = (10n ** BigInt(out ? to.decimals : from.decimals) * BigInt(whole)).toString();
    return {
      ownerAddress: w.valid.quote.ownerAddress,
      originChainId: from.chainId,
      originTokenAddress: from.address,
      destinationChainId: to.chainId,
      destinationTokenAddress: to.address,
      ...(out ? { tradeType: "EXACT_OUTPUT", destinationTokenAmount: units } : { originTokenAmount: units }),
    };
  });
}

const legStatuses = ["PENDING", "SENT", "SUCCEEDED", "FAILED", "ABORTED", "ON_HOLD", "MINING", ""];

function trailsEndpoints(w: FuzzWorld): Endpoint[] {
  const address = addressOf(w.addresses);
  const token = addressOf(w.tokens.map((tk) => tk.address));
  const chainId = chainIdOf(w);
  const intentId = intentIdOf(w);
  const byId = fc.record({ intentId: pick(w.intentIds) });
  const feeOption = objectOf({ tokenAddress: token, amount, feeCollectorAddress: address });
  const listingProof = { ownerSignature: signature, ownerSignatureDeadline: unixTime };
  const page = {
    page: objectOf({
      pageSize: fc.integer({ min: -1, max: 200 }),
      before: fc.integer(),
      column: text,
      after: fc.integer(),
      sort: fc.array(junk, { maxLength: 3 }),
      more: fc.boolean(),
    }),
    byProjectId: fc.integer(),
    byOwnerAddress: address,
    ...listingProof,
  };
  const routes = {
    originChainId: chainId,
    originTokenAddress: token,
    destinationChainId: chainId,
    destinationTokenAddress: token,
    ownerAddress: address,
  };
  const side = (prefix: string) =>
    pick(w.tokens).map((tk) => ({ [`${prefix}ChainId`]: tk.chainId, [`${prefix}TokenAddress`]: tk.address }));
  return [
    trails(w, "Ping", {}),
    trails(w, "Clock", {}),
    trails(w, "RuntimeStatus", {}),
    trails(w, "GetChains", { routeProvider: text }),
    trails(
      w,
      "GetTokenList",
      {
        chainIds: listOf(chainId),
        searchQuery: text,
        limit: fc.integer(),
        tokenAddress: token,
        includeAllListed: fc.boolean(),
        includeExternal: fc.boolean(),
        excludeTokens: listOf(token),
      },
      { body: fc.constant({ chainIds: [] }) },
    ),
    trails(
      w,
      "GetTokenPrices",
      { tokens: listOf(objectOf({ chainId, tokenAddress: token, tokenSymbol: text })) },
      {
        body: fc.array(pick(w.tokens), { maxLength: 3 }).map((tokens) => ({
          tokens: tokens.map((tk) => ({ chainId: tk.chainId, tokenAddress: tk.address })),
        })),
      },
    ),
    trails(w, "GetTrailsContracts", {}),
    trails(
      w,
      "QuoteIntent",
      {
        ownerAddress: address,
        originChainId: chainId,
        originTokenAddress: token,
        destinationChainId: chainId,
        destinationTokenAddress: token,
        destinationToAddress: address,
        destinationCallData: looseHex,
        destinationCalldata: looseHex,
        destinationCallValue: amount,
        originTokenAmount: amount,
        destinationTokenAmount: amount,
        tradeType: pick(["EXACT_INPUT", "EXACT_OUTPUT", "exact_input"]),
        onlyNativeGasFee: fc.boolean(),
        options: objectOf({
          slippageTolerance: fc.oneof(fc.double({ min: -1, max: 2 }), pick([0, 0.005, 0.5, 1])),
          swapProvider: text,
          bridgeProvider: text,
          trailsAddressOverrides: fc.dictionary(text, text, { maxKeys: 3 }),
        }),
      },
      { body: validQuote(w) },
    ),
    trails(
      w,
      "CommitIntent",
      { intent: tamperedIntent(w) },
      { body: tamperedIntent(w).map((intent) => ({ intent })) },
    ),
    trails(
      w,
      "ExecuteIntent",
      {
        intentId,
        depositTransactionHash: txHash,
        depositSignature: fc.oneof(
          signature,
          objectOf({
            intentSignature: signature,
            permitSignature: signature,
            permitDeadline: unixTime,
            permitAmount: amount,
            selectedGasFeeOption: feeOption,
            userNonce: unixTime,
            deadline: unixTime,
          }),
        ),
        feeOption,
        intentSignature: signature,
        permitSignature: signature,
        nonce: unixTime,
        deadline: unixTime,
      },
      {
        body: fc.tuple(byId, randomHex(32)).map(([ref, hash]) => ({ ...ref, depositTransactionHash: hash })),
      },
    ),
    trails(
      w,
      "AbortIntent",
      { intentId, chainId, abortTransactionHash: txHash, ownerSignature: signature },
      // The key that quoted the setup's intents: an abort with it is allowed.
      { body: byId, headers: { "x-access-key": w.accessKey } },
    ),
    trails(w, "GetIntent", { intentId }, { body: byId }),
    trails(w, "GetIntentReceipt", { intentId }, { body: byId }),
    // No "UNKNOWN" in lastReceiptStates: a QUOTED intent's legs are all UNKNOWN, and sending them
    // back makes the call wait 30 s for a change, which says nothing about bad input.
    trails(
      w,
      "WaitIntentReceipt",
      { intentId, lastReceiptStates: listOf(fc.oneof(pick(legStatuses), text), 4) },
      { body: byId },
    ),
    trails(
      w,
      "SearchIntents",
      {
        byIntentId: intentId,
        byProjectId: fc.integer(),
        byTransactionHash: txHash,
        byOwnerAddress: address,
        byOriginIntentAddress: address,
        byDestinationIntentAddress: address,
        byQueryString: fc.oneof(text, intentId, address),
        ...listingProof,
      },
      {
        body: fc.oneof(
          byId,
          fc.record({ byOwnerAddress: pick(w.accounts) }),
          fc.record({ byQueryString: shortText }),
        ),
      },
    ),
    trails(w, "GetIntentHistory", page),
    trails(w, "GetIntentTransactionHistory", page),
    trails(w, "GetExactInputRoutes", routes, { body: side("origin") }),
    trails(w, "GetExactOutputRoutes", routes, { body: side("destination") }),
  ];
}

/** Every path to a leaf of `value`, e.g. ["quote", "fees", "totalFeeUsd"]. */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

/** A copy of `doc` with the value at `path` replaced (undefined: removed). */
function replaceAt(doc: unknown, path: string[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const copy: Json = Array.isArray(doc) ? ({ ...doc } as Json) : { ...(doc as Json) };
  copy[head] = replaceAt(copy[head], rest, value);
  if (copy[head] === undefined) delete copy[head];
  return Array.isArray(doc) ? Object.values(copy) : copy;
}

/**
 * A quoted intent as QuoteIntent returned it, with one leaf changed (removed, re-cased, garbage)
 * or, now and then, untouched: CommitIntent must refuse every tampered one without committing.
 */
function tamperedIntent(w: FuzzWorld): fc.Arbitrary<Json> {
  const change = fc.oneof(
    { weight: 3, arbitrary: junk },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant("UPPER") },
  );
  return fc.tuple(pick(w.quoted), fc.nat(), change, fc.nat(9)).map(([doc, at, value, untouched]) => {
    if (untouched === 0) return doc;
    const paths = leafPaths(doc);
    const path = paths[at % paths.length] ?? [];
    const old = path.reduce<unknown>((v, k) => (v as Json)?.[k], doc);
    const replacement = value === "UPPER" && typeof old === "string" ? old.toUpperCase() : value;
    return replaceAt(doc, path, replacement) as Json;
  });
}

const signatures = [
  "approve(address,uint256)",
  "deposit(uint256,address)",
  "transfer(address,uint256)",
  "f(uint256[][][][][][][])",
  "f((uint256,(address,bytes)[])[])",
  "f(uint257)",
  "f(",
  "approve(address, uint256)",
  `f${"a".repeat(1100)}(uint256)`,
];
const placeholders = ["{MIN_AMOUNT_OUT}", "{INTERMEDIARY}", "{DEPOSIT_ADDRESS}", "{AMOUNT_IN}", "{NOPE}"];

function stepOf(w: FuzzWorld): fc.Arbitrary<unknown> {
  return objectOf({
    to: addressOf(w.addresses),
    functionSignature: fc.oneof(pick(signatures), text),
    parameters: fc.array(fc.oneof(pick(placeholders), amount, addressOf(w.addresses), junk), {
      maxLength: 4,
    }),
    value: amount,
    metadata: objectOf({ name: text, description: text }),
  });
}

/** `valid` steps, made-up ones, or more than the 30 allowed. */
const stepsOf = (w: FuzzWorld, valid: unknown) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(valid) },
    { weight: 2, arbitrary: fc.array(stepOf(w), { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.array(fc.constant((valid as unknown[])[0]), { minLength: 31, maxLength: 40 }),
    },
  );

function connectEndpoints(w: FuzzWorld): Endpoint[] {
  const wallet = walletOf(w);
  const asset = fc.oneof(
    { weight: 5, arbitrary: pick(w.tokens.map((tk) => tk.assetId)) },
    { weight: 1, arbitrary: pick(w.tokens.map((tk) => tk.assetId.toUpperCase())) },
    { weight: 1, arbitrary: text },
  );
  const metadata = fc.oneof(
    fc.dictionary(text, junk, { maxKeys: 3 }),
    fc.integer({ min: 2, max: 70 }).map((d) => ({ deep: nest(d, false) })),
  );
  const ids = w.executions.map((e) => e.id);
  const executionId = fc.oneof({ weight: 3, arbitrary: pick(ids) }, { weight: 1, arbitrary: fc.uuid() });
  const quote = w.valid.create.quote as Json;
  const quoteShape = {
    originAsset: asset,
    destinationAsset: asset,
    amount,
    swapType: pick(["EXACT_INPUT", "EXACT_OUTPUT", "EXACT"]),
    slippageTolerance: fc.oneof(fc.integer({ min: -10, max: 6_000 }), fc.double()),
    deadline: isoDate(w),
    recipient: addressOf(w.accounts),
  };
  return [
    connect(
      w,
      "GET /supported_tokens",
      queryOf({ flow: pick(["inOperation", "outOperation", "sideways"]) }).map(
        (q) => `/supported_tokens${q}`,
      ),
    ),
    connect(
      w,
      "GET /executions/{wallet}/intermediary",
      wallet.map((x) => `/executions/${x}/intermediary`),
    ),
    connect(
      w,
      "POST /executions/{wallet}",
      wallet.map((x) => `/executions/${x}`),
      {
        version: pick(["1.0", "2.0", "1"]),
        type: pick(["evm", "solana", "bitcoin"]),
        dry: fc.boolean(),
        outOperation: fc.boolean(),
        metadata,
        quote: requestObject(quoteShape, fc.constant(quote)),
        steps: stepsOf(w, w.valid.create.steps),
      },
      { body: fc.constant(w.valid.create), headers: { "x-api-key": w.apiKey } },
    ),
    connect(
      w,
      "POST /executions/{wallet}/steps",
      wallet.map((x) => `/executions/${x}/steps`),
      {
        version: pick(["1.0", "2.0"]),
        type: pick(["evm", "solana"]),
        metadata,
        destinationAsset: asset,
        deadline: isoDate(w),
        steps: stepsOf(w, w.valid.steps.steps),
      },
      { body: fc.constant(w.valid.steps) },
    ),
    connect(
      w,
      "POST /executions/{wallet}/submit",
      wallet.map((x) => `/executions/${x}/submit`),
      { executionId: fc.oneof(executionId, text), signature: fc.oneof(signature, text), publicKey: text },
      { body: fc.record({ executionId: pick(ids), signature }) },
    ),
    connect(
      w,
      "POST /executions/deposit/submit",
      fc.constant("/executions/deposit/submit"),
      { txHash, depositAddress: addressOf(w.executions.map((e) => e.depositAddress)), memo: text },
      {
        body: fc.record({
          txHash: randomHex(32),
          depositAddress: pick(w.executions.map((e) => e.depositAddress)),
        }),
      },
    ),
    connect(
      w,
      "GET /executions/{wallet}",
      fc
        .tuple(wallet, queryOf({ id: executionId, status: pick(["CREATED", "SUCCESS,EXPIRED", "nope"]) }))
        .map(([x, q]) => `/executions/${x}${q}`),
    ),
    connect(
      w,
      "DELETE /executions/{wallet}/{executionId}",
      fc
        .tuple(fc.oneof(pick(w.executions.map((e) => e.wallet)), wallet), segment(executionId))
        .map(([x, id]) => `/executions/${x}/${id}`),
      {
        signature: fc.oneof(signature, text),
        publicKey: text,
        nep413: objectOf({ recipient: text, nonce: fc.base64String() }),
      },
      { body: fc.record({ signature }) },
    ),
  ];
}

/** Paths near the real routes but wrong: unknown names, extra segments, odd methods on real routes. */
function routingEndpoints(w: FuzzWorld): Endpoint[] {
  const methods = [
    "QuoteIntent",
    "Ping",
    "GetIntent",
    "NoSuchMethod",
    "quoteintent",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
  ];
  const routes = ["executions", "supported_tokens", "deposit", "submit", "steps", "intermediary", "v2"];
  const known = [
    "/",
    "/health",
    "/docs",
    "/openapi.json",
    "/devnet",
    "/admin/parked",
    "/admin/parked/retry",
    "/admin/overview",
    "/admin/activity",
    "/admin/executions",
    "/rpc",
    "/rpc/Trails",
    "/api",
    "/api/v2/x",
    "//rpc/Trails/Ping",
    "/RPC/trails/Ping",
  ];
  const trailsPath = fc
    .tuple(segment(pick(methods)), fc.array(segment(pick(["x", "QuoteIntent"])), { maxLength: 2 }))
    .map(([name, rest]) => ["/rpc/Trails", name, ...rest].join("/"));
  const connectPath = fc
    .array(segment(pick(routes)), { maxLength: 4 })
    .map((parts) => ["/api/v1", ...parts].join("/"));
  const retryPath = fc
    .tuple(pick(["intents", "executions", "other"]), segment(fc.oneof(pick(w.intentIds), fc.uuid())))
    .map(([kind, id]) => `/admin/${kind}/${id}/retry`);
  const anywhere = fc
    .array(segment(urlEncoded), { minLength: 1, maxLength: 3 })
    .map((p) => `/${p.join("/")}`);
  const routed = (name: string, path: fc.Arbitrary<string>): Endpoint => ({
    name,
    request: requestOf({ method: pick(oddMethods), path, headers: headersOf(w), body: bodyOf(junk) }),
  });
  return [
    routed("Trails routing (odd paths and methods)", trailsPath),
    routed("Connect routing (odd paths and methods)", connectPath),
    routed("Other paths (health, docs, admin, unknown)", fc.oneof(pick(known), retryPath, anywhere)),
  ];
}

/** Every endpoint of both APIs, and the routing around them. */
export function endpoints(world: FuzzWorld): Endpoint[] {
  return [...trailsEndpoints(world), ...connectEndpoints(world), ...routingEndpoints(world)];
}

// Sending and checking.

export interface Answer {
  status: number;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** Long enough for any honest answer; a request that hangs is a finding of its own. */
const REQUEST_TIMEOUT_MS = 35_000;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Sends `req` as it is (the URL by concatenation: `new URL` would read "//x" as a host). */
export async function send(baseUrl: string, req: FuzzRequest): Promise<Answer> {
  const bodyless = req.method === "GET" || req.method === "HEAD";
  const res = await fetch(`${baseUrl}${req.path}`, {
    method: req.method,
    headers: req.headers,
    ...(bodyless || req.body === undefined ? {} : { body: req.body }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, text, json: parseJson(text) };
}

/** The dialect of the path the server saw (fetch resolves "." and ".." segments first). */
export function dialectOf(baseUrl: string, path: string): Dialect {
  const seen = new URL(`${baseUrl}${path}`).pathname;
  if (seen.startsWith("/rpc/Trails/")) return "trails";
  if (seen.startsWith("/api/v1/")) return "connect";
  return "other";
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** What is wrong with a 4xx body in `dialect`'s error format, or null. */
function errorFormatProblem(dialect: Dialect, status: number, body: unknown): string | null {
  if (!isObject(body)) return "the error body is not a JSON object";
  if (dialect === "trails") {
    const known =
      typeof body.error === "string" ? webrpcErrors[body.error as keyof typeof webrpcErrors] : undefined;
    if (!known) return "not a webrpc error: `error` is no webrpc error name";
    if (body.code !== known.code)
      return `webrpc code ${String(body.code)} is not ${body.error}'s ${known.code}`;
    if (typeof body.msg !== "string") return "webrpc error without a `msg`";
    if (body.status !== status) return `webrpc status ${String(body.status)} differs from HTTP ${status}`;
    return null;
  }
  if (typeof body.error !== "string") return "no `error` text";
  if (dialect === "connect" && Object.keys(body).length !== 1) {
    return `a Connect error is {error} alone, not {${Object.keys(body).join(", ")}}`;
  }
  return null;
}

/** What the answer breaks (apart from stored state), or null. */
export function answerProblem(dialect: Dialect, req: FuzzRequest, answer: Answer): string | null {
  const { status } = answer;
  if (status >= 500) return `server error ${status}`;
  if (status < 200 || (status >= 300 && status < 400)) return `unexpected status ${status}`;
  // A HEAD answer has no body to check.
  if (status < 400 || req.method === "HEAD") return null;
  return errorFormatProblem(dialect, status, answer.json);
}

// ---------------------------------------------------------------------------------------------
// Stored state.

/** The tables a request could write to (chain_cursors and meta move on their own, block by block). */
const STATE_TABLES = ["intents", "executions", "events", "deposits", "chain_txs", "sender_nonces"] as const;
export type StateCounts = Record<(typeof STATE_TABLES)[number], number>;

interface StateReading {
  counts: StateCounts;
  /** Rows the engine is stepping or must step now: they may change the counts at any moment. */
  busy: number;
}

async function readState(db: Db): Promise<StateReading> {
  const now = new Date();
  const counts = STATE_TABLES.map((t) => sql`(select count(*) from ${sql.table(t)})::int as ${sql.ref(t)}`);
  const due = (t: string) =>
    sql`(select count(*) from ${sql.table(t)} where lease_owner is not null or next_action_at <= ${now})::int`;
  const { rows } = await sql<StateCounts & { busy: number }>`
    select ${sql.join(counts)}, ${due("intents")} + ${due("executions")} as busy`.execute(db);
  const { busy, ...rest } = rows[0] as StateCounts & { busy: number };
  return { counts: rest as StateCounts, busy };
}

/** How long to wait for the engine to finish its own work before counting anyway. */
const QUIET_LIMIT_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The counts once the engine is idle (no row leased or overdue), so that its own steps (an
 * accepted request's follow-up, a deadline passing) are not blamed on the next request.
 */
export async function quietCounts(db: Db): Promise<StateCounts> {
  const until = Date.now() + QUIET_LIMIT_MS;
  for (;;) {
    const { counts, busy } = await readState(db);
    if (busy === 0 || Date.now() > until) return counts;
    await sleep(25);
  }
}

function countsDiff(before: StateCounts, after: StateCounts): string | null {
  const changed = STATE_TABLES.filter((t) => before[t] !== after[t]).map(
    (t) => `${t} ${before[t]} → ${after[t]}`,
  );
  return changed.length > 0 ? changed.join(", ") : null;
}

// ---------------------------------------------------------------------------------------------
// The loop and its results.

export interface EndpointResult {
  sent: number;
  ok: number;
  rejected: number;
  serverErrors: number;
  stateChanges: number;
  /** No answer, a 1xx/3xx, or a 4xx in the wrong format. */
  otherProblems: number;
}

/** The kind of failure of a request that was refused yet stored something. */
const STORED = "stored state although refused";

/** What one request broke: a short kind (the same for every request that breaks it so), and the detail. */
export interface Outcome {
  status: number | null;
  kinds: string[];
  detail: string;
}

/** A kind of failure seen on one endpoint: how often, and the first request that showed it. */
export interface Finding {
  endpoint: string;
  kind: string;
  count: number;
  example: string;
}

const emptyResult = (): EndpointResult => ({
  sent: 0,
  ok: 0,
  rejected: 0,
  serverErrors: 0,
  stateChanges: 0,
  otherProblems: 0,
});

/** Per endpoint: what was sent and how it was answered; and every kind of failure seen. */
export class Tally {
  readonly rows = new Map<string, EndpointResult>();
  readonly findings = new Map<string, Finding>();

  record(endpoint: string, req: FuzzRequest, outcome: Outcome): void {
    const row = this.rows.get(endpoint) ?? emptyResult();
    this.rows.set(endpoint, row);
    const { status, kinds } = outcome;
    row.sent++;
    if (status !== null && status >= 200 && status < 300) row.ok++;
    if (status !== null && status >= 400 && status < 500) row.rejected++;
    if (status !== null && status >= 500) row.serverErrors++;
    if (kinds.some((k) => k.startsWith(STORED))) row.stateChanges++;
    else if (kinds.length > 0 && (status === null || status < 500)) row.otherProblems++;
    // Long enough to replay most requests as they were sent.
    for (const kind of kinds) this.find(endpoint, kind, `${describeRequest(req, 3_000)}\n${outcome.detail}`);
  }

  private find(endpoint: string, kind: string, example: string): void {
    const key = `${endpoint}\t${kind}`;
    const finding = this.findings.get(key) ?? { endpoint, kind, count: 0, example };
    finding.count++;
    this.findings.set(key, finding);
  }

  totals(): EndpointResult {
    const total = emptyResult();
    for (const row of this.rows.values())
      for (const key of Object.keys(total) as (keyof EndpointResult)[]) total[key] += row[key];
    return total;
  }

  /** A plain-text table: endpoint, sent, 2xx, 4xx, 5xx, state changes, format and other problems. */
  format(): string {
    const header = ["endpoint", "sent", "2xx", "4xx", "5xx", "state changes", "format/other"];
    const line = (name: string, r: EndpointResult) => [
      name,
      ...[r.sent, r.ok, r.rejected, r.serverErrors, r.stateChanges, r.otherProblems].map(String),
    ];
    const body = [...[...this.rows].map(([name, r]) => line(name, r)), line("total", this.totals())];
    const widths = header.map((_, i) => Math.max(...[header, ...body].map((l) => (l[i] as string).length)));
    const render = (l: string[]) =>
      l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
    const rule = widths.map((w) => "-".repeat(w)).join("  ");
    return [render(header), rule, ...body.map(render)].join("\n");
  }

  /** Each kind of failure once per endpoint, with how often it was seen and a request that shows it. */
  formatFindings(): string {
    return [...this.findings.values()]
      .map((f) => `${f.endpoint}: ${f.kind} (×${f.count})\n  ${f.example.replaceAll("\n", "\n  ")}`)
      .join("\n\n");
  }
}

export interface Fuzzer {
  url: string;
  db: Db;
  world: FuzzWorld;
  endpoints: Endpoint[];
  tally: Tally;
}

export async function createFuzzer(t: TestJunction): Promise<Fuzzer> {
  const world = await fuzzWorld(t);
  return { url: t.url, db: t.db, world, endpoints: endpoints(world), tally: new Tally() };
}

/** Sends one request and checks its answer and, unless it was accepted, that nothing was stored. */
async function exercise(f: Fuzzer, req: FuzzRequest): Promise<Outcome> {
  const before = await quietCounts(f.db);
  let answer: Answer;
  try {
    answer = await send(f.url, req);
  } catch (err) {
    return { status: null, kinds: ["no answer"], detail: String(err) };
  }
  const problem = answerProblem(dialectOf(f.url, req.path), req, answer);
  // Anything but a 2xx was refused (a 5xx too), so must have stored nothing.
  const refused = answer.status < 200 || answer.status >= 300;
  const stored = refused ? countsDiff(before, await quietCounts(f.db)) : null;
  const kinds = [problem, stored && `${STORED}: ${stored}`].filter((k): k is string => !!k);
  return { status: answer.status, kinds, detail: `answer ${answer.status}: ${clip(answer.text, 600)}` };
}

export interface FuzzParams {
  /** Requests per endpoint (a failure's shrinking sends more). */
  numRuns: number;
  /** The run's seed; each endpoint gets its own, derived from it. Default: random. */
  seed?: number;
  /**
   * Record failures in the tally and go on (a long run's table), rather than stop at an
   * endpoint's first failure and shrink it to a small counterexample (a test's report).
   */
  keepGoing?: boolean;
  /** Called after each endpoint's run, e.g. to show progress. */
  onEndpoint?: (endpoint: Endpoint, ms: number) => void;
}

/**
 * Runs one endpoint's property for `numRuns` generated requests. Returns fast-check's report of
 * the first failure (shrunk counterexample, seed, what broke), or null; with `keepGoing`, always
 * null, the failures being in the tally.
 */
export async function fuzzEndpoint(
  f: Fuzzer,
  endpoint: Endpoint,
  params: Omit<FuzzParams, "onEndpoint">,
): Promise<string | null> {
  const property = fc.asyncProperty(endpoint.request, async (req) => {
    const outcome = await exercise(f, req);
    f.tally.record(endpoint.name, req, outcome);
    if (outcome.kinds.length > 0 && !params.keepGoing) {
      throw new Error(`${outcome.kinds.join("; ")}\n${outcome.detail}`);
    }
  });
  const details = await fc.check(property, { numRuns: params.numRuns, seed: params.seed });
  if (!details.failed) return null;
  const report = (await fc.asyncDefaultReportMessage(details)) ?? "failed";
  const error =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return `${report}\nWhat broke: ${error}`;
}

/**
 * Fuzzes every endpoint in turn. Each gets its own seed (the run's plus its index), so that
 * endpoints do not all draw the same sequence of choices. Returns each failing endpoint's report.
 */
export async function fuzzAll(f: Fuzzer, params: FuzzParams): Promise<string[]> {
  const failures: string[] = [];
  for (const [index, endpoint] of f.endpoints.entries()) {
    const started = Date.now();
    const seed = params.seed === undefined ? undefined : params.seed + index;
    const failure = await fuzzEndpoint(f, endpoint, { ...params, seed });
    if (failure) failures.push(`${endpoint.name}:\n${failure}`);
    params.onEndpoint?.(endpoint, Date.now() - started);
  }
  return failures;
}
