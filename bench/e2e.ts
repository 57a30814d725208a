/**
 * `npm run bench:e2e` (env N, default 20): N users pay at once, end to end, through the real
 * `@0xtrails/api` client against the server in its own process, on chains that mine a block every
 * second (JUNCTION_MINING=interval). Each user: QuoteIntent → CommitIntent → an ERC-20 transfer of
 * the deposit to the intent's deposit address → ExecuteIntent with its hash → WaitIntentReceipt
 * until done. Routes rotate over the six ordered pairs of the three devnet chains; every payment
 * goes to a fresh recipient, so its balance before is zero.
 *
 * Afterwards, from the chains themselves: each intent's recipient got exactly the quoted amount,
 * each destination Settlement emitted exactly one Filled event for the intent (and no other chain
 * did), how many fill, sweep and refund transactions reached a block per intent (reverted
 * included), and the deposit was swept; and from the API: each intent ended SUCCEEDED, once, with
 * its receipt naming the mined fill and sweep. Exits 1 if any check fails, printing the failing
 * intents as the client saw them and the server's warn/error log lines about them.
 *
 * The server runs as a child process, so its database is out of reach: the chain is the record.
 */
import { TradeType, TrailsApi } from "@0xtrails/api";
import {
  type Address,
  type Chain,
  decodeFunctionData,
  defineChain,
  getAbiItem,
  type Hex,
  parseEther,
  type TransactionReceipt,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { depositFactoryAbi, devTokenAbi, settlementAbi } from "../src/chains/abi.gen.ts";
import { publicClientFor, walletClientFor } from "../src/chains/clients.ts";
import {
  type DevnetInfo,
  fmt,
  machine,
  percentile,
  type Server,
  startServer,
  stopOnSignal,
  table,
} from "./support.ts";

const N = Number(process.env.N ?? 20);
const AMOUNT = BigInt(process.env.AMOUNT ?? 100_000_000); // 100 USDC
/** Give up on an intent this long after its user started. */
const INTENT_TIMEOUT_MS = Number(process.env.INTENT_TIMEOUT_MS ?? 60_000);
/** After the last intent: let a few more blocks pass before re-reading receipts and logs. */
const SETTLE_MS = 3_000;
/** Least time between one user's WaitIntentReceipt calls (0: call again as soon as one answers). */
const POLL_MIN_MS = Number(process.env.POLL_MIN_MS ?? 0);
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
interface ChainCtx {
  info: DevnetInfo["chains"][number];
  viem: Chain;
  client: Client;
  usdc: Address;
  settlement: Address;
  factory: Address;
  /** Head when the timed phase began: every fill of this run is after it. */
  startHead: bigint;
}

interface User {
  index: number;
  privateKey: Hex;
  address: Address;
  from: number;
  to: number;
}

interface Outcome {
  user: User;
  recipient: Address;
  intentId?: string;
  toAmount?: bigint;
  depositAddress?: Address;
  balanceBefore?: bigint;
  stage: string;
  error?: string;
  t: {
    start: number;
    quoted?: number;
    committed?: number;
    depositSent?: number;
    depositSeen?: number;
    executed?: number;
    fillHashSeen?: number;
    fillSeen?: number;
    done?: number;
  };
  executeNote?: string;
  depositBlock?: bigint;
  depositBlockTs?: bigint;
  destHeadAtDeposit?: bigint;
  fillHash?: Hex;
  fillBlock?: bigint;
  fillBlockTs?: bigint;
  /** WaitIntentReceipt calls made. */
  polls: number;
  /** How long each call that sent the current leg states, and got them back unchanged, took (ms). */
  unchangedHolds: number[];
  /** Intent statuses in the order the client saw them (consecutive repeats collapsed). */
  statuses: string[];
  lastStates?: string[];
  finalStatus?: string;
  finalFillHash?: string;
  finalSweepHash?: string;
  /** Deposit, origin and destination leg statuses when re-read after the run. */
  finalLegs?: string[];
  memo?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function chainCtx(info: DevnetInfo["chains"][number]): Omit<ChainCtx, "startHead"> {
  const viem = defineChain({
    id: info.chainId,
    name: info.name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [info.rpcUrl] } },
  });
  const usdc = info.tokens.find((t) => t.symbol === "USDC")?.address;
  const settlement = info.contracts.Settlement;
  const factory = info.contracts.DepositFactory;
  if (!usdc || !settlement || !factory)
    throw new Error(`chain ${info.chainId}: no USDC, Settlement or DepositFactory in GET /devnet`);
  return { info, viem, client: publicClientFor(viem), usdc, settlement, factory };
}

const balanceOf = (c: ChainCtx, holder: Address) =>
  c.client.readContract({ address: c.usdc, abi: devTokenAbi, functionName: "balanceOf", args: [holder] });

/** Untimed: users past the ten funded test accounts get fresh keys, 1 ETH and 1,000 USDC from account 0. */
async function fundExtraUsers(chains: ChainCtx[], users: User[], funder: Hex): Promise<void> {
  const extra = users.filter((u) => u.index >= 10);
  if (extra.length === 0) return;
  const pending: { chain: ChainCtx; hash: Hex }[] = [];
  for (const chain of chains) {
    const mine = extra.filter((u) => u.from === chains.indexOf(chain));
    if (mine.length === 0) continue;
    const wallet = walletClientFor(chain.viem, privateKeyToAccount(funder));
    let nonce = await chain.client.getTransactionCount({
      address: wallet.account.address,
      blockTag: "pending",
    });
    for (const u of mine) {
      pending.push({
        chain,
        hash: await wallet.sendTransaction({ to: u.address, value: parseEther("1"), nonce: nonce++ }),
      });
      pending.push({
        chain,
        hash: await wallet.writeContract({
          address: chain.usdc,
          abi: devTokenAbi,
          functionName: "transfer",
          args: [u.address, AMOUNT * 10n],
          nonce: nonce++,
        }),
      });
    }
  }
  for (const { chain, hash } of pending) {
    const receipt = await chain.client.waitForTransactionReceipt({ hash, timeout: 60_000 });
    if (receipt.status !== "success") throw new Error(`funding transaction ${hash} reverted`);
  }
}

/** One user's payment; never throws: what went wrong is in the outcome. */
async function pay(url: string, chains: ChainCtx[], user: User, deadline: number): Promise<Outcome> {
  const trails = new TrailsApi("", { hostname: url });
  const origin = chains[user.from] as ChainCtx;
  const dest = chains[user.to] as ChainCtx;
  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  const o: Outcome = {
    user,
    recipient,
    stage: "quote",
    statuses: [],
    polls: 0,
    unchangedHolds: [],
    t: { start: Date.now() },
  };
  try {
    o.balanceBefore = await balanceOf(dest, recipient);
    const { intent } = await trails.quoteIntent({
      ownerAddress: user.address,
      originChainId: origin.info.chainId,
      originTokenAddress: origin.usdc,
      destinationChainId: dest.info.chainId,
      destinationTokenAddress: dest.usdc,
      destinationToAddress: recipient,
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: AMOUNT,
    });
    o.t.quoted = Date.now();
    o.intentId = intent.intentId;
    o.toAmount = intent.quote.toAmount;
    o.depositAddress = intent.depositTransaction.toAddress as Address;
    o.stage = "commit";
    await trails.commitIntent({ intent });
    o.t.committed = Date.now();

    o.stage = "deposit";
    const wallet = walletClientFor(origin.viem, privateKeyToAccount(user.privateKey));
    const hash = await wallet.writeContract({
      address: intent.depositTransaction.tokenAddress as Address,
      abi: devTokenAbi,
      functionName: "transfer",
      args: [o.depositAddress, intent.depositTransaction.amount],
    });
    o.t.depositSent = Date.now();
    const receipt = await origin.client.waitForTransactionReceipt({ hash, timeout: 60_000 });
    o.t.depositSeen = Date.now();
    o.destHeadAtDeposit = await dest.client.getBlockNumber();
    if (receipt.status !== "success") throw new Error(`deposit ${hash} reverted`);
    o.depositBlock = receipt.blockNumber;

    o.stage = "execute";
    try {
      await trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    } catch (err) {
      // The deposit watcher may have moved the intent to EXECUTING first; the payment goes on.
      // The engine then answers IntentStatus: counted and reported, not a failure of the payment.
      const e = err as Error & { code?: number; status?: number };
      if (!/only a COMMITTED intent accepts|cannot execute an intent that is EXECUTING/.test(e.message))
        throw err;
      o.executeNote = `${e.name} (code ${e.code}, HTTP ${e.status}): ${e.message}`;
    }
    o.t.executed = Date.now();

    o.stage = "wait";
    let states: string[] | undefined;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`not done after ${INTENT_TIMEOUT_MS} ms`);
      const sent = Date.now();
      const res = await trails.waitIntentReceipt(
        { intentId: intent.intentId, ...(states ? { lastReceiptStates: states as never } : {}) },
        undefined,
        AbortSignal.timeout(remaining),
      );
      const now = Date.now();
      o.polls++;
      if (states && !res.done && JSON.stringify(states) === JSON.stringify(res.receiptStates))
        o.unchangedHolds.push(now - sent);
      const r = res.intentReceipt;
      if (o.statuses.at(-1) !== r.status) o.statuses.push(r.status);
      const fill = r.destinationTransaction;
      if (fill?.txnHash && o.t.fillHashSeen === undefined) {
        o.t.fillHashSeen = now;
        o.fillHash = fill.txnHash as Hex;
      }
      if (fill?.status === "SUCCEEDED" && o.t.fillSeen === undefined) o.t.fillSeen = now;
      states = res.receiptStates;
      o.lastStates = states;
      if (res.done) {
        o.t.done = now;
        o.fillHash = (fill?.txnHash as Hex | undefined) ?? o.fillHash;
        break;
      }
      if (POLL_MIN_MS > 0 && Date.now() - sent < POLL_MIN_MS) await sleep(POLL_MIN_MS - (Date.now() - sent));
    }
    o.stage = "finished";
  } catch (err) {
    const e = err as Error;
    // A long-poll cut at the deadline surfaces as the client's WebrpcRequestFailedError.
    o.error =
      o.stage === "wait" && Date.now() >= deadline
        ? `not done after ${INTENT_TIMEOUT_MS} ms`
        : e.message.split("\n")[0];
  }
  // Blocks, for whatever got that far (a fill can be mined for an intent that never finishes).
  try {
    if (o.fillHash) {
      const fillReceipt: TransactionReceipt = await dest.client.getTransactionReceipt({ hash: o.fillHash });
      o.fillBlock = fillReceipt.blockNumber;
      o.fillBlockTs = (await dest.client.getBlock({ blockNumber: fillReceipt.blockNumber })).timestamp;
    }
    if (o.depositBlock !== undefined)
      o.depositBlockTs = (await origin.client.getBlock({ blockNumber: o.depositBlock })).timestamp;
  } catch (err) {
    o.error ??= `reading blocks: ${(err as Error).message.split("\n")[0]}`;
  }
  return o;
}

interface EngineTx {
  kind: "fill" | "sweep" | "refund";
  chainId: number;
  hash: Hex;
  block: bigint;
  nonce: number;
  status: string;
}

/**
 * Every fill/fillWithCall to a Settlement and sweep/refund to a DepositFactory mined in the run's
 * blocks (reverted included), by intent: the chain's own record of what the engine sent.
 */
async function engineTransactions(chains: ChainCtx[]): Promise<Map<string, EngineTx[]>> {
  const byIntent = new Map<string, EngineTx[]>();
  const add = (intentId: string, tx: EngineTx) => {
    const list = byIntent.get(intentId) ?? [];
    list.push(tx);
    byIntent.set(intentId, list);
  };
  await Promise.all(
    chains.map(async (chain) => {
      const head = await chain.client.getBlockNumber();
      for (let n = chain.startHead + 1n; n <= head; n++) {
        const block = await chain.client.getBlock({ blockNumber: n, includeTransactions: true });
        for (const tx of block.transactions) {
          const to = tx.to?.toLowerCase();
          let kind: EngineTx["kind"];
          let intentId: string;
          try {
            if (to === chain.settlement.toLowerCase()) {
              const call = decodeFunctionData({ abi: settlementAbi, data: tx.input });
              if (call.functionName !== "fill" && call.functionName !== "fillWithCall") continue;
              kind = "fill";
              intentId = call.args[0] as string;
            } else if (to === chain.factory.toLowerCase()) {
              const call = decodeFunctionData({ abi: depositFactoryAbi, data: tx.input });
              if (call.functionName !== "sweep" && call.functionName !== "refund") continue;
              kind = call.functionName;
              intentId = call.args[0] as string;
            } else continue;
          } catch {
            continue;
          }
          const receipt = await chain.client.getTransactionReceipt({ hash: tx.hash });
          add(intentId.toLowerCase(), {
            kind,
            chainId: chain.info.chainId,
            hash: tx.hash,
            block: n,
            nonce: tx.nonce,
            status: receipt.status,
          });
        }
      }
    }),
  );
  return byIntent;
}

async function main(): Promise<void> {
  const server: Server = await startServer({ JUNCTION_MINING: "interval" });
  stopOnSignal(server);
  let stopped = "";
  let failed = false;
  try {
    const devnet = await server.devnet();
    const partial = devnet.chains.map(chainCtx);
    if (partial.length < 3) throw new Error("expected three devnet chains");
    const funder = devnet.accounts[0]?.privateKey;
    if (!funder) throw new Error("GET /devnet lists no accounts");
    const users: User[] = Array.from({ length: N }, (_, index) => {
      const privateKey =
        index < devnet.accounts.length ? (devnet.accounts[index]?.privateKey as Hex) : generatePrivateKey();
      const [from, to] = ROUTES[index % ROUTES.length] as [number, number];
      return { index, privateKey, address: privateKeyToAccount(privateKey).address, from, to };
    });
    const setupStart = Date.now();
    const preChains = partial.map((c) => ({ ...c, startHead: 0n }));
    await fundExtraUsers(preChains, users, funder);
    const chains: ChainCtx[] = await Promise.all(
      partial.map(async (c) => ({ ...c, startHead: await c.client.getBlockNumber() })),
    );
    const setupMs = Date.now() - setupStart;
    server.takeSampledPeakMb();

    // Timed phase: every user at once.
    const runStart = Date.now();
    const outcomes = await Promise.all(
      users.map((u) => pay(server.url, chains, u, Date.now() + INTENT_TIMEOUT_MS)),
    );
    const runEnd = Date.now();
    const runRssPeak = server.takeSampledPeakMb();

    // Checks, from a later vantage: receipts again, balances, Filled logs, fill transactions.
    // The chain first, then the receipts after a pause: whatever the chain shows by now, the
    // engine (polling its transactions every 200 ms) has had SETTLE_MS to record.
    const engineTxs = await engineTransactions(chains);
    await sleep(SETTLE_MS);
    const checkTrails = new TrailsApi("", { hostname: server.url });
    const stray = new Map<string, number>();
    const filledByIntent = new Map<
      string,
      { chainId: number; amount: bigint; recipient: string; tx: string; block: bigint }[]
    >();
    for (const o of outcomes) {
      if (!o.intentId) continue;
      const { intentReceipt } = await checkTrails.getIntentReceipt({ intentId: o.intentId });
      o.finalStatus = intentReceipt.status;
      o.finalFillHash = intentReceipt.destinationTransaction?.txnHash;
      o.finalSweepHash = intentReceipt.originTransaction.txnHash;
      o.finalLegs = [
        intentReceipt.depositTransaction.status,
        intentReceipt.originTransaction.status,
        intentReceipt.destinationTransaction?.status ?? "(none)",
      ];
      o.memo = intentReceipt.summary.memo;
      const events = [];
      for (const chain of chains) {
        const logs = await chain.client.getLogs({
          address: chain.settlement,
          event: filledEvent,
          args: { intentId: o.intentId as Hex },
          fromBlock: 0n,
          toBlock: "latest",
        });
        events.push(
          ...logs.map((l) => ({
            chainId: chain.info.chainId,
            amount: l.args.amount ?? -1n,
            recipient: l.args.recipient ?? "",
            tx: l.transactionHash,
            block: l.blockNumber,
          })),
        );
      }
      filledByIntent.set(o.intentId.toLowerCase(), events);
    }
    // Any Filled event in the run's blocks for an intent that is not one of ours.
    const ours = new Set(outcomes.flatMap((o) => (o.intentId ? [o.intentId.toLowerCase()] : [])));
    for (const chain of chains) {
      const logs = await chain.client.getLogs({
        address: chain.settlement,
        event: filledEvent,
        fromBlock: chain.startHead + 1n,
        toBlock: "latest",
      });
      for (const l of logs) {
        const id = (l.args.intentId ?? "").toLowerCase();
        if (!ours.has(id)) stray.set(id, (stray.get(id) ?? 0) + 1);
      }
    }
    const txsOf = (o: Outcome, kind: EngineTx["kind"]) =>
      (engineTxs.get(o.intentId?.toLowerCase() ?? "") ?? []).filter((t) => t.kind === kind);
    const describeTxs = (txs: EngineTx[]) =>
      txs
        .map((t) => `${t.kind} ${t.hash} on ${t.chainId} block ${t.block} nonce ${t.nonce} ${t.status}`)
        .join("; ") || "none";

    const problems: string[] = [];
    const counts = {
      lost: 0,
      doubleFilled: 0,
      notFilled: 0,
      wrongAmount: 0,
      receiptMismatch: 0,
      notSucceededOnce: 0,
      notSwept: 0,
    };
    const txHistogram = new Map<string, number>();
    const executeRaces = new Map<string, string[]>();
    for (const o of outcomes) {
      const label = `#${o.user.index} ${o.intentId ?? "(no intent)"}`;
      if (o.executeNote) {
        const generic = o.executeNote.replace(/0x[0-9a-f]{64}/gi, "<id>");
        executeRaces.set(generic, [...(executeRaces.get(generic) ?? []), o.intentId ?? "?"]);
      }
      if (!o.intentId || o.error || o.t.done === undefined) {
        counts.lost++;
        problems.push(`${label}: ${o.error ?? "not done"} (stage ${o.stage})`);
      }
      if (!o.intentId) continue;
      const dest = chains[o.user.to] as ChainCtx;
      const origin = chains[o.user.from] as ChainCtx;
      const events = filledByIntent.get(o.intentId.toLowerCase()) ?? [];
      if (events.length > 1) {
        counts.doubleFilled++;
        problems.push(
          `${label}: ${events.length} Filled events: ${events.map((e) => `${e.chainId}:${e.tx}`).join(", ")}`,
        );
      } else if (events.length === 0) {
        counts.notFilled++;
        problems.push(`${label}: no Filled event on any chain`);
      } else {
        const [e] = events as [(typeof events)[number]];
        if (
          e.chainId !== dest.info.chainId ||
          e.amount !== o.toAmount ||
          e.recipient.toLowerCase() !== o.recipient.toLowerCase()
        ) {
          problems.push(
            `${label}: Filled event differs from the quote: chain ${e.chainId} (want ${dest.info.chainId}), amount ${e.amount} (quoted ${o.toAmount}), recipient ${e.recipient} (want ${o.recipient})`,
          );
          counts.wrongAmount++;
        }
        if (
          e.tx.toLowerCase() !== (o.finalFillHash ?? "").toLowerCase() ||
          o.finalLegs?.[2] !== "SUCCEEDED"
        ) {
          problems.push(
            `${label}: the receipt does not show the fill: Filled was emitted by ${e.tx} (block ${e.block}), the receipt's destinationTransaction is ${o.finalLegs?.[2]} with txnHash ${o.finalFillHash ?? "(none)"}`,
          );
          counts.receiptMismatch++;
        }
      }
      const fills = txsOf(o, "fill");
      const sweeps = txsOf(o, "sweep");
      const refunds = txsOf(o, "refund");
      const shape = `${fills.length} fill, ${sweeps.length} sweep, ${refunds.length} refund`;
      txHistogram.set(shape, (txHistogram.get(shape) ?? 0) + 1);
      if (fills.length !== 1 || sweeps.length !== 1 || refunds.length !== 0) {
        problems.push(
          `${label}: engine transactions mined: ${describeTxs([...fills, ...sweeps, ...refunds])}`,
        );
      }
      const sweep = sweeps.at(-1);
      if (
        sweep &&
        (o.finalLegs?.[1] !== "SUCCEEDED" || o.finalSweepHash?.toLowerCase() !== sweep.hash.toLowerCase())
      ) {
        counts.receiptMismatch++;
        problems.push(
          `${label}: the receipt does not show the sweep: ${describeTxs([sweep])}, the receipt's originTransaction is ${o.finalLegs?.[1]} with txnHash ${o.finalSweepHash ?? "(none)"}`,
        );
      }
      const delta = (await balanceOf(dest, o.recipient)) - (o.balanceBefore ?? 0n);
      if (delta !== o.toAmount) {
        counts.wrongAmount++;
        problems.push(`${label}: recipient ${o.recipient} got ${delta}, quoted ${o.toAmount}`);
      }
      const succeededSeen = o.statuses.filter((s) => s === "SUCCEEDED").length;
      if (o.finalStatus !== "SUCCEEDED" || succeededSeen !== 1 || o.statuses.at(-1) !== "SUCCEEDED") {
        counts.notSucceededOnce++;
        problems.push(
          `${label}: statuses seen ${o.statuses.join(" → ") || "(none)"}; re-read after the run: ${o.finalStatus}${o.memo ? ` (${o.memo})` : ""}; legs ${JSON.stringify(o.lastStates)}`,
        );
      }
      if (o.depositAddress && (await balanceOf(origin, o.depositAddress)) !== 0n) {
        counts.notSwept++;
        problems.push(`${label}: deposit address ${o.depositAddress} still holds USDC`);
      }
    }
    if (stray.size > 0)
      problems.push(
        `Filled events for intents not in this run: ${[...stray.entries()].map(([id, n]) => `${id} ×${n}`).join(", ")}`,
      );

    const peak = server.peakMb();
    const anvilPeak = server.anvilPeakMb();
    stopped = await server.stop();
    const warnings = server.warnings();
    const byMessage = new Map<string, number>();
    for (const line of warnings) {
      let key = line;
      try {
        const entry = JSON.parse(line) as { level: number; msg?: string };
        key = `${entry.level >= 50 ? "error" : "warn"}: ${entry.msg ?? "(no msg)"}`;
      } catch {
        // not JSON: keep the line
      }
      byMessage.set(key, (byMessage.get(key) ?? 0) + 1);
    }
    const serverLog =
      byMessage.size === 0
        ? "Server log: no warn or error lines."
        : `Server log, warn and error lines by message:${[...byMessage.entries()].map(([m, n]) => `\n  - ×${n} ${m}`).join("")}`;

    // Report.
    const done = outcomes.filter((o) => o.t.done !== undefined);
    const ms = (pick: (o: Outcome) => number | undefined) =>
      outcomes.flatMap((o) => {
        const v = pick(o);
        return v === undefined || Number.isNaN(v) ? [] : [v];
      });
    const diff = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? undefined : a - b;
    const row = (name: string, values: number[], digits = 0): string[] => [
      name,
      String(values.length),
      fmt(percentile(values, 50), digits),
      fmt(percentile(values, 90), digits),
      fmt(percentile(values, 99), digits),
      fmt(values.length ? Math.max(...values) : Number.NaN, digits),
    ];
    const lastFill = Math.max(...ms((o) => o.t.fillSeen));
    const totalPolls = outcomes.reduce((n, o) => n + o.polls, 0);
    const holds = outcomes.flatMap((o) => o.unchangedHolds);
    const lastDone = Math.max(...ms((o) => o.t.done));
    const routeCounts = new Map<string, number>();
    for (const u of users) {
      const key = `${chains[u.from]?.info.chainId}→${chains[u.to]?.info.chainId}`;
      routeCounts.set(key, (routeCounts.get(key) ?? 0) + 1);
    }
    const metrics = table(
      ["Measure", "n", "p50", "p90", "p99", "max"],
      [
        row(
          "QuoteIntent call (ms)",
          ms((o) => diff(o.t.quoted, o.t.start)),
        ),
        row(
          "CommitIntent call (ms)",
          ms((o) => diff(o.t.committed, o.t.quoted)),
        ),
        row(
          "deposit: sent → receipt seen by the user (ms)",
          ms((o) => diff(o.t.depositSeen, o.t.depositSent)),
        ),
        row(
          "ExecuteIntent call (ms)",
          ms((o) => diff(o.t.executed, o.t.depositSeen)),
        ),
        row(
          "deposit receipt seen → fill tx hash first seen (ms)",
          ms((o) => diff(o.t.fillHashSeen, o.t.depositSeen)),
        ),
        row(
          "**deposit receipt seen → destination SUCCEEDED seen (ms)**",
          ms((o) => diff(o.t.fillSeen, o.t.depositSeen)),
        ),
        row(
          "deposit receipt seen → intent SUCCEEDED, done (ms)",
          ms((o) => diff(o.t.done, o.t.depositSeen)),
        ),
        row(
          "**fill block − destination head at deposit (blocks)**",
          ms((o) =>
            o.fillBlock !== undefined && o.destHeadAtDeposit !== undefined
              ? Number(o.fillBlock - o.destHeadAtDeposit)
              : undefined,
          ),
        ),
        row(
          "fill block time − deposit block time (s, 1 s resolution)",
          ms((o) =>
            o.fillBlockTs !== undefined && o.depositBlockTs !== undefined
              ? Number(o.fillBlockTs - o.depositBlockTs)
              : undefined,
          ),
        ),
        row(
          "whole payment: quote sent → done (ms)",
          ms((o) => diff(o.t.done, o.t.start)),
        ),
      ],
      [false, true, true, true, true, true],
    );
    const histogram = [...txHistogram.entries()]
      .map(([k, v]) => `${k}: ${v} intent${v === 1 ? "" : "s"}`)
      .join("; ");
    const ok = problems.length === 0;
    failed = !ok;

    console.log(
      [
        `## End-to-end payments: ${N} concurrent users (real Trails client, 1 s blocks)`,
        "",
        `Machine: ${machine()}.`,
        `Server: \`src/main.ts\` in its own process, devnet profile, JUNCTION_MINING=interval (a block every 1 s on each of the three anvils), 1 confirmation, in-memory PGlite, LOG_FORMAT=json; healthy in ${(server.startupMs / 1000).toFixed(1)} s. Untimed setup ${(setupMs / 1000).toFixed(1)} s${N > 10 ? ` (funded ${N - 10} extra users from account 0)` : ""}.`,
        `Users: ${N} at once, each one payment of ${Number(AMOUNT) / 1e6} USDC, EXACT_INPUT, to a fresh recipient; routes ${[...routeCounts.entries()].map(([k, v]) => `${k} ×${v}`).join(", ")}. Each user: QuoteIntent → CommitIntent → ERC-20 transfer to the deposit address → wait for its receipt (viem, 100 ms polling) → ExecuteIntent → WaitIntentReceipt until done (again as soon as it answers${POLL_MIN_MS > 0 ? `, at most once per ${POLL_MIN_MS} ms` : ""}).`,
        "What is measured: wall-clock times in the bench process. \"Deposit receipt seen\" is when the user's client got the deposit's receipt (its block is already mined, so this is after the deposit's confirmation by up to one 100 ms poll). \"Fill tx hash first seen\" and \"destination SUCCEEDED seen\" are when a WaitIntentReceipt answer first showed the fill's hash and the fill leg SUCCEEDED (the engine marks it so once it has the fill's receipt); each answer shows the intent as it was when rendered, so these trail the server by up to one call (see the WaitIntentReceipt line below for how long calls took). \"Done\" is the receipt's done flag (SUCCEEDED and the deposit swept into Settlement). Blocks: the fill's block number on the destination chain minus the destination head read right after the deposit receipt was seen. Block-time difference: the fill block's timestamp minus the deposit block's (different chains, both stamped by wall clock at 1 s resolution).",
        "",
        metrics,
        "",
        `Throughput: ${done.length} of ${N} intents done in ${((runEnd - runStart) / 1000).toFixed(1)} s from the first QuoteIntent: ${fmt(done.length / ((lastDone - runStart) / 1000), 2)} intents/s to done; ${fmt(ms((o) => o.t.fillSeen).length / ((lastFill - runStart) / 1000), 2)} fills/s (to the last destination SUCCEEDED seen).`,
        `WaitIntentReceipt: ${totalPolls} calls (${fmt(totalPolls / ((runEnd - runStart) / 1000), 0)}/s over the run; per intent p50 ${fmt(
          percentile(
            ms((o) => o.polls),
            50,
          ),
          0,
        )}, max ${fmt(Math.max(...ms((o) => o.polls)), 0)})${POLL_MIN_MS > 0 ? `, each user at most one call per ${POLL_MIN_MS} ms` : ", each user calling again as soon as one answers"}. Calls sent with the current leg states that came back unchanged (the server's docs: held up to 30 s until something changes) answered after p50 ${fmt(percentile(holds, 50), 0)} ms, p90 ${fmt(percentile(holds, 90), 0)} ms, max ${fmt(holds.length ? Math.max(...holds) : Number.NaN, 0)} ms (${holds.length} such calls).`,
        `ExecuteIntent refused because the engine had already moved the intent to EXECUTING on its own (deposit watcher and runner, before or during the call): ${[...executeRaces.values()].reduce((n, ids) => n + ids.length, 0)} of ${N}. The payment goes on; counted here, not as a failure.${[...executeRaces.entries()].map(([m, ids]) => `\n  - ×${ids.length} ${m}`).join("")}`,
        `Server resident memory (MB): peak by the time it was healthy (VmHWM) ${fmt(server.startupPeakMb, 0)}; highest VmRSS during the timed phase ${fmt(runRssPeak, 0)}; peak over the whole run (VmHWM at the end) ${fmt(peak, 0)}. The three anvils together peaked at ${fmt(anvilPeak, 0)} (sum of VmRSS, sampled every 250 ms).`,
        serverLog,
        "",
        "### Checks",
        "",
        "After the run, from the chains (scanned first) and from receipts re-read 3 s later: final status SUCCEEDED, seen entering SUCCEEDED once and never leaving it; recipient balance rose by exactly quote.toAmount; exactly one Settlement Filled event for the intentId across all three chains (getLogs with the intentId topic), on the destination chain, with the quoted amount and the recipient; the receipt's destination and origin legs SUCCEEDED with the hashes of the mined fill and sweep; the engine's transactions mined in the run's blocks, reverted ones included: fill/fillWithCall to a Settlement, sweep/refund to a DepositFactory, decoded for the intentId (the chain-side view of chain_txs, whose database is not reachable from here); the deposit address left empty (swept).",
        "",
        `lost (not done, or an error): ${counts.lost}`,
        `double-filled (more than one Filled event): ${counts.doubleFilled}`,
        `never filled (no Filled event): ${counts.notFilled}`,
        `wrong amount or recipient (Filled event or balance): ${counts.wrongAmount}`,
        `receipt does not show a mined fill or sweep (leg not SUCCEEDED with that transaction's hash): ${counts.receiptMismatch}`,
        `not SUCCEEDED exactly once: ${counts.notSucceededOnce}`,
        `deposit not swept: ${counts.notSwept}`,
        `engine transactions mined per intent (fill, sweep, refund): ${histogram || "none"}`,
        `Filled events for unknown intents: ${stray.size}`,
        "",
        ok ? "All checks passed." : `FAILED:\n${problems.map((p) => `- ${p}`).join("\n")}`,
        `Shutdown: ${stopped}.`,
      ].join("\n"),
    );
    if (!ok) {
      console.log("\nFailing intents, as seen by the client:");
      for (const o of outcomes) {
        if (!problems.some((p) => p.startsWith(`#${o.user.index} `))) continue;
        console.log(
          JSON.stringify(
            {
              user: o.user.index,
              owner: o.user.address,
              intentId: o.intentId,
              route: `${chains[o.user.from]?.info.chainId}→${chains[o.user.to]?.info.chainId}`,
              stage: o.stage,
              error: o.error,
              executeNote: o.executeNote,
              statuses: o.statuses,
              legs: o.lastStates,
              finalLegs: o.finalLegs,
              finalStatus: o.finalStatus,
              memo: o.memo,
              fillHash: o.fillHash,
              engineTxs: engineTxs.get(o.intentId?.toLowerCase() ?? ""),
              msFromStart: Object.fromEntries(Object.entries(o.t).map(([k, v]) => [k, v - o.t.start])),
            },
            (_k, v) => (typeof v === "bigint" ? v.toString() : v),
          ),
        );
        const mentions = warnings.filter((w) => o.intentId && w.includes(o.intentId));
        for (const w of mentions.slice(0, 5)) console.log(`  server: ${w.slice(0, 1_500)}`);
      }
      const general = warnings.slice(0, 10);
      if (general.length > 0)
        console.log(`\nFirst server warn/error lines:\n${general.map((w) => w.slice(0, 1_500)).join("\n")}`);
    }
  } finally {
    if (!stopped) {
      const note = await server.stop();
      process.stderr.write(`server stopped after a failure: ${note}\n${server.tail()}\n`);
    }
  }
  if (failed) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
