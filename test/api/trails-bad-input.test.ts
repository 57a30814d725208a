/**
 * Bad input to the Trails RPC, table-driven: every row sends one mistake (a valid request with one
 * field overridden or removed) and expects a webrpc error body with the right name, code and HTTP
 * status and a message that names what to fix. No bad request may answer 5xx, and rejected
 * QuoteIntents must record nothing.
 */
import { randomBytes } from "node:crypto";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webrpcErrors } from "../../src/api/trails/errors.ts";
import { abortMessage } from "../../src/core/intent/authority.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";

type Json = Record<string, unknown>;

/** What the rows are built from; filled in once the junction is up. */
interface Fixture {
  /** A valid QuoteIntent request: 100 USDC on the first chain to USDC on the second, EXACT_INPUT. */
  base: Json;
  /** A well-formed id no intent has. */
  unknownId: string;
  /** A well-formed transaction hash no transaction has. */
  randomHash: string;
  /** A valid address that is not a listed token. */
  randomAddress: string;
  /** Quoted, never committed. */
  quotedId: string;
  /** Quoted, then aborted once. */
  abortedId: string;
  /** Junction's Settlement on the destination chain. */
  settlement: string;
  /** The owner's signature aborting `abortedId`. */
  abortedSignature: string;
  /** Another account's signature aborting `quotedId`. */
  strangerAbortSignature: string;
}

interface Row {
  name: string;
  method: string;
  /** An object is sent as JSON; a string is sent as the raw body. */
  body: (f: Fixture) => Json | string;
  /** POST unless given. */
  httpMethod?: "GET";
  status: number;
  error: keyof typeof webrpcErrors;
  /** Substrings the message must contain: the offending field (or, for a state error, the state). */
  mentions: string[];
}

let t: TestJunction;
let f: Fixture;
/** Every response the table got, for the no-5xx check. */
const seen: { row: string; status: number; body: unknown }[] = [];

const hex32 = () => `0x${randomBytes(32).toString("hex")}`;

/** The base request with `patch` applied; a key patched to `undefined` is removed. */
function quoteWith(patch: Json): (fx: Fixture) => Json {
  return (fx) => {
    const body: Json = { ...fx.base, ...patch };
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete body[key];
    return body;
  };
}

async function call(method: string, body: Json | string, httpMethod: "GET" | "POST" = "POST") {
  const res = await fetch(`${t.url}/rpc/Trails/${method}`, {
    method: httpMethod,
    headers: httpMethod === "POST" ? { "content-type": "application/json" } : {},
    ...(httpMethod === "POST" ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Left as text: the row's assertions report it.
  }
  return { status: res.status, body: parsed };
}

async function intentCount(): Promise<number> {
  const db = t.db;
  const row = await db.selectFrom("intents").select(db.fn.countAll().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function quoteOk(): Promise<string> {
  const res = await call("QuoteIntent", f.base);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const id = (res.body as { intent?: { intentId?: string } }).intent?.intentId;
  expect(id).toMatch(/^0x[0-9a-f]{64}$/);
  return id as string;
}

const amountMistakes: [string, unknown][] = [
  ['"0"', "0"],
  ['"-5"', "-5"],
  ['"1.5"', "1.5"],
  ['"abc"', "abc"],
  ["1.5 (a number)", 1.5],
  ['""', ""],
];

const zero = "0x0000000000000000000000000000000000000000";

const quoteRows: Row[] = [
  {
    name: "destinationToAddress the zero address, native coin out (it would be burnt)",
    method: "QuoteIntent",
    body: quoteWith({ destinationToAddress: zero, destinationTokenAddress: zero }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["destinationToAddress", "zero address"],
  },
  {
    name: "destinationToAddress Junction's own Settlement (the user would get nothing)",
    method: "QuoteIntent",
    body: (fx) => quoteWith({ destinationToAddress: fx.settlement })(fx),
    status: 400,
    error: "InvalidArgument",
    mentions: ["destinationToAddress", "Junction's own contracts"],
  },
  {
    name: "destinationToAddress the token contract itself (the tokens would be locked)",
    method: "QuoteIntent",
    body: (fx) => quoteWith({ destinationToAddress: fx.base.destinationTokenAddress })(fx),
    status: 400,
    error: "InvalidArgument",
    mentions: ["destinationToAddress", "token contract"],
  },
  {
    name: "ownerAddress the zero address (refunds would be burnt)",
    method: "QuoteIntent",
    body: quoteWith({ ownerAddress: zero }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["ownerAddress", "zero address"],
  },
  {
    name: "missing ownerAddress",
    method: "QuoteIntent",
    body: quoteWith({ ownerAddress: undefined }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["ownerAddress"],
  },
  {
    name: 'ownerAddress "0x123"',
    method: "QuoteIntent",
    body: quoteWith({ ownerAddress: "0x123" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["ownerAddress"],
  },
  {
    name: "ownerAddress 42",
    method: "QuoteIntent",
    body: quoteWith({ ownerAddress: 42 }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["ownerAddress"],
  },
  {
    name: "originChainId as a string",
    method: "QuoteIntent",
    body: (fx) => quoteWith({ originChainId: String(fx.base.originChainId) })(fx),
    status: 400,
    error: "InvalidArgument",
    mentions: ["originChainId"],
  },
  {
    name: "originChainId negative",
    method: "QuoteIntent",
    body: quoteWith({ originChainId: -900001 }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["originChainId"],
  },
  {
    name: "originChainId fractional",
    method: "QuoteIntent",
    body: quoteWith({ originChainId: 900001.5 }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["originChainId"],
  },
  {
    name: "originChainId 1 (not served)",
    method: "QuoteIntent",
    body: quoteWith({ originChainId: 1 }),
    status: 422,
    error: "UnsupportedNetwork",
    mentions: ["originChainId"],
  },
  {
    name: "destinationChainId 1 (not served)",
    method: "QuoteIntent",
    body: quoteWith({ destinationChainId: 1 }),
    status: 422,
    error: "UnsupportedNetwork",
    mentions: ["destinationChainId"],
  },
  {
    name: "originTokenAddress not listed",
    method: "QuoteIntent",
    body: (fx) => quoteWith({ originTokenAddress: fx.randomAddress })(fx),
    status: 400,
    error: "InvalidArgument",
    mentions: ["originTokenAddress"],
  },
  ...amountMistakes.map(
    ([label, value]): Row => ({
      name: `originTokenAmount ${label}`,
      method: "QuoteIntent",
      body: quoteWith({ originTokenAmount: value }),
      status: 400,
      error: "InvalidArgument",
      mentions: ["originTokenAmount"],
    }),
  ),
  {
    name: 'tradeType "SIDEWAYS"',
    method: "QuoteIntent",
    body: quoteWith({ tradeType: "SIDEWAYS" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["tradeType"],
  },
  {
    name: "EXACT_INPUT with only destinationTokenAmount",
    method: "QuoteIntent",
    body: quoteWith({ originTokenAmount: undefined, destinationTokenAmount: "100000000" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["originTokenAmount"],
  },
  {
    name: "both amounts given, without tradeType",
    method: "QuoteIntent",
    body: quoteWith({ tradeType: undefined, destinationTokenAmount: "100000000" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["tradeType", "originTokenAmount", "destinationTokenAmount"],
  },
  {
    name: "EXACT_OUTPUT whose deposit would exceed originTokenAmount, the most to spend",
    method: "QuoteIntent",
    body: quoteWith({ tradeType: "EXACT_OUTPUT", destinationTokenAmount: "100000000" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["originTokenAmount", "most to spend"],
  },
  {
    name: "EXACT_INPUT delivering less than destinationTokenAmount, the least to receive",
    method: "QuoteIntent",
    body: quoteWith({ destinationTokenAmount: "100000000" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["destinationTokenAmount", "least to receive"],
  },
  {
    name: "EXACT_OUTPUT with only originTokenAmount",
    method: "QuoteIntent",
    body: quoteWith({ tradeType: "EXACT_OUTPUT" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["destinationTokenAmount"],
  },
  {
    name: 'destinationCallData "0xzz" (not hex)',
    method: "QuoteIntent",
    body: (fx) => quoteWith({ destinationCallData: "0xzz", destinationToAddress: fx.base.ownerAddress })(fx),
    status: 400,
    error: "InvalidArgument",
    mentions: ["destinationCallData"],
  },
  {
    name: "destinationCallData of odd length",
    method: "QuoteIntent",
    body: (fx) =>
      quoteWith({ destinationCallData: "0xdeadbeef0", destinationToAddress: fx.base.ownerAddress })(fx),
    status: 400,
    error: "InvalidArgument",
    mentions: ["destinationCallData"],
  },
  {
    name: "destinationCallData without destinationToAddress",
    method: "QuoteIntent",
    body: quoteWith({ destinationCallData: `0xdeadbeef${"00".repeat(32)}` }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["destinationToAddress"],
  },
  {
    name: 'destinationCallValue "5"',
    method: "QuoteIntent",
    body: quoteWith({ destinationCallValue: "5" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["destinationCallValue"],
  },
  {
    name: "options.slippageTolerance 2",
    method: "QuoteIntent",
    body: quoteWith({ options: { slippageTolerance: 2 } }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["slippageTolerance"],
  },
  {
    name: "options.slippageTolerance -0.1",
    method: "QuoteIntent",
    body: quoteWith({ options: { slippageTolerance: -0.1 } }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["slippageTolerance"],
  },
  {
    name: 'options.slippageTolerance "0.005" (a string)',
    method: "QuoteIntent",
    body: quoteWith({ options: { slippageTolerance: "0.005" } }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["slippageTolerance"],
  },
  {
    name: "EXACT_OUTPUT beyond the solver's inventory (10^30 USDC)",
    method: "QuoteIntent",
    body: quoteWith({
      tradeType: "EXACT_OUTPUT",
      originTokenAmount: undefined,
      destinationTokenAmount: (10n ** 30n).toString(),
    }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["at most"],
  },
  {
    name: 'EXACT_INPUT originTokenAmount "1" (does not cover fees)',
    method: "QuoteIntent",
    body: quoteWith({ originTokenAmount: "1" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["originTokenAmount", "fees"],
  },
];

const otherRows: Row[] = [
  // CommitIntent
  {
    name: "body {}",
    method: "CommitIntent",
    body: () => ({}),
    status: 400,
    error: "InvalidArgument",
    mentions: ["intent"],
  },
  {
    name: "intent without intentId",
    method: "CommitIntent",
    body: () => ({ intent: { status: "QUOTED" } }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["intent.intentId"],
  },
  {
    name: "intentId malformed",
    method: "CommitIntent",
    body: () => ({ intent: { intentId: "0x1234" } }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["intent.intentId"],
  },
  {
    name: "unknown intentId",
    method: "CommitIntent",
    body: (fx) => ({ intent: { intentId: fx.unknownId } }),
    status: 400,
    error: "NotFound",
    mentions: ["intentId"],
  },
  // ExecuteIntent
  {
    name: "missing intentId",
    method: "ExecuteIntent",
    body: (fx) => ({ depositTransactionHash: fx.randomHash }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["intentId"],
  },
  {
    name: 'depositTransactionHash "0x12"',
    method: "ExecuteIntent",
    body: (fx) => ({ intentId: fx.quotedId, depositTransactionHash: "0x12" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["depositTransactionHash"],
  },
  {
    name: "unknown intentId with a valid-looking hash",
    method: "ExecuteIntent",
    body: (fx) => ({ intentId: fx.unknownId, depositTransactionHash: fx.randomHash }),
    status: 400,
    error: "NotFound",
    mentions: ["intentId"],
  },
  {
    name: "neither depositTransactionHash nor a signature",
    method: "ExecuteIntent",
    body: (fx) => ({ intentId: fx.quotedId }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["depositTransactionHash"],
  },
  {
    name: "a QUOTED (uncommitted) intent with a random hash",
    method: "ExecuteIntent",
    body: (fx) => ({ intentId: fx.quotedId, depositTransactionHash: fx.randomHash }),
    status: 422,
    error: "IntentStatus",
    mentions: ["QUOTED"],
  },
  // ExecuteIntent, gasless (method B)
  {
    name: "depositSignature without selectedGasFeeOption",
    method: "ExecuteIntent",
    body: (fx) => ({
      intentId: fx.quotedId,
      depositSignature: { intentSignature: `0x${"11".repeat(65)}`, userNonce: 0, deadline: 2_000_000_000 },
    }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["depositSignature"],
  },
  {
    name: "depositSignature with a negative userNonce",
    method: "ExecuteIntent",
    body: (fx) => ({
      intentId: fx.quotedId,
      depositSignature: {
        intentSignature: `0x${"11".repeat(65)}`,
        selectedGasFeeOption: { tokenAddress: fx.base.originTokenAddress, amount: "1" },
        userNonce: -1,
        deadline: 2_000_000_000,
      },
    }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["depositSignature"],
  },
  {
    name: "the documented flat shape without nonce",
    method: "ExecuteIntent",
    body: (fx) => ({
      intentId: fx.quotedId,
      feeOption: { tokenAddress: fx.base.originTokenAddress, amount: "1" },
      intentSignature: `0x${"11".repeat(65)}`,
      deadline: 2_000_000_000,
    }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["nonce"],
  },
  {
    name: 'the documented flat shape with intentSignature "0x1"',
    method: "ExecuteIntent",
    body: (fx) => ({
      intentId: fx.quotedId,
      feeOption: { tokenAddress: fx.base.originTokenAddress, amount: "1" },
      intentSignature: "0x1",
      nonce: 0,
      deadline: 2_000_000_000,
    }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["intentSignature"],
  },
  {
    name: "both a deposit transaction and signatures",
    method: "ExecuteIntent",
    body: (fx) => ({
      intentId: fx.quotedId,
      depositTransactionHash: fx.randomHash,
      feeOption: { tokenAddress: fx.base.originTokenAddress, amount: "1" },
      intentSignature: `0x${"11".repeat(65)}`,
      nonce: 0,
      deadline: 2_000_000_000,
    }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["depositTransactionHash"],
  },
  {
    name: "a well-formed gasless deposit for a QUOTED (uncommitted) intent",
    method: "ExecuteIntent",
    body: (fx) => ({
      intentId: fx.quotedId,
      feeOption: { tokenAddress: fx.base.originTokenAddress, amount: "1" },
      intentSignature: `0x${"11".repeat(65)}`,
      permitSignature: `0x${"22".repeat(65)}`,
      nonce: 0,
      deadline: 2_000_000_000,
    }),
    status: 422,
    error: "IntentStatus",
    mentions: ["QUOTED"],
  },
  // AbortIntent: only the intent's integrator or owner; a refusal does not reveal whether it exists.
  {
    name: "unknown intentId",
    method: "AbortIntent",
    body: (fx) => ({ intentId: fx.unknownId }),
    status: 401,
    error: "Unauthorized",
    mentions: ["intentId", "ownerSignature"],
  },
  {
    name: "someone else's intent, no proof",
    method: "AbortIntent",
    body: (fx) => ({ intentId: fx.quotedId }),
    status: 401,
    error: "Unauthorized",
    mentions: ["intentId", "ownerSignature"],
  },
  {
    name: "someone else's intent, signed by a stranger",
    method: "AbortIntent",
    body: (fx) => ({ intentId: fx.quotedId, ownerSignature: fx.strangerAbortSignature }),
    status: 401,
    error: "Unauthorized",
    mentions: ["intentId", "ownerSignature"],
  },
  {
    name: "an intent already aborted, signed by its owner",
    method: "AbortIntent",
    body: (fx) => ({ intentId: fx.abortedId, ownerSignature: fx.abortedSignature }),
    status: 422,
    error: "IntentStatus",
    mentions: ["ABORTED"],
  },
  // GetIntent, GetIntentReceipt, WaitIntentReceipt
  ...(["GetIntent", "GetIntentReceipt", "WaitIntentReceipt"] as const).flatMap((method): Row[] => [
    {
      name: "intentId malformed",
      method,
      body: () => ({ intentId: "0xabc" }),
      status: 400,
      error: "InvalidArgument",
      mentions: ["intentId"],
    },
    {
      name: "unknown intentId",
      method,
      body: (fx) => ({ intentId: fx.unknownId }),
      status: 400,
      error: "NotFound",
      mentions: ["intentId"],
    },
  ]),
  // SearchIntents
  {
    name: 'byTransactionHash "0x12"',
    method: "SearchIntents",
    body: () => ({ byTransactionHash: "0x12" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["byTransactionHash"],
  },
  {
    name: 'byOwnerAddress "0x123"',
    method: "SearchIntents",
    body: () => ({ byOwnerAddress: "0x123" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["byOwnerAddress"],
  },
  {
    name: "byQueryString with a NUL character",
    method: "SearchIntents",
    body: () => ({ byQueryString: "a\u0000b" }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["byQueryString: contains a NUL character"],
  },
  // GetIntentHistory
  {
    name: "page.pageSize 0",
    method: "GetIntentHistory",
    body: () => ({ page: { pageSize: 0 } }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["pageSize"],
  },
  {
    name: "page.pageSize 1000",
    method: "GetIntentHistory",
    body: () => ({ page: { pageSize: 1000 } }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["pageSize"],
  },
  // GetExactInputRoutes
  {
    name: "missing originChainId",
    method: "GetExactInputRoutes",
    body: (fx) => ({ originTokenAddress: fx.base.originTokenAddress }),
    status: 400,
    error: "InvalidArgument",
    mentions: ["originChainId"],
  },
  {
    name: "originChainId 1 (not served)",
    method: "GetExactInputRoutes",
    body: (fx) => ({ originChainId: 1, originTokenAddress: fx.base.originTokenAddress }),
    status: 422,
    error: "UnsupportedNetwork",
    mentions: ["originChainId"],
  },
  // Wire level
  {
    name: 'body "not json"',
    method: "QuoteIntent",
    body: () => "not json",
    status: 400,
    error: "WebrpcBadRequest",
    mentions: ["JSON"],
  },
  {
    name: 'body "[]"',
    method: "QuoteIntent",
    body: () => "[]",
    status: 400,
    error: "WebrpcBadRequest",
    mentions: ["JSON object"],
  },
  {
    name: "GET instead of POST",
    method: "QuoteIntent",
    body: () => "",
    httpMethod: "GET",
    status: 405,
    error: "WebrpcBadMethod",
    mentions: ["POST"],
  },
  {
    name: "unknown method",
    method: "NoSuchMethod",
    body: () => ({}),
    status: 404,
    error: "WebrpcBadRoute",
    mentions: ["NoSuchMethod"],
  },
];

async function check(row: Row) {
  const res = await call(row.method, row.body(f), row.httpMethod);
  seen.push({ row: `${row.method}: ${row.name}`, status: res.status, body: res.body });
  const shown = JSON.stringify(res.body);
  expect(res.status, shown).toBe(row.status);
  expect(res.body, shown).toMatchObject({
    error: row.error,
    code: webrpcErrors[row.error].code,
    msg: expect.any(String),
    message: expect.any(String),
    status: row.status,
  });
  const body = res.body as { msg: string; message: string };
  expect(body.msg).toBe(body.message);
  for (const text of row.mentions) expect(body.message, shown).toContain(text);
}

let afterSetup = 0;

beforeAll(async () => {
  t = await startTestJunction();
  const ctx = t.junction.ctx;
  const [alpha, beta] = ctx.registry.chains;
  const usdcOf = (chain: typeof alpha) => chain?.tokens.find((tk) => tk.symbol === "USDC")?.address;
  const owner = ctx.devnet?.accounts[0]?.address;
  if (!alpha || !beta || !usdcOf(alpha) || !usdcOf(beta) || !owner) {
    throw new Error("the devnet profile should have two chains with USDC and test accounts");
  }
  f = {
    base: {
      ownerAddress: owner,
      originChainId: alpha.chainId,
      originTokenAddress: usdcOf(alpha),
      destinationChainId: beta.chainId,
      destinationTokenAddress: usdcOf(beta),
      tradeType: "EXACT_INPUT",
      originTokenAmount: "100000000",
    },
    unknownId: hex32(),
    randomHash: hex32(),
    randomAddress: `0x${randomBytes(20).toString("hex")}`,
    quotedId: "",
    abortedId: "",
    settlement: beta.contracts.Settlement,
    abortedSignature: "",
    strangerAbortSignature: "",
  };
  // Setup quotes, counted separately from the rejected ones.
  const before = await intentCount();
  f.quotedId = await quoteOk();
  f.abortedId = await quoteOk();
  const sign = (account: number, id: string) =>
    privateKeyToAccount(devnetAccount(account).privateKey).signMessage({ message: abortMessage(id) });
  f.abortedSignature = await sign(0, f.abortedId);
  f.strangerAbortSignature = await sign(1, f.quotedId);
  const aborted = await call("AbortIntent", { intentId: f.abortedId, ownerSignature: f.abortedSignature });
  expect(aborted.status, JSON.stringify(aborted.body)).toBe(200);
  afterSetup = await intentCount();
  expect(afterSetup).toBe(before + 2);
});
afterAll(() => t?.stop());

describe("QuoteIntent refuses bad input and records nothing", () => {
  it.each(quoteRows.map((row) => [row.name, row] as const))("%s", async (_name, row) => {
    await check(row);
  });

  it("no rejected quote added an intent", async () => {
    expect(await intentCount()).toBe(afterSetup);
  });
});

describe("other methods refuse bad input", () => {
  it.each(otherRows.map((row) => [`${row.method}: ${row.name}`, row] as const))("%s", async (_name, row) => {
    await check(row);
  });
});

describe("the whole table", () => {
  it("got an answer to every row, and none was a server error", () => {
    expect(seen).toHaveLength(quoteRows.length + otherRows.length);
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
  });
});
