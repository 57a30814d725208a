/**
 * `npm run bench:e2e` (env N, default "1,5,20"): rounds in which N users pay at once, end to end,
 * through the real `@0xtrails/api` client against the server in its own process, on chains that
 * mine a block every second. Each user: QuoteIntent → CommitIntent → an ERC-20 transfer to the intent's deposit
 * address → ExecuteIntent with its hash → WaitIntentReceipt until done. Routes rotate over the six
 * ordered pairs of the three devnet chains; every payment goes to a fresh recipient.
 *
 * Latency is read off the chains: WebSocket subscriptions to every node's new blocks and pending
 * transactions record when each block and each transaction first appeared, so "deposit block →
 * fill sent" is the time from the deposit's block (its confirmation: the devnet wants one) to the
 * fill reaching the destination node.
 *
 * Afterwards, from the chains: each recipient got exactly the quoted amount, exactly one Filled
 * event exists for each intent (on its destination chain), one fill, one sweep and no refund
 * reached a block per intent, and every deposit address is empty; from the API: each intent ended
 * SUCCEEDED, once, with its receipt naming the mined fill and sweep. Exits 1 if any check fails.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TradeType, TrailsApi } from "@0xtrails/api";
import {
  type Address,
  createPublicClient,
  decodeFunctionData,
  defineChain,
  encodeFunctionData,
  getAbiItem,
  type Hex,
  parseEther,
  webSocket,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { demoVaultAbi, depositFactoryAbi, devTokenAbi, settlementAbi } from "../src/chains/abi.gen.ts";
import { publicClientFor, walletClientFor } from "../src/chains/clients.ts";
import { orderDone } from "../src/chains/order-events.ts";
import { AMOUNT_PLACEHOLDER } from "../src/core/calldata.ts";
import { assetIdOf } from "../src/core/connect/assets.ts";
import { vaultDepositSteps } from "../src/core/connect/steps.ts";
import { dropSchema, uniqueSchema } from "../test/support/databases.ts";
import { depositSignature, signGasless } from "../test/support/gasless.ts";
import {
  cpuSeconds,
  type DevnetInfo,
  fmt,
  machine,
  percentile,
  type Server,
  startChains,
  startServer,
  stopOnSignal,
  table,
} from "./support.ts";

/** `npm run bench:load`: an open-loop stream (see `load`) instead of rounds. */
const LOAD = process.argv.includes("--load");
const LOAD_RATE = Number(process.env.RATE ?? 50);
const LOAD_SECONDS = Number(process.env.SECONDS ?? 180);
/** Payers in the load's pool: enough for this many seconds of payments in flight at once. */
const PAYER_SECONDS = 12;
/** The load's mix, repeated: 60% deposits, 15% gasless, 15% with a destination call (Trails), 10% Connect. */
const MIX: Kind[] = [
  ...Array<Kind>(12).fill("deposit"),
  ...Array<Kind>(3).fill("gasless"),
  ...Array<Kind>(3).fill("call"),
  ...Array<Kind>(2).fill("connect"),
];
/** Users paying at once, per round. */
const ROUNDS = (process.env.N ?? "1,5,20").split(",").map(Number);
const AMOUNT = BigInt(process.env.AMOUNT ?? 100_000_000); // 100 USDC
/** Give up on an intent this long after its user started. */
const INTENT_TIMEOUT_MS = Number(process.env.INTENT_TIMEOUT_MS ?? 60_000);
const ROUTES: [number, number][] = [
  [0, 1],
  [1, 0],
  [0, 2],
  [2, 0],
  [1, 2],
  [2, 1],
];
const filledEvent = getAbiItem({ abi: settlementAbi, name: "Filled" });

type Client = ReturnType<typeof publicClientFor>;

/** When each block and each pending transaction first reached this process, per chain. */
class ChainClock {
  readonly blocks = new Map<bigint, number>();
  readonly pending = new Map<string, number>();
  private readonly unwatch: (() => void)[] = [];

  constructor(rpcUrl: string, chain: ReturnType<typeof defineChain>) {
    const ws = createPublicClient({ chain, transport: webSocket(rpcUrl.replace(/^http/, "ws")) });
    this.unwatch.push(
      ws.watchBlockNumber({
        emitMissed: true,
        onBlockNumber: (n) => {
          if (!this.blocks.has(n)) this.blocks.set(n, performance.now());
        },
      }),
      ws.watchPendingTransactions({
        onTransactions: (hashes) => {
          const now = performance.now();
          for (const h of hashes) if (!this.pending.has(h)) this.pending.set(h.toLowerCase(), now);
        },
      }),
    );
  }

  /** The newest block seen at or before `at`. */
  headAt(at: number): bigint | undefined {
    let head: bigint | undefined;
    for (const [n, seen] of this.blocks) if (seen <= at && (head === undefined || n > head)) head = n;
    return head;
  }

  stop(): void {
    for (const u of this.unwatch) u();
  }
}

interface ChainCtx {
  info: DevnetInfo["chains"][number];
  viem: ReturnType<typeof defineChain>;
  client: Client;
  usdc: Address;
  settlement: Address;
  factory: Address;
  vault: Address;
  entrypoint: Address;
  clock: ChainClock;
  /** Head when the timed phase began: every engine transaction of this run is after it. */
  startHead: bigint;
}

interface User {
  index: number;
  privateKey: Hex;
  address: Address;
  from: ChainCtx;
  to: ChainCtx;
}

/**
 * What a payment is: a deposit sent by the payer, a gasless one (permit and TrailsIntent signed,
 * relayed by Junction), a deposit whose fill calls the destination chain's DemoVault (all three
 * through the Trails API), or an Intents Connect bridge-in into that vault (signed steps run by
 * the payer's intermediary account).
 */
type Kind = "deposit" | "gasless" | "call" | "connect";

interface Outcome {
  kind: Kind;
  user: User;
  recipient: Address;
  intentId?: string;
  toAmount?: bigint;
  depositAddress?: Address;
  depositBlock?: bigint;
  stage: string;
  error?: string;
  /** performance.now() marks in this process. */
  t: {
    start: number;
    quoted?: number;
    committed?: number;
    depositMined?: number;
    executed?: number;
    done?: number;
  };
  /** Intent statuses in the order the client saw them (repeats collapsed). */
  statuses: string[];
}

/** The DemoVault deposit a "call" payment's fill makes for `receiver`, the amount injected. */
const vaultDeposit = (receiver: Address) =>
  encodeFunctionData({
    abi: demoVaultAbi,
    functionName: "deposit",
    args: [BigInt(AMOUNT_PLACEHOLDER), receiver],
  });

const vaultAssets = async (c: ChainCtx, holder: Address) =>
  c.client.readContract({
    address: c.vault,
    abi: demoVaultAbi,
    functionName: "convertToAssets",
    args: [
      await c.client.readContract({
        address: c.vault,
        abi: demoVaultAbi,
        functionName: "balanceOf",
        args: [holder],
      }),
    ],
  });

const balanceOf = (c: ChainCtx, holder: Address) =>
  c.client.readContract({ address: c.usdc, abi: devTokenAbi, functionName: "balanceOf", args: [holder] });

async function chainCtx(info: DevnetInfo["chains"][number]): Promise<ChainCtx> {
  const viem = defineChain({
    id: info.chainId,
    name: info.name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [info.rpcUrl] } },
  });
  const usdc = info.tokens.find((t) => t.symbol === "USDC")?.address;
  const {
    Settlement: settlement,
    DepositFactory: factory,
    DemoVault: vault,
    IntentEntrypoint: entrypoint,
  } = info.contracts;
  if (!usdc || !settlement || !factory || !vault || !entrypoint)
    throw new Error(`chain ${info.chainId}: a token or contract is missing from GET /devnet`);
  const client = publicClientFor(viem);
  const clock = new ChainClock(info.rpcUrl, viem);
  // The head now, so "the destination's head when the deposit's block appeared" has a first answer.
  const head = await client.getBlockNumber();
  if (!clock.blocks.has(head)) clock.blocks.set(head, performance.now());
  return {
    info,
    viem,
    client,
    usdc,
    settlement,
    factory,
    vault,
    entrypoint,
    clock,
    startHead: 0n,
  };
}

/** Untimed: users past the ten funded test accounts get fresh keys, 1 ETH and USDC from account 0. */
async function fundExtraUsers(users: User[], funder: Hex, payments = 10n): Promise<void> {
  const extra = users.filter((u) => u.index >= 10);
  const hashes: { chain: ChainCtx; hash: Hex }[] = [];
  for (const chain of new Set(extra.map((u) => u.from))) {
    const wallet = walletClientFor(chain.viem, privateKeyToAccount(funder));
    let nonce = await chain.client.getTransactionCount({
      address: wallet.account.address,
      blockTag: "pending",
    });
    for (const u of extra.filter((x) => x.from === chain)) {
      hashes.push({
        chain,
        hash: await wallet.sendTransaction({ to: u.address, value: parseEther("1"), nonce: nonce++ }),
      });
      hashes.push({
        chain,
        hash: await wallet.writeContract({
          address: chain.usdc,
          abi: devTokenAbi,
          functionName: "transfer",
          args: [u.address, AMOUNT * payments],
          nonce: nonce++,
        }),
      });
    }
  }
  for (const { chain, hash } of hashes) {
    const receipt = await chain.client.waitForTransactionReceipt({ hash, timeout: 60_000 });
    if (receipt.status !== "success") throw new Error(`funding transaction ${hash} reverted`);
  }
}

/** A payment's outcome as it starts: paying a fresh recipient. */
const started = (user: User, kind: Kind): Outcome => ({
  kind,
  user,
  recipient: privateKeyToAccount(generatePrivateKey()).address,
  stage: "quote",
  statuses: [],
  t: { start: performance.now() },
});

/** The payer's ERC-20 transfer to `o`'s deposit address, waited for; its block marks the outcome. */
async function deposit(o: Outcome, account: PrivateKeyAccount, token: Address, amount: bigint): Promise<Hex> {
  const origin = o.user.from;
  const hash = await walletClientFor(origin.viem, account).writeContract({
    address: token,
    abi: devTokenAbi,
    functionName: "transfer",
    args: [o.depositAddress as Address, amount],
  });
  const receipt = await origin.client.waitForTransactionReceipt({ hash, timeout: 60_000 });
  if (receipt.status !== "success") throw new Error(`deposit ${hash} reverted`);
  o.t.depositMined = performance.now();
  o.depositBlock = receipt.blockNumber;
  return hash;
}

/** A Connect API call with the devnet's key; the answer's `result`, or an error naming the status. */
async function connectCall<T>(url: string, path: string, apiKey: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "x-api-key": apiKey, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await res.json()) as { result?: T };
  if (!res.ok || answer.result === undefined)
    throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer.result;
}

/**
 * An Intents Connect bridge-in, as a wallet app makes it: create the execution (a swap into the
 * destination chain's USDC, then the vault deposit for the recipient), sign its payload, send the
 * deposit and announce it, then poll until SUCCESS. Never throws.
 */
async function payConnect(url: string, user: User, apiKey: string): Promise<Outcome> {
  const { from: origin, to: dest } = user;
  const o = started(user, "connect");
  const deadline = Date.now() + INTENT_TIMEOUT_MS;
  try {
    const asset = (c: ChainCtx) => assetIdOf({ slug: c.info.slug, address: c.usdc, native: false });
    const account = privateKeyToAccount(user.privateKey);
    const execution = await connectCall<{
      id: string;
      quote: { depositAddress: Address; amountIn: string; minAmountOut: string };
      details: { payload: { payload_json: string } };
    }>(url, `/executions/${user.address}`, apiKey, {
      version: "1.0",
      type: "evm",
      dry: false,
      outOperation: false,
      metadata: { from: "bench:load" },
      quote: {
        originAsset: asset(origin),
        destinationAsset: asset(dest),
        amount: AMOUNT.toString(),
        swapType: "EXACT_INPUT",
        slippageTolerance: 50,
        deadline: new Date(Date.now() + 10 * 60_000).toISOString(),
      },
      steps: vaultDepositSteps(dest.usdc, dest.vault, o.recipient),
    });
    o.t.quoted = performance.now();
    o.toAmount = BigInt(execution.quote.minAmountOut);
    o.depositAddress = execution.quote.depositAddress;
    o.stage = "sign";
    const signature = await account.signMessage({ message: execution.details.payload.payload_json });
    await connectCall(url, `/executions/${user.address}/submit`, apiKey, {
      executionId: execution.id,
      signature,
    });
    o.t.committed = performance.now();
    o.stage = "deposit";
    const hash = await deposit(o, account, origin.usdc, BigInt(execution.quote.amountIn));
    o.stage = "execute";
    await connectCall(url, "/executions/deposit/submit", apiKey, {
      txHash: hash,
      depositAddress: o.depositAddress,
    });
    o.t.executed = performance.now();
    o.stage = "wait";
    for (;;) {
      const [found] = await connectCall<{ status: string; statusReason?: string }[]>(
        url,
        `/executions/${user.address}?id=${execution.id}`,
        apiKey,
      );
      if (found && o.statuses.at(-1) !== found.status) o.statuses.push(found.status);
      if (found?.status === "SUCCESS") break;
      if (found && /FAILED|EXPIRED|CANCELLED/.test(found.status))
        throw new Error(`execution ${found.status}: ${found.statusReason ?? ""}`);
      if (Date.now() > deadline) throw new Error(`not SUCCESS after ${INTENT_TIMEOUT_MS} ms`);
      await sleep(200);
    }
    o.t.done = performance.now();
    o.stage = "finished";
  } catch (err) {
    o.error = (err as Error).message.split("\n")[0];
  }
  return o;
}

/**
 * What is wrong with a finished Connect payment: it must have ended SUCCESS with the recipient's
 * vault shares worth at least the quote's minimum out, and the deposit address empty.
 */
async function checkConnect(o: Outcome): Promise<string[]> {
  if (o.error) return [`${o.error} (stage ${o.stage})`];
  const problems: string[] = [];
  const assets = await vaultAssets(o.user.to, o.recipient);
  if (assets < (o.toAmount ?? 0n)) problems.push(`vault assets ${assets}, quoted at least ${o.toAmount}`);
  if (o.depositAddress && (await balanceOf(o.user.from, o.depositAddress)) !== 0n)
    problems.push("the deposit address still holds USDC");
  return problems;
}

/** One user's payment; never throws: what went wrong is in the outcome. */
async function pay(url: string, user: User, kind: Kind = "deposit"): Promise<Outcome> {
  const trails = new TrailsApi("", { hostname: url });
  const { from: origin, to: dest } = user;
  const o = started(user, kind);
  const deadline = Date.now() + INTENT_TIMEOUT_MS;
  try {
    const { intent, gasFeeOptions } = await trails.quoteIntent({
      ownerAddress: user.address,
      originChainId: origin.info.chainId,
      originTokenAddress: origin.usdc,
      destinationChainId: dest.info.chainId,
      destinationTokenAddress: dest.usdc,
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: AMOUNT,
      ...(kind === "call"
        ? { destinationToAddress: dest.vault, destinationCallData: vaultDeposit(o.recipient) }
        : { destinationToAddress: o.recipient }),
    });
    o.t.quoted = performance.now();
    o.intentId = intent.intentId;
    o.toAmount = intent.quote.toAmount;
    o.depositAddress = intent.depositTransaction.toAddress as Address;
    o.stage = "commit";
    await trails.commitIntent({ intent });
    o.t.committed = performance.now();

    o.stage = "deposit";
    const account = privateKeyToAccount(user.privateKey);
    if (kind === "gasless") {
      const [option] = gasFeeOptions.feeOptions;
      if (!option) throw new Error("no gasless fee option quoted");
      const chain = { client: origin.client, chainId: origin.info.chainId, entrypoint: origin.entrypoint };
      const signed = await signGasless(chain, account, intent, option);
      o.stage = "execute";
      await trails.executeIntent({
        intentId: intent.intentId,
        depositSignature: depositSignature(signed, option),
      });
      o.t.executed = performance.now();
    } else {
      const token = intent.depositTransaction.tokenAddress as Address;
      const hash = await deposit(o, account, token, intent.depositTransaction.amount);

      o.stage = "execute";
      await trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
      o.t.executed = performance.now();
    }

    o.stage = "wait";
    let states: string[] | undefined;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`not done after ${INTENT_TIMEOUT_MS} ms`);
      const res = await trails.waitIntentReceipt(
        { intentId: intent.intentId, ...(states ? { lastReceiptStates: states as never } : {}) },
        undefined,
        AbortSignal.timeout(remaining),
      );
      const status = res.intentReceipt.status;
      if (o.statuses.at(-1) !== status) o.statuses.push(status);
      states = res.receiptStates;
      if (res.done) break;
    }
    o.t.done = performance.now();
    o.stage = "finished";
  } catch (err) {
    o.error = (err as Error).message.split("\n")[0];
  }
  return o;
}

interface EngineTx {
  kind: "fill" | "sweep" | "refund";
  chainId: number;
  hash: Hex;
  block: bigint;
  status: string;
}

/**
 * Every fill to a Settlement and sweep or refund to a DepositFactory mined in the run's blocks
 * (reverted included), by intent: the chain's own record of what the engine sent.
 */
async function engineTransactions(chains: ChainCtx[]): Promise<Map<string, EngineTx[]>> {
  const byIntent = new Map<string, EngineTx[]>();
  for (const chain of chains) {
    const head = await chain.client.getBlockNumber();
    for (let n = chain.startHead + 1n; n <= head; n++) {
      const block = await chain.client.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) {
        const to = tx.to?.toLowerCase();
        const abi =
          to === chain.settlement.toLowerCase()
            ? settlementAbi
            : to === chain.factory.toLowerCase()
              ? depositFactoryAbi
              : null;
        if (!abi) continue;
        const call = decodeFunctionData({ abi, data: tx.input });
        const kind = call.functionName.startsWith("fill") ? "fill" : call.functionName.replace("Batch", "");
        if (kind !== "fill" && kind !== "sweep" && kind !== "refund") continue;
        const receipt = await chain.client.getTransactionReceipt({ hash: tx.hash });
        for (const intentId of ordersOf(call)) {
          // A batch's order may be skipped while the batch is mined: its own event says.
          const status =
            kind === "refund" || !call.functionName.endsWith("Batch")
              ? receipt.status
              : orderDone(receipt, kind, intentId)
                ? "success"
                : "skipped";
          const list = byIntent.get(intentId) ?? [];
          list.push({ kind, chainId: chain.info.chainId, hash: tx.hash, block: n, status });
          byIntent.set(intentId, list);
        }
      }
    }
  }
  return byIntent;
}

/** The intents a call to Settlement or the DepositFactory is for: one, or a batch's orders. */
function ordersOf(call: { functionName: string; args?: readonly unknown[] }): string[] {
  const ids = (orders: unknown) => (orders as { intentId: string }[]).map((o) => o.intentId.toLowerCase());
  if (call.functionName === "fillBatch") return [...ids(call.args?.[0]), ...ids(call.args?.[1])];
  if (call.functionName === "sweepBatch") return ids(call.args?.[0]);
  return [String(call.args?.[0]).toLowerCase()];
}

/** What is wrong with one finished payment, checked against the chains and the API; empty if nothing. */
async function check(o: Outcome, txs: EngineTx[], trails: TrailsApi, chains: ChainCtx[]): Promise<string[]> {
  if (o.kind === "connect") return checkConnect(o);
  if (!o.intentId) return [o.error ?? "no intent"];
  const problems = o.error ? [`${o.error} (stage ${o.stage})`] : [];
  const { from: origin, to: dest } = o.user;
  const fills = txs.filter((t) => t.kind === "fill");
  const sweeps = txs.filter((t) => t.kind === "sweep");
  const refunds = txs.filter((t) => t.kind === "refund");
  if (
    fills.length !== 1 ||
    sweeps.length !== 1 ||
    refunds.length !== 0 ||
    txs.some((t) => t.status !== "success")
  )
    problems.push(
      `engine transactions mined: ${txs.map((t) => `${t.kind} ${t.hash} ${t.status}`).join(", ")}`,
    );
  const filled = await Promise.all(
    chains.map(async (c) => ({
      chain: c,
      logs: await c.client.getLogs({
        address: c.settlement,
        event: filledEvent,
        args: { intentId: o.intentId as Hex },
        fromBlock: c.startHead,
      }),
    })),
  );
  const all = filled.flatMap((f) => f.logs.map(() => f.chain.info.chainId));
  const event = filled.find((f) => f.chain === dest)?.logs[0]?.args;
  if (all.length !== 1 || all[0] !== dest.info.chainId)
    problems.push(`Filled events on chains [${all.join(", ")}], want one on ${dest.info.chainId}`);
  // A fill with a call names its fallback recipient, the owner; the recipient holds vault shares.
  const payee = o.kind === "call" ? o.user.address : o.recipient;
  if (
    all.length === 1 &&
    (event?.amount !== o.toAmount || event?.recipient?.toLowerCase() !== payee.toLowerCase())
  )
    problems.push(`Filled ${event?.amount} to ${event?.recipient}; quoted ${o.toAmount} to ${payee}`);
  const received =
    o.kind === "call" ? await vaultAssets(dest, o.recipient) : await balanceOf(dest, o.recipient);
  if (received !== o.toAmount) problems.push(`recipient got ${received}, quoted ${o.toAmount}`);
  if (o.depositAddress && (await balanceOf(origin, o.depositAddress)) !== 0n)
    problems.push("the deposit address still holds USDC");
  const { intentReceipt: r } = await trails.getIntentReceipt({ intentId: o.intentId });
  if (r.status !== "SUCCEEDED" || o.statuses.filter((s) => s === "SUCCEEDED").length !== 1)
    problems.push(`statuses seen ${o.statuses.join(" → ")}; now ${r.status} (${r.summary.memo ?? ""})`);
  const names = (leg: { status?: string; txnHash?: string } | undefined, tx: EngineTx | undefined) =>
    leg?.status === "SUCCEEDED" && leg.txnHash?.toLowerCase() === tx?.hash.toLowerCase();
  if (!names(r.destinationTransaction, fills[0]) || !names(sweepLeg(r), sweeps[0]))
    problems.push("the receipt does not name the mined fill and sweep");
  return problems;
}

/** Junction's extra receipt leg, its sweep, which the Trails client's types do not name. */
const sweepLeg = (receipt: object) =>
  (receipt as { sweepTransaction?: { status: string; txnHash?: string } }).sweepTransaction;

interface Round {
  n: number;
  outcomes: Outcome[];
  engineTxs: Map<string, EngineTx[]>;
  problems: string[];
  /** First QuoteIntent to the last done, s. */
  seconds: number;
  rssPeak: number;
}

/**
 * Waits until every intent's sweep is mined: a client is told SUCCEEDED when its fill is mined,
 * and the sweep (the solver's own bookkeeping) follows.
 */
async function sweepsSettled(trails: TrailsApi, outcomes: Outcome[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const o of outcomes) {
    if (!o.intentId) continue;
    while (Date.now() < deadline) {
      const { intentReceipt } = await trails.getIntentReceipt({ intentId: o.intentId });
      const sweep = sweepLeg(intentReceipt);
      if (sweep && sweep.status !== "SENT") break;
      await sleep(100);
    }
  }
}

/** Once every sweep is mined: each payment checked against the chains and the API. */
async function checkAll(trails: TrailsApi, chains: ChainCtx[], outcomes: Outcome[]) {
  await sweepsSettled(trails, outcomes);
  const engineTxs = await engineTransactions(chains);
  const problems: string[] = [];
  for (const o of outcomes) {
    const txs = engineTxs.get(o.intentId?.toLowerCase() ?? "") ?? [];
    for (const p of await check(o, txs, trails, chains))
      problems.push(`#${o.user.index} ${o.intentId}: ${p}`);
  }
  return { engineTxs, problems };
}

/** N users pay at once; then every payment is checked against the chains and the API. */
async function round(server: Server, chains: ChainCtx[], devnet: DevnetInfo, n: number): Promise<Round> {
  const funder = devnet.accounts[0]?.privateKey;
  if (!funder) throw new Error("GET /devnet lists no accounts");
  const users: User[] = Array.from({ length: n }, (_, index) => {
    const privateKey = devnet.accounts[index]?.privateKey ?? generatePrivateKey();
    const [from, to] = ROUTES[index % ROUTES.length] as [number, number];
    const address = privateKeyToAccount(privateKey).address;
    return { index, privateKey, address, from: chains[from] as ChainCtx, to: chains[to] as ChainCtx };
  });
  await fundExtraUsers(users, funder);
  for (const c of chains) c.startHead = await c.client.getBlockNumber();
  server.takeSampledPeakMb();
  const start = performance.now();
  const outcomes = await Promise.all(users.map((u) => pay(server.url, u)));
  const done = outcomes.flatMap((o) => (o.t.done === undefined ? [] : [o.t.done]));
  const rssPeak = server.takeSampledPeakMb();
  const trails = new TrailsApi("", { hostname: server.url });
  const { engineTxs, problems } = await checkAll(trails, chains, outcomes);
  return { n, outcomes, engineTxs, problems, seconds: (Math.max(...done) - start) / 1000, rssPeak };
}

/** A payer of the load: a funded account paying on its route, one payment at a time. */
function payers(chains: ChainCtx[], devnet: DevnetInfo, n: number): User[] {
  return Array.from({ length: n }, (_, index) => {
    const privateKey = devnet.accounts[index]?.privateKey ?? generatePrivateKey();
    const [from, to] = ROUTES[index % ROUTES.length] as [number, number];
    const address = privateKeyToAccount(privateKey).address;
    return { index, privateKey, address, from: chains[from] as ChainCtx, to: chains[to] as ChainCtx };
  });
}

interface Load extends Round {
  started: number;
  /** Payments due when every payer was still busy with its previous one (the generator's limit). */
  skipped: number;
  cpuSeconds: number;
  /** From the first payment's start to the last one's end, s. */
  drainedSeconds: number;
}

/**
 * `--load`: an open-loop stream, a payment started every 1/RATE s for SECONDS whatever the earlier
 * ones are doing, by a pool of payers (each pays one at a time, on its route), of the kinds in
 * MIX; then every payment is checked as in a round.
 */
async function load(servers: Server[], chains: ChainCtx[], devnet: DevnetInfo): Promise<Load> {
  const funder = devnet.accounts[0]?.privateKey;
  if (!funder) throw new Error("GET /devnet lists no accounts");
  const apiKey = devnet.connectApiKey;
  if (!apiKey) throw new Error("GET /devnet names no Connect API key");
  const total = Math.round(LOAD_RATE * LOAD_SECONDS);
  const pool = payers(chains, devnet, Math.min(total, Math.ceil(LOAD_RATE * PAYER_SECONDS)));
  process.stderr.write(`  funding ${pool.length} payers...\n`);
  await fundExtraUsers(pool, funder, BigInt(Math.ceil(total / pool.length) + 5));
  for (const c of chains) c.startHead = await c.client.getBlockNumber();
  for (const server of servers) server.takeSampledPeakMb();
  const cpu = () => servers.reduce((sum, server) => sum + cpuSeconds(server.pid), 0);
  const cpuBefore = cpu();
  const free = [...pool];
  const outcomes: Outcome[] = [];
  const running: Promise<void>[] = [];
  let skipped = 0;
  const start = performance.now();
  let reported = start;
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / LOAD_RATE - performance.now();
    if (wait > 0) await sleep(wait);
    const user = free.shift();
    if (!user) skipped++;
    else {
      const kind = MIX[i % MIX.length] as Kind;
      running.push(
        (kind === "connect"
          ? payConnect((servers[i % servers.length] as Server).url, user, apiKey)
          : pay((servers[i % servers.length] as Server).url, user, kind)
        ).then((o) => {
          outcomes.push(o);
          free.push(user);
        }),
      );
    }
    if (performance.now() - reported >= 10_000) {
      reported = performance.now();
      const done = outcomes.filter((o) => o.t.done !== undefined).length;
      process.stderr.write(
        `  ${((reported - start) / 1000).toFixed(0)} s: ${running.length} started, ${done} done, ${running.length - outcomes.length} in flight, ${skipped} skipped\n`,
      );
    }
  }
  await Promise.all(running);
  const drainedSeconds = (performance.now() - start) / 1000;
  const cpuUsed = cpu() - cpuBefore;
  const rssPeak = servers.reduce((sum, server) => sum + server.takeSampledPeakMb(), 0);
  const trails = new TrailsApi("", { hostname: (servers[0] as Server).url });
  process.stderr.write("  waiting for sweeps, then checking every payment against the chains...\n");
  const { engineTxs, problems } = await checkAll(trails, chains, outcomes);
  return {
    n: outcomes.length,
    outcomes,
    engineTxs,
    problems,
    seconds: LOAD_SECONDS,
    rssPeak,
    started: running.length,
    skipped,
    cpuSeconds: cpuUsed,
    drainedSeconds,
  };
}

/** The measures of one round, by name: each a list of per-intent samples. */
function measures(r: Round): Record<string, number[]> {
  const samples = (pick: (o: Outcome) => number | undefined) =>
    r.outcomes.map(pick).filter((v): v is number => v !== undefined && !Number.isNaN(v));
  const between = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : b - a);
  const marks = (o: Outcome) => {
    const fill = fillOf(o);
    const depositSeen =
      o.depositBlock === undefined ? undefined : o.user.from.clock.blocks.get(o.depositBlock);
    const destHead = depositSeen === undefined ? undefined : o.user.to.clock.headAt(depositSeen);
    return {
      depositSeen,
      fillSent: fill ? o.user.to.clock.pending.get(fill.hash.toLowerCase()) : undefined,
      fillMined: fill ? o.user.to.clock.blocks.get(fill.block) : undefined,
      fillBlocks: fill && destHead !== undefined ? Number(fill.block - destHead) : undefined,
    };
  };
  // How many intents each fill transaction paid: more than one is a batch.
  const orders = new Map<string, number>();
  for (const txs of r.engineTxs.values()) {
    for (const tx of txs) if (tx.kind === "fill") orders.set(tx.hash, (orders.get(tx.hash) ?? 0) + 1);
  }
  const fillOf = (o: Outcome) =>
    r.engineTxs.get(o.intentId?.toLowerCase() ?? "")?.find((t) => t.kind === "fill");
  return {
    "QuoteIntent call (ms)": samples((o) => between(o.t.start, o.t.quoted)),
    "CommitIntent call (ms)": samples((o) => between(o.t.quoted, o.t.committed)),
    "ExecuteIntent call (ms)": samples((o) => between(o.t.depositMined, o.t.executed)),
    "deposit block → fill sent (ms)": samples((o) => between(marks(o).depositSeen, marks(o).fillSent)),
    "deposit block → fill receipt (ms)": samples((o) => between(marks(o).depositSeen, marks(o).fillMined)),
    "deposit block → fill receipt (blocks)": samples((o) => marks(o).fillBlocks),
    "deposit block → done seen by the client (ms)": samples((o) => between(marks(o).depositSeen, o.t.done)),
    "fill's block → done seen by the client (ms)": samples((o) => between(marks(o).fillMined, o.t.done)),
    "whole payment: quote → done (ms)": samples((o) => between(o.t.start, o.t.done)),
    "intents paid by its fill transaction": samples((o) => orders.get(fillOf(o)?.hash ?? "")),
  };
}

const stat = (values: number[], p: number | "max") =>
  fmt(p === "max" ? (values.length ? Math.max(...values) : Number.NaN) : percentile(values, p), 0);

function loadReport(r: Load, servers: Server[], postgres: boolean): string {
  const m = measures(r);
  const completed = r.outcomes.filter((o) => o.t.done !== undefined).length;
  const kinds = MIX.filter((k, i) => MIX.indexOf(k) === i)
    .map((k) => `${k} ${r.outcomes.filter((o) => o.kind === k && o.t.done !== undefined).length}`)
    .join(", ");
  return [
    `## Sustained load (open loop, ${LOAD_RATE} payments/s for ${LOAD_SECONDS} s, 1 s blocks)`,
    "",
    `Machine: ${machine()}. Server: ${servers.length === 1 ? "one process" : `${servers.length} processes sharing the database and the chains (\`junction chains\`), payments spread over them in turn`}, ${postgres ? "PostgreSQL (DATABASE_URL)" : "PGlite"}; the load generator and the three anvils on the same machine.`,
    "",
    table(
      ["Measure", "Value"],
      [
        ["payments due", String(Math.round(LOAD_RATE * LOAD_SECONDS))],
        ["started (a payer was free)", String(r.started)],
        ["skipped (every payer busy)", String(r.skipped)],
        [`done (${kinds})`, String(completed)],
        ["done per second over the stream", fmt(completed / LOAD_SECONDS, 1)],
        ["last payment done after (s)", fmt(r.drainedSeconds, 0)],
        ["failed checks", String(r.problems.length)],
        [
          "server CPU seconds per payment done (all processes)",
          fmt(r.cpuSeconds / Math.max(completed, 1), 3),
        ],
        ["server peak memory sampled (sum of processes, MB)", fmt(r.rssPeak, 0)],
      ],
      [false, true],
    ),
    "",
    table(
      ["Measure", "n", "p50", "p90", "p99", "max"],
      Object.entries(m).map(([name, v]) => [
        name,
        String(v.length),
        stat(v, 50),
        stat(v, 90),
        stat(v, 99),
        stat(v, "max"),
      ]),
      [false, true, true, true, true, true],
    ),
    ...(r.problems.length > 0 ? ["", "Failed checks (first 20):", ...r.problems.slice(0, 20)] : []),
    ...(r.problems.length > 0
      ? ["", "Server warn/error lines:", ...servers.flatMap((server) => server.warnings().slice(0, 10))]
      : []),
  ].join("\n");
}

async function main(): Promise<void> {
  // DATABASE_URL: the server uses that PostgreSQL server (a schema of its own, dropped after)
  // instead of its embedded PGlite.
  const databaseUrl = process.env.DATABASE_URL;
  const schema = uniqueSchema();
  // PROCESSES=2 (load only, on PostgreSQL): the chains in a process of their own, and servers
  // that attach to them through a shared data directory.
  const processes = LOAD ? Number(process.env.PROCESSES ?? 1) : 1;
  if (processes > 1 && !databaseUrl)
    throw new Error("PROCESSES > 1 needs DATABASE_URL: PGlite serves one process");
  const shared = processes > 1 ? mkdtempSync(join(tmpdir(), "junction-bench-chains-")) : null;
  const chainsProcess = shared ? await startChains(shared, { JUNCTION_MINING: "interval" }) : null;
  const servers: Server[] = [];
  for (let i = 0; i < processes; i++) {
    servers.push(
      await startServer({
        JUNCTION_MINING: "interval",
        // The load generator is one client with one key: the per-key limit (3,000 requests a
        // minute by default) would refuse its long-polls, not the server's capacity.
        ...(LOAD ? { JUNCTION_RATE_LIMIT_PER_KEY: "1000000" } : {}),
        ...(databaseUrl ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema } : {}),
        ...(shared ? { JUNCTION_DATA_DIR: shared } : {}),
      }),
    );
  }
  const server = servers[0] as Server;
  stopOnSignal(server);
  let stopped = "";
  const chains: ChainCtx[] = [];
  const rounds: Round[] = [];
  try {
    const devnet = await server.devnet();
    chains.push(...(await Promise.all(devnet.chains.map(chainCtx))));
    if (chains.length < 3) throw new Error("expected three devnet chains");
    if (LOAD) {
      const result = await load(servers, chains, devnet);
      stopped = (await Promise.all(servers.map((x) => x.stop()))).join("; ");
      console.log(loadReport(result, servers, databaseUrl !== undefined));
      if (result.problems.length > 0) process.exitCode = 1;
      return;
    }
    for (const n of ROUNDS) {
      rounds.push(await round(server, chains, devnet, n));
      process.stderr.write(`  ${n} users: ${rounds.at(-1)?.problems.length} problems\n`);
    }
    const peak = server.peakMb();
    stopped = await server.stop();
    const last = rounds.at(-1) as Round;
    const problems = rounds.flatMap((r) => r.problems.map((p) => `${r.n} users: ${p}`));
    const sent = "deposit block → fill sent (ms)";
    const mined = "deposit block → fill receipt (ms)";
    const blocks = "deposit block → fill receipt (blocks)";
    const done = "fill's block → done seen by the client (ms)";
    console.log(
      [
        "## End-to-end payments (real Trails client, 1 s blocks)",
        "",
        `Machine: ${machine()}.`,
        `Server: \`src/main.ts\` in its own process, devnet profile, a block every 1 s on each of three anvils, 1 confirmation, ${databaseUrl ? "PostgreSQL (DATABASE_URL)" : "PGlite in a throwaway directory"}, JSON logs; healthy in ${(server.startupMs / 1000).toFixed(1)} s. Rounds of ${ROUNDS.join(", ")} users paying at once, one after another on the same server.`,
        `Each user: QuoteIntent → CommitIntent → ERC-20 transfer of ${Number(AMOUNT) / 1e6} USDC to the deposit address → its receipt → ExecuteIntent → WaitIntentReceipt until done; routes rotate over the six ordered pairs of the three chains. Chain-side times come from WebSocket subscriptions to each node's new blocks and pending transactions, in this process: "deposit block" is when the deposit's block (its one confirmation) first appeared, "fill sent" when the fill reached the destination node, "fill receipt" when the block holding it appeared.`,
        "",
        table(
          [
            "Users at once",
            "Intents/s",
            "Fill sent p50 ms",
            "p90",
            "max",
            "Fill receipt p50 ms",
            "max",
            "Blocks p50",
            "max",
            "Done after fill's block p50 ms",
            "max",
            "Checks",
          ],
          rounds.map((r) => {
            const m = measures(r);
            return [
              String(r.n),
              fmt(r.n / r.seconds, 2),
              stat(m[sent] ?? [], 50),
              stat(m[sent] ?? [], 90),
              stat(m[sent] ?? [], "max"),
              stat(m[mined] ?? [], 50),
              stat(m[mined] ?? [], "max"),
              stat(m[blocks] ?? [], 50),
              stat(m[blocks] ?? [], "max"),
              stat(m[done] ?? [], 50),
              stat(m[done] ?? [], "max"),
              r.problems.length === 0 ? "passed" : `${r.problems.length} failed`,
            ];
          }),
          [true, true, true, true, true, true, true, true, true, true, true, false],
        ),
        "",
        `All measures of the ${last.n}-user round:`,
        "",
        table(
          ["Measure", "n", "p50", "p90", "p99", "max"],
          Object.entries(measures(last)).map(([name, v]) => [
            name,
            String(v.length),
            ...[50, 90, 99, "max" as const].map((p) => stat(v, p)),
          ]),
          [false, true, true, true, true, true],
        ),
        "",
        `Server resident memory: ${fmt(server.startupPeakMb, 0)} MB peak by the time it was healthy; ${fmt(Math.max(...rounds.map((r) => r.rssPeak)), 0)} MB highest sampled during the payments; ${fmt(peak, 0)} MB peak over the whole run (VmHWM).`,
        "",
        `Checks, per intent: delivered exactly once (one Filled event, on its destination chain, for the quoted amount and recipient; the recipient's balance), swept, never refunded, no reverted engine transaction, the receipt names the mined fill and sweep, SUCCEEDED seen once: ${problems.length === 0 ? "all passed" : `${problems.length} FAILED`}.`,
        ...problems.map((p) => `- ${p}`),
        `Shutdown: ${stopped}.`,
      ].join("\n"),
    );
    if (problems.length > 0) {
      process.exitCode = 1;
      const warnings = server.warnings();
      if (warnings.length > 0) console.log(`\nServer warn/error lines:\n${warnings.slice(0, 20).join("\n")}`);
    }
  } finally {
    for (const c of chains) c.clock.stop();
    if (!stopped)
      for (const x of servers)
        process.stderr.write(`server stopped after a failure: ${await x.stop()}\n${x.tail()}\n`);
    await chainsProcess?.stop();
    if (shared) rmSync(shared, { recursive: true, force: true });
    if (databaseUrl) await dropSchema(databaseUrl, schema);
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
