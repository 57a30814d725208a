import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { TradeType, TrailsApi } from "@0xtrails/api";
import { type Address, defineChain, type Hex, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devTokenAbi } from "../../src/chains/abi.gen.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { type AnvilProcess, startAnvil } from "../../src/devnet/anvil.ts";
import { compileContracts } from "../../src/devnet/compile.ts";
import { projectRoot } from "../../src/paths.ts";
import { connectApi, evmSigner } from "../support/connect.ts";
import { dropSchema, uniqueSchema } from "../support/databases.ts";
import { type RunningJunction, spawnJunction } from "../support/process.ts";

const databaseUrl = process.env.DATABASE_URL;
const run = promisify(execFile);
const ADMIN = "live-profile-admin";
const API_KEY = "live-profile-key";
/** Roles, by the test mnemonic's account index. */
const keys = { solver: 20, relayer: 21, executor: 22, deployer: 23, feeCollector: 24, funder: 0 } as const;
const key = (i: number) => devnetAccount(i).privateKey;
const USDC = 1_000_000n;

interface LiveChain {
  anvil: AnvilProcess;
  chainId: number;
  slug: string;
  usdc: Address;
  contracts: Record<string, Address>;
  client: ReturnType<typeof publicClientFor>;
  funder: ReturnType<typeof walletClientFor>;
}

const viemChain = (anvil: AnvilProcess) =>
  defineChain({
    id: anvil.chainId,
    name: `live ${anvil.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
  });

/** A chain as an operator finds it: a node, a USDC token, nothing of Junction's. */
async function bareChain(chainId: number, slug: string): Promise<LiveChain> {
  const anvil = await startAnvil({ chainId, port: 0, accounts: 30, balance: 10_000 });
  const chain = viemChain(anvil);
  const client = publicClientFor(chain);
  const funder = walletClientFor(chain, privateKeyToAccount(key(keys.funder)));
  const { artifacts } = compileContracts();
  const hash = await funder.deployContract({
    abi: artifacts.DevToken.abi,
    bytecode: artifacts.DevToken.bytecode,
    args: ["USD Coin", "USDC", 6],
  });
  const usdc = (await client.waitForTransactionReceipt({ hash })).contractAddress as Address;
  return { anvil, chainId, slug, usdc, contracts: {}, client, funder };
}

async function send(chain: LiveChain, from: number, to: Address, amount: bigint, mint = false): Promise<Hex> {
  const wallet = walletClientFor(viemChain(chain.anvil), privateKeyToAccount(key(from)));
  const hash = await wallet.writeContract({
    address: chain.usdc,
    abi: devTokenAbi,
    functionName: mint ? "mint" : "transfer",
    args: [to, amount],
  });
  await chain.client.waitForTransactionReceipt({ hash });
  return hash;
}

/** `junction deploy --json` against the chain, as an operator runs it. */
async function deploy(chain: LiveChain, env: Record<string, string>) {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const { stdout } = await run(
    process.execPath,
    ["bin/junction.mjs", "deploy", "--rpc-url", chain.anvil.rpcUrl, "--json"],
    { cwd: projectRoot, env: { ...inherited, ...env, JUNCTION_DEPLOYER_KEY: key(keys.deployer) } },
  );
  chain.contracts = (JSON.parse(stdout) as { contracts: Record<string, Address> }).contracts;
}

function liveConfig(chains: LiveChain[]) {
  return {
    profile: "live",
    server: { host: "127.0.0.1", port: 0 },
    fees: { protocolFeeBps: 10, feeCollector: devnetAccount(keys.feeCollector).address },
    adminKey: ADMIN,
    connect: { apiKeys: [API_KEY] },
    chains: chains.map((c) => ({
      chainId: c.chainId,
      name: `Live ${c.slug}`,
      slug: c.slug,
      rpcUrl: c.anvil.rpcUrl,
      confirmations: 1,
      blockPollMs: 50,
      tokens: [
        {
          symbol: "USDC",
          name: "USD Coin",
          address: c.usdc,
          decimals: 6,
          price: { source: "fixed", usd: "1.00" },
        },
        { symbol: "ETH", address: zeroAddress, decimals: 18, price: { source: "fixed", usd: "3000.00" } },
      ],
      contracts: c.contracts,
    })),
  };
}

/**
 * The live profile end to end, on chains Junction did not start: contracts deployed by `junction
 * deploy`, the solver funded by plain transfers, two Junction processes on one PostgreSQL taking
 * payments through both APIs alternately; one is SIGKILLed mid-way and the other finishes its work.
 */
describe.skipIf(!databaseUrl)("live profile: two processes on one PostgreSQL, one killed mid-way", () => {
  const chains: LiveChain[] = [];
  const processes: RunningJunction[] = [];
  let dataDir: string;
  let schema: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    chains.push(await bareChain(777_301, "left"), await bareChain(777_302, "right"));
    dataDir = mkdtempSync(join(tmpdir(), "junction-live-"));
    schema = uniqueSchema();
    env = {
      JUNCTION_CONFIG: join(dataDir, "junction.json"),
      JUNCTION_DATA_DIR: dataDir,
      PORT: "0",
      DATABASE_URL: databaseUrl as string,
      DATABASE_SCHEMA: schema,
      JUNCTION_SOLVER_KEY: key(keys.solver),
      JUNCTION_RELAYER_KEY: key(keys.relayer),
      JUNCTION_EXECUTOR_KEY: key(keys.executor),
    };
    for (const chain of chains) {
      await deploy(chain, env);
      // The inventory, by a plain transfer from an account that holds USDC.
      await send(chain, keys.funder, devnetAccount(keys.funder).address, 10_000_000n * USDC, true);
      await send(chain, keys.funder, chain.contracts.Settlement as Address, 1_000_000n * USDC);
    }
    writeFileSync(env.JUNCTION_CONFIG as string, JSON.stringify(liveConfig(chains), null, 2));
    processes.push(
      await spawnJunction([], env, { timeoutMs: 120_000 }),
      await spawnJunction([], env, { timeoutMs: 120_000 }),
    );
  }, 300_000);

  afterAll(async () => {
    for (const p of processes) await p.stop("SIGTERM").catch(() => {});
    for (const c of chains) await c.anvil.stop();
    if (databaseUrl && schema) await dropSchema(databaseUrl, schema);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("every payment through either API on either process completes once, the killed one's work included", async () => {
    const [left, right] = chains as [LiveChain, LiveChain];
    const [a, b] = processes as [RunningJunction, RunningJunction];
    const alive = () => (killed ? b : a);
    let killed = false;

    /** A Trails payment of `amount` from test account `payer` to a fresh recipient, through `via`. */
    async function trails(via: RunningJunction, payer: number, amount: bigint) {
      const recipient = privateKeyToAccount(`0x${(payer + 1000).toString(16).padStart(64, "0")}`).address;
      const client = new TrailsApi("", { hostname: via.url });
      const owner = devnetAccount(payer).address;
      await send(left, keys.funder, owner, amount);
      const { intent } = await client.quoteIntent({
        ownerAddress: owner,
        originChainId: left.chainId,
        originTokenAddress: left.usdc,
        destinationChainId: right.chainId,
        destinationTokenAddress: right.usdc,
        destinationToAddress: recipient,
        tradeType: TradeType.EXACT_INPUT,
        originTokenAmount: amount,
      });
      await client.commitIntent({ intent });
      const hash = await send(left, payer, intent.depositTransaction.toAddress as Address, amount);
      await client.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
      return { kind: "trails" as const, id: intent.intentId, recipient, want: intent.quote.toAmount };
    }

    /** A Connect bridge-in whose one step pays a fresh receiver, through `via`. */
    async function connect(via: RunningJunction, payer: number, amount: bigint) {
      const wallet = privateKeyToAccount(key(payer));
      const receiver = privateKeyToAccount(`0x${(payer + 2000).toString(16).padStart(64, "0")}`).address;
      const api = connectApi({ url: via.url, chains: liveConfig(chains).chains }, API_KEY);
      const execution = await api.createSigned(evmSigner(wallet), {
        version: "1.0",
        type: "evm",
        dry: false,
        outOperation: false,
        metadata: {},
        quote: {
          originAsset: api.asset(0, "USDC").id,
          destinationAsset: api.asset(1, "USDC").id,
          amount: amount.toString(),
          swapType: "EXACT_INPUT",
          slippageTolerance: 50,
          deadline: new Date(Date.now() + 10 * 60_000).toISOString(),
        },
        steps: [
          {
            to: right.usdc,
            functionSignature: "transfer(address,uint256)",
            parameters: [receiver, "{MIN_AMOUNT_OUT}"],
            value: "0",
          },
        ],
      });
      await send(left, keys.funder, wallet.address, amount);
      const hash = await send(left, payer, execution.quote.depositAddress, BigInt(execution.quote.amountIn));
      await api.depositSubmit({ txHash: hash, depositAddress: execution.quote.depositAddress });
      return {
        kind: "connect" as const,
        id: execution.id as string,
        wallet: wallet.address,
        recipient: receiver,
        want: BigInt(execution.quote.minAmountOut),
      };
    }

    // Payments alternate between the processes and the dialects; A is killed after the third
    // starts, with work in its hands. Later calls, the killed one's clients' included, go to B.
    type Payment = Awaited<ReturnType<typeof trails>> | Awaited<ReturnType<typeof connect>>;
    const payments: Payment[] = [];
    const plan: ["trails" | "connect", number][] = [
      ["trails", 3],
      ["connect", 4],
      ["trails", 5],
      ["connect", 6],
      ["trails", 7],
      ["connect", 8],
    ];
    for (const [i, [kind, payer]] of plan.entries()) {
      const via = i % 2 === 0 ? alive() : b;
      payments.push(
        await (kind === "trails" ? trails(via, payer, 25n * USDC) : connect(via, payer, 40n * USDC)),
      );
      if (i === 2) {
        await a.stop("SIGKILL");
        killed = true;
      }
    }

    // Each payment ends where it must, judged by B (the survivor) and by the chain.
    const trailsB = new TrailsApi("", { hostname: b.url });
    const deadline = Date.now() + 150_000;
    for (const p of payments) {
      for (;;) {
        const status =
          p.kind === "trails"
            ? (await trailsB.getIntentReceipt({ intentId: p.id })).intentReceipt.status
            : (
                (await (await fetch(`${b.url}/api/v1/executions/${p.wallet}?id=${p.id}`)).json()) as {
                  result: { status: string }[];
                }
              ).result[0]?.status;
        if (status === "SUCCEEDED" || status === "SUCCESS") break;
        if (Date.now() > deadline) throw new Error(`${p.kind} ${p.id} is still ${status}`);
        await sleep(250);
      }
      const got = (await right.client.readContract({
        address: right.usdc,
        abi: devTokenAbi,
        functionName: "balanceOf",
        args: [p.recipient],
      })) as bigint;
      expect(got, `${p.kind} ${p.id}: paid exactly once`).toBe(p.want);
    }

    // The ledger check on the survivor: the database and the chains agree, everything finished.
    let report: { status: number; body: unknown } = { status: 0, body: null };
    while (Date.now() < deadline) {
      const res = await fetch(`${b.url}/admin/reconcile?finished=true`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      report = { status: res.status, body: await res.json() };
      if (report.status === 200) break;
      await sleep(1_000);
    }
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    // The survivor takes over the dead process's deposit watchers (it tries every 5 s): ready.
    let ready: { status: number; body: unknown } = { status: 0, body: null };
    while (Date.now() < deadline) {
      const res = await fetch(`${b.url}/ready`);
      ready = { status: res.status, body: await res.json() };
      if (ready.status === 200) break;
      await sleep(500);
    }
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);
  }, 240_000);
});
