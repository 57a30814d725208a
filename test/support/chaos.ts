/**
 * A chaos run: the devnet's chains in this process, published as `junction chains` publishes
 * them (behind fault-injecting proxies with `faults`), and Junction as a child process that is
 * SIGKILLed at random moments and started again, while workers pay through both APIs as clients
 * that tolerate the outages would. At the end every payment is judged from the chains alone (its
 * money where it must be, exactly once; its deposit address empty), and the ledger check must
 * find nothing wrong with everything finished.
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrailsApi } from "@0xtrails/api";
import pino from "pino";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { freePort } from "../../bench/support.ts";
import { toViemChain } from "../../src/chains/chain.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import { loadConfig } from "../../src/config/load.ts";
import { assetIdOf } from "../../src/core/connect/assets.ts";
import { devnetAccount, devnetDefaults } from "../../src/devnet/accounts.ts";
import { type Devnet, publishChains, startDevnet } from "../../src/devnet/devnet.ts";
import { type FaultProxy, type Faults, startFaultProxy } from "../../src/devnet/fault-proxy.ts";
import {
  type ChaosChain,
  type Payment,
  type PaymentContext,
  type PaymentKind,
  paymentKinds,
  paymentWeights,
  settle,
  startPayment,
} from "./chaos-payments.ts";
import { type PushVerdict, type PushWatch, watchPush } from "./chaos-push.ts";
import { dropSchema, uniqueSchema } from "./databases.ts";
import { balanceOf } from "./onchain.ts";
import { type RunningJunction, spawnJunction } from "./process.ts";

export interface ChaosOptions {
  payments: number;
  kills: number;
  database: "pglite" | "postgres";
  /** Puts a fault-injecting proxy in front of each chain for the engine (not for the clients). */
  faults: boolean;
  seed: number;
  /** Payments in flight at once, each worker with its own funded account (at most 9). */
  workers?: number;
  /** Progress lines, as they happen. */
  progress?: (line: string) => void;
}

export type Verdict = "ok" | "lost" | "stuck" | "paid twice" | "wrong status";

export interface ChaosResult {
  options: Omit<ChaosOptions, "progress">;
  kills: number;
  verdicts: Record<Verdict, number>;
  byKind: Record<PaymentKind, number>;
  /** Each kill until the restarted engine answered, ms. */
  restartMs: number[];
  /** Each kill until the next payment finished, ms: how long the work stood still. */
  resumeMs: number[];
  reconcile: { clean: boolean; discrepancies: string[] };
  /** The webhook endpoint subscribed to every event throughout. */
  push: PushVerdict;
  /** What went wrong, one line each (a payment judged other than ok, a client call refused). */
  problems: string[];
  durationMs: number;
}

/** Every kind of fault the proxy makes, at rates a bad day of a public RPC provider could show. */
const chaosFaults: Faults = {
  drop: 0.005,
  delay: 0.05,
  http429: 0.02,
  http5xx: 0.03,
  reset: 0.02,
  staleHead: 0.03,
  lyingSend: 0.05,
  delayMs: [50, 800],
};

const ADMIN_KEY = "chaos-admin-key";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded PRNG, so a run's choices can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pickKind(random: () => number): PaymentKind {
  const total = paymentKinds.reduce((sum, k) => sum + paymentWeights[k], 0);
  let roll = random() * total;
  for (const kind of paymentKinds) {
    roll -= paymentWeights[kind];
    if (roll < 0) return kind;
  }
  return "plain";
}

function chaosChains(devnet: Devnet): ChaosChain[] {
  return devnet.chains.map((c) => {
    const usdc = c.deployment.tokens.USDC as Address;
    return {
      chainId: c.config.chainId,
      client: publicClientFor(toViemChain(c.config, c.rpcUrl)),
      usdc,
      vault: c.deployment.contracts.DemoVault as Address,
      entrypoint: c.deployment.contracts.IntentEntrypoint as Address,
      usdcAsset: assetIdOf({ slug: c.config.slug, address: usdc, native: false }),
    };
  });
}

/** The engine as a child process: started, SIGKILLed, started again, on one port and data directory. */
class Engine {
  private running: RunningJunction | null = null;
  private runs = 0;

  constructor(
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
    /** Where each run's output goes as it comes: to find out why a payment went wrong. */
    private readonly logFile: string,
  ) {}

  async start(): Promise<void> {
    appendFileSync(this.logFile, `\n===== engine run ${++this.runs} =====\n`);
    this.running = await spawnJunction(
      [],
      { ...this.env, LOG_LEVEL: "debug" },
      { timeoutMs: 120_000, onOutput: (chunk) => appendFileSync(this.logFile, chunk) },
    );
  }

  async kill(): Promise<void> {
    await this.end("SIGKILL");
  }

  async stop(): Promise<void> {
    const code = await this.end("SIGTERM");
    if (code !== undefined && code !== 0) this.log(`the engine stopped with exit code ${code}`);
  }

  private async end(signal: NodeJS.Signals): Promise<number | null | undefined> {
    const code = await this.running?.stop(signal);
    appendFileSync(this.logFile, `\n===== engine run ${this.runs} ended (${signal}, exit ${code}) =====\n`);
    this.running = null;
    return code;
  }
}

/** How long a finished payment's deposit address may still hold its deposit: the sweep follows the status. */
const SWEEP_GRACE_MS = 60_000;

/** The deposit address's balance once it is empty, or after the grace period. */
async function leftAtDeposit(payment: Payment): Promise<bigint> {
  const deadline = Date.now() + SWEEP_GRACE_MS;
  for (;;) {
    const left = await balanceOf(payment.origin.client, payment.origin.usdc, payment.depositAddress);
    if (left === 0n || Date.now() > deadline) return left;
    await sleep(500);
  }
}

/**
 * Judges a finished payment from the chains. A client may be told SUCCESS (an execution's steps
 * mined) while the sweep of the deposit address is still on its way, so that is waited for.
 */
async function judge(payment: Payment, status: string | null): Promise<Verdict> {
  const left = await leftAtDeposit(payment);
  const held = await payment.expect.holding();
  if (held > payment.expect.amount) return "paid twice";
  if (status === null || !payment.final.includes(status) || left > 0n) return "stuck";
  if (held < payment.expect.amount) return "lost";
  return status === payment.expect.status ? "ok" : "wrong status";
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { progress = () => {}, ...recorded } = options;
  const started = Date.now();
  const random = prng(options.seed);
  const dataDir = mkdtempSync(join(tmpdir(), "junction-chaos-"));
  const port = await freePort();
  const logFile = join(tmpdir(), `junction-chaos-${options.database}-${options.seed}-${Date.now()}.log`);
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig(
    { JUNCTION_DATA_DIR: dataDir, JUNCTION_PERSIST: "false", JUNCTION_DEVNET_PORT: "0" },
    dataDir,
    devnetDefaults(),
  );
  const devnet = await startDevnet({ config, log: pino({ level: "silent" }), own: true });
  const proxies: FaultProxy[] = [];
  const schema = uniqueSchema();
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  try {
    if (options.faults) {
      for (const [i, chain] of devnet.chains.entries()) {
        proxies.push(
          await startFaultProxy({
            upstream: chain.rpcUrl,
            seed: options.seed + i,
            faults: { ...chaosFaults, exemptMethods: ["anvil_setIntervalMining", "anvil_mine"] },
          }),
        );
      }
    }
    publishChains(config, devnet, (c) => proxies[devnet.chains.indexOf(c)]?.url ?? c.rpcUrl);
    const engine = new Engine(
      {
        PORT: String(port),
        JUNCTION_DATA_DIR: dataDir,
        JUNCTION_ADMIN_KEY: ADMIN_KEY,
        ...(options.database === "postgres" ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema } : {}),
      },
      progress,
      logFile,
    );
    progress(`engine logs: ${logFile}`);
    progress(`chains up; starting the engine (${options.database}${options.faults ? ", RPC faults" : ""})`);
    await engine.start();
    const push = await watchPush(url, ADMIN_KEY);
    try {
      // The ledger check at the end verifies the payments, not its own fault tolerance: it runs
      // with the faults switched off.
      const calm = () => {
        for (const proxy of proxies) proxy.setFaults({});
      };
      return await drive(options, { engine, devnet, url, random, progress, started, recorded, calm, push });
    } finally {
      await push.close();
      await engine.stop();
    }
  } finally {
    for (const proxy of proxies) await proxy.close();
    await devnet.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (options.database === "postgres") await dropSchema(databaseUrl, schema);
  }
}

interface Drive {
  engine: Engine;
  devnet: Devnet;
  url: string;
  random: () => number;
  progress: (line: string) => void;
  started: number;
  recorded: Omit<ChaosOptions, "progress">;
  /** Switches the RPC faults off. */
  calm: () => void;
  push: PushWatch;
}

/** About how long one payment takes on 1-second blocks, to spread the kills over the run. */
const PAYMENT_MS = 6_000;

async function drive(options: ChaosOptions, d: Drive): Promise<ChaosResult> {
  const workers = Math.min(options.workers ?? 8, 9, options.payments);
  const expectedMs = (options.payments / workers) * PAYMENT_MS;
  // Generous: a payment is judged stuck only if it has not finished long after the last restart.
  const deadline = Date.now() + expectedMs * 3 + options.kills * 30_000 + 120_000;
  const chains = chaosChains(d.devnet);
  const trails = new TrailsApi("", { hostname: d.url });
  const kinds = Array.from({ length: options.payments }, () => pickKind(d.random));
  const problems: string[] = [];
  const settled: { payment: Payment; status: string | null }[] = [];
  const finishedAt: number[] = [];
  let next = 0;

  const worker = async (w: number) => {
    const account = privateKeyToAccount(devnetAccount(w + 1).privateKey);
    const ctx: PaymentContext = {
      trails,
      url: d.url,
      chains,
      depositor: d.devnet.chains.map((c) => walletClientFor(toViemChain(c.config, c.rpcUrl), account)),
      random: prng(options.seed * 31 + w),
      deadline,
    };
    while (next < kinds.length) {
      const kind = kinds[next++] as PaymentKind;
      try {
        const payment = await startPayment(ctx, kind);
        const status = await settle(ctx, payment);
        finishedAt.push(Date.now());
        settled.push({ payment, status });
      } catch (err) {
        problems.push(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (settled.length % 10 === 0) d.progress(`${settled.length}/${kinds.length} payments finished`);
    }
  };

  const restartMs: number[] = [];
  const killedAt: number[] = [];
  // Kill k comes once k/(kills+1) of the payments have started, a few seconds later: the kills
  // are spread over the run, whatever its pace, and each lands with payments in flight.
  const killer = async () => {
    for (let k = 1; k <= options.kills; k++) {
      const threshold = Math.floor((k * kinds.length) / (options.kills + 1));
      while (next < threshold) await sleep(100);
      await sleep(d.random() * 3_000);
      const at = Date.now();
      await d.engine.kill();
      killedAt.push(at);
      await sleep(d.random() * 1_000);
      await d.engine.start();
      restartMs.push(Date.now() - at);
      d.progress(`kill ${k}/${options.kills}: back in ${((Date.now() - at) / 1000).toFixed(1)} s`);
    }
  };

  const killing = killer();
  await Promise.all([killing, ...Array.from({ length: workers }, (_, w) => worker(w))]);

  const verdicts: Record<Verdict, number> = { ok: 0, lost: 0, stuck: 0, "paid twice": 0, "wrong status": 0 };
  const byKind = Object.fromEntries(paymentKinds.map((k) => [k, 0])) as Record<PaymentKind, number>;
  for (const { payment, status } of settled) {
    const verdict = await judge(payment, status);
    verdicts[verdict]++;
    byKind[payment.kind]++;
    if (verdict !== "ok") {
      problems.push(
        `${payment.kind} ${payment.id}: ${verdict} (status ${status}, expected ${payment.expect.status})`,
      );
    }
  }
  d.calm();
  const reconcile = await reconciled(d.url);
  const push = await d.push.verdict(90_000);
  const resumeMs = killedAt.flatMap((at) => {
    const first = finishedAt.filter((t) => t > at).sort((a, b) => a - b)[0];
    return first === undefined ? [] : [first - at];
  });
  return {
    options: d.recorded,
    kills: killedAt.length,
    verdicts,
    byKind,
    restartMs,
    resumeMs,
    reconcile,
    push,
    problems,
    durationMs: Date.now() - d.started,
  };
}

/**
 * The ledger check with everything finished, asked until it is clean or the deadline passes: a
 * payment can be final for its client while its sweep, the solver's own bookkeeping, is still
 * on its way.
 */
async function reconciled(url: string): Promise<ChaosResult["reconcile"]> {
  const deadline = Date.now() + 90_000;
  let last: string[] = ["the ledger check never answered"];
  for (;;) {
    try {
      const res = await fetch(`${url}/admin/reconcile?finished=true`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      const body = (await res.json()) as {
        discrepancies?: { check: string; subject: string; message: string }[];
      };
      if (res.status === 200) return { clean: true, discrepancies: [] };
      last = (body.discrepancies ?? []).map((x) => `${x.check}: ${x.subject}: ${x.message}`);
      if (last.length === 0) last = [`HTTP ${res.status}: ${JSON.stringify(body)}`];
    } catch (err) {
      last = [String(err)];
    }
    if (Date.now() > deadline) break;
    await sleep(1_000);
  }
  return { clean: false, discrepancies: last };
}
