import { type Address, encodeFunctionData, type Hex, parseEventLogs } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoVaultAbi, settlementAbi } from "../../src/chains/abi.gen.ts";
import type { CallRequest, Chains } from "../../src/chains/gateway.ts";
import { devnetAccount, roleIndex } from "../../src/devnet/accounts.ts";
import { setCode } from "../../src/devnet/anvil-rpc.ts";
import { type ChainTxRow, intentTxs } from "../../src/store/chain-txs.ts";
import { intentEvents } from "../../src/store/events.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";

/**
 * The engine batches whatever is due at the same moment: fills (sweeps) decided while another is
 * being sent on the same chain go out together in one `fillBatch` (`sweepBatch`), each intent
 * still paid once by its own order, and held to the gas it would have alone, so one order's
 * destination call cannot spend the others' share.
 *
 * To make "at the same moment" certain, a test holds the first send on a chain (its fee read)
 * until every intent has decided its transaction. A batch kept but never broadcast (a crash right
 * after its commit) is sent again as it was signed.
 */

/**
 * Per chain, a fee or nonce read waits for this while it is set: the send under way is held
 * before it has taken its nonce.
 */
const held = new Map<number, Promise<void>>();
/** While set, every broadcast on this chain is lost. */
let lostBroadcastsOn: number | null = null;
/** eth_estimateGas calls per `chainId:to`: each intent's decision simulates its own transaction. */
const simulated = new Map<string, number>();

let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction({}, "", {
    chains: (real: Chains) =>
      Object.assign(Object.create(real) as Chains, {
        async feesPerGas(chainId: number) {
          await held.get(chainId);
          return real.feesPerGas(chainId);
        },
        async transactionCount(chainId: number, address: Address, at: "pending" | "latest" | bigint) {
          await held.get(chainId);
          return real.transactionCount(chainId, address, at);
        },
        async sendRawTransaction(chainId: number, raw: Hex) {
          // As if the process stopped right after its commit: signed and kept, never sent.
          if (lostBroadcastsOn === chainId) throw new Error("fetch failed");
          return real.sendRawTransaction(chainId, raw);
        },
        estimateGas(chainId: number, call: CallRequest) {
          const key = `${chainId}:${call.to.toLowerCase()}`;
          simulated.set(key, (simulated.get(key) ?? 0) + 1);
          return real.estimateGas(chainId, call);
        },
      }),
  });
  f = flows(t);
});
afterAll(() => t?.stop());

const USER = 7;
const owner = devnetAccount(USER).address;
const A = 0;
const B = 1;

/** Holds sends on chain `index` until `release` is called. */
function hold(index: number) {
  let release = () => {};
  held.set(
    f.chain(index).chainId,
    new Promise<void>((resolve) => {
      release = resolve;
    }),
  );
  return () => {
    held.delete(f.chain(index).chainId);
    release();
  };
}

/** Waits until `count` more simulations of calls to `to` on chain `index` than `from` have run. */
async function simulations(index: number, to: Address, from: number, count: number) {
  const key = `${f.chain(index).chainId}:${to.toLowerCase()}`;
  await until(
    async () => simulated.get(key) ?? 0,
    (n) => n >= from + count,
    `${count} simulations on chain ${index}`,
  );
  // The last decision goes on from its simulation to its send at once; let it get there.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

const simulationsSoFar = (index: number, to: Address) =>
  simulated.get(`${f.chain(index).chainId}:${to.toLowerCase()}`) ?? 0;

/** A committed USDC payment A → B (with a destination call when `data` is given), deposited. */
async function payment(amount: bigint, recipient: Address, data?: Hex) {
  const intent = await f.quotePayment(t.trails, owner, {
    amount,
    recipient,
    ...(data ? { callData: data } : {}),
  });
  await t.trails.commitIntent({ intent });
  const hash = await f.transfer(A, USER, f.token(A, "USDC"), intent.originIntentAddress as Address, amount);
  await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
  return intent;
}

/**
 * The ledger check once every intent is through (a mined sweep or refund takes a last look at
 * the deposit address before its intent is finished, a moment after the receipt says so).
 */
const ledger = () =>
  until(
    () => t.junction.ctx.engine.reconcile(),
    (report) => report.discrepancies.every((d) => d.check !== "everything finished"),
    "every intent finished",
  );

const txsOf = async (intentId: string, kind: string) =>
  (await intentTxs(t.db, intentId)).filter((tx) => tx.kind === kind);

/** The rows of one batch: batched, sharing one nonce and hash, one per intent. */
function expectOneBatch(rows: ChainTxRow[], size: number) {
  const batched = rows.filter((r) => r.batched);
  expect(batched).toHaveLength(size);
  expect(new Set(batched.map((r) => r.hash)).size).toBe(1);
  expect(new Set(batched.map((r) => String(r.nonce))).size).toBe(1);
  expect(new Set(batched.map((r) => r.intent_id)).size).toBe(size);
  return batched[0] as ChainTxRow;
}

describe("batched fills and sweeps", () => {
  it("fills and sweeps decided while one is being sent go out as one batch; each intent is paid once, a reverting call fails alone", async () => {
    const usdcB = f.token(B, "USDC");
    const settlement = f.chain(B).contracts.Settlement as Address;
    const factory = f.chain(A).contracts.DepositFactory as Address;
    const fillsBefore = simulationsSoFar(B, settlement);
    const releaseFills = hold(B);
    const recipients = Array.from({ length: 5 }, () => freshAddress());
    const plain = [];
    for (const [i, recipient] of recipients.entries()) {
      plain.push(await payment(10_000_000n + BigInt(i), recipient));
    }
    // Redeeming shares the Executor does not have reverts inside the vault.
    const vault = f.chain(B).contracts.DemoVault as Address;
    const redeem = encodeFunctionData({
      abi: demoVaultAbi,
      functionName: "redeem",
      args: [10n ** 18n, owner, owner],
    });
    const ownerBefore = await f.balance(B, usdcB, owner);
    const reverting = await payment(20_000_000n, vault, redeem);
    const all = [...plain, reverting];
    await simulations(B, settlement, fillsBefore, all.length);

    // The sweeps are held the same way, so they too are decided while the first is held.
    const sweepsBefore = simulationsSoFar(A, factory);
    const releaseSweeps = hold(A);
    releaseFills();
    await simulations(A, factory, sweepsBefore, all.length);
    releaseSweeps();
    const receipts = await Promise.all(all.map((intent) => f.waitSettled(t.trails, intent.intentId)));

    // Paid once each: the plain payments to their recipients, the failed call's to the owner.
    expect(receipts.map((r) => r.status)).toEqual([...plain.map(() => "SUCCEEDED"), "FAILED"]);
    for (const [i, intent] of plain.entries()) {
      expect(await f.balance(B, usdcB, recipients[i] as Address)).toBe(BigInt(intent.quote.toAmount));
    }
    expect((await f.balance(B, usdcB, owner)) - ownerBefore).toBe(BigInt(reverting.quote.toAmount));

    // One fill went alone (the one held); the other five in one fillBatch, each row mined.
    const fills = (await Promise.all(all.map((i) => txsOf(i.intentId, "fill")))).flat();
    expect(fills).toHaveLength(all.length);
    expect(fills.every((r) => r.status === "mined")).toBe(true);
    const batch = expectOneBatch(fills, all.length - 1);
    const receipt = await f.client(B).getTransactionReceipt({ hash: batch.hash as Hex });
    const filled = parseEventLogs({ abi: settlementAbi, eventName: "Filled", logs: receipt.logs });
    expect(filled).toHaveLength(all.length - 1);
    expect(filled.filter((e) => !e.args.callSucceeded).map((e) => e.args.intentId)).toEqual([
      reverting.intentId,
    ]);
    const sent = (await intentEvents(t.db, reverting.intentId)).filter((e) => e.type === "fill.sent");
    expect(sent.map((e) => e.data)).toEqual([
      expect.objectContaining({ hash: batch.hash, batch: all.length - 1 }),
    ]);

    // The sweeps the same way: one alone, five in one sweepBatch; every deposit address empty.
    const sweeps = (await Promise.all(all.map((i) => txsOf(i.intentId, "sweep")))).flat();
    expect(sweeps.every((r) => r.status === "mined")).toBe(true);
    expectOneBatch(sweeps, all.length - 1);
    for (const intent of all) {
      expect(await f.balance(A, f.token(A, "USDC"), intent.originIntentAddress as Address)).toBe(0n);
    }
    expect((await ledger()).discrepancies).toEqual([]);
  });

  it("a destination call that burns every unit of gas it gets is held to its own share: skipped, the others paid; alone it cannot be made, and is refunded", async () => {
    const usdcA = f.token(A, "USDC");
    const usdcB = f.token(B, "USDC");
    const settlement = f.chain(B).contracts.Settlement as Address;
    // A destination that does nothing when the fills are simulated, and loops forever when sent.
    const griefer = freshAddress();
    await setCode(f.client(B), griefer, "0x00");
    const fillsBefore = simulationsSoFar(B, settlement);
    const releaseFills = hold(B);
    const recipients = Array.from({ length: 3 }, () => freshAddress());
    const plain = [];
    for (const [i, recipient] of recipients.entries()) {
      plain.push(await payment(30_000_000n + BigInt(i), recipient));
    }
    // The first is held alone; the griefer's order joins the batch behind it.
    await simulations(B, settlement, fillsBefore, plain.length);
    const ownerBefore = await f.balance(A, usdcA, owner);
    const griefing = await payment(40_000_000n, griefer, "0x12345678");
    await simulations(B, settlement, fillsBefore, plain.length + 1);
    await setCode(f.client(B), griefer, "0x5b600056"); // JUMPDEST PUSH1 0 JUMP
    releaseFills();

    const receipts = await Promise.all(plain.map((intent) => f.waitSettled(t.trails, intent.intentId)));
    expect(receipts.map((r) => r.status)).toEqual(plain.map(() => "SUCCEEDED"));
    for (const [i, intent] of plain.entries()) {
      expect(await f.balance(B, usdcB, recipients[i] as Address)).toBe(BigInt(intent.quote.toAmount));
    }
    // Alone, the griefer's fill cannot be made any more: its deposit goes back to its owner.
    await f.waitStatus(t.trails, griefing.intentId, "REFUNDED");
    await until(
      () => f.balance(A, usdcA, owner),
      (balance) => balance === ownerBefore,
      "the griefer's deposit back with its owner",
    );

    // One batch: the two plain orders behind the held one paid, the griefer's skipped, having
    // spent no more gas than its own share; every order paid once, each by its first fill.
    const fills = (await Promise.all([...plain, griefing].map((i) => txsOf(i.intentId, "fill")))).flat();
    expect(fills).toHaveLength(plain.length + 1);
    const batch = expectOneBatch(fills, plain.length);
    const receipt = await f.client(B).getTransactionReceipt({ hash: batch.hash as Hex });
    expect(receipt.status).toBe("success");
    const skipped = parseEventLogs({ abi: settlementAbi, eventName: "FillSkipped", logs: receipt.logs });
    expect(skipped.map((e) => [e.args.intentId, e.args.alreadyFilled])).toEqual([[griefing.intentId, false]]);
    const tx = await f.client(B).getTransaction({ hash: batch.hash as Hex });
    expect(receipt.gasUsed).toBeLessThan(tx.gas);
    expect((await txsOf(griefing.intentId, "fill")).map((r) => r.status)).toEqual(["reverted"]);
    expect(fills.filter((r) => r.status === "mined")).toHaveLength(plain.length);
    expect((await ledger()).discrepancies).toEqual([]);
  });

  it("a batch kept but never broadcast (a crash after its commit) is sent again as signed: each order paid once", async () => {
    const usdcB = f.token(B, "USDC");
    const settlement = f.chain(B).contracts.Settlement as Address;
    const fillsBefore = simulationsSoFar(B, settlement);
    const releaseFills = hold(B);
    const recipients = Array.from({ length: 3 }, () => freshAddress());
    const intents: Awaited<ReturnType<typeof payment>>[] = [];
    for (const [i, recipient] of recipients.entries()) {
      intents.push(await payment(60_000_000n + BigInt(i), recipient));
    }
    await simulations(B, settlement, fillsBefore, intents.length);
    lostBroadcastsOn = f.chain(B).chainId;
    releaseFills();
    // Both transactions (the held fill alone, then the batch of two) are kept, and none reached
    // the node.
    const kept = await until(
      async () => (await Promise.all(intents.map((i) => txsOf(i.intentId, "fill")))).flat(),
      (rows) => rows.length === intents.length,
      "the fills kept",
    );
    expect(kept.every((r) => r.status === "pending")).toBe(true);
    for (const recipient of recipients) expect(await f.balance(B, usdcB, recipient)).toBe(0n);
    lostBroadcastsOn = null;

    const receipts = await Promise.all(intents.map((intent) => f.waitSettled(t.trails, intent.intentId)));
    expect(receipts.map((r) => r.status)).toEqual(intents.map(() => "SUCCEEDED"));
    for (const [i, intent] of intents.entries()) {
      expect(await f.balance(B, usdcB, recipients[i] as Address)).toBe(BigInt(intent.quote.toAmount));
    }
    // Nothing was signed anew: the same three rows, the batch's two at its one hash, all mined.
    const fills = (await Promise.all(intents.map((i) => txsOf(i.intentId, "fill")))).flat();
    expect(fills.map((r) => r.id).sort()).toEqual(kept.map((r) => r.id).sort());
    expect(fills.map((r) => r.hash).sort()).toEqual(kept.map((r) => r.hash).sort());
    expect(fills.every((r) => r.status === "mined")).toBe(true);
    expectOneBatch(fills, 2);
    expect((await ledger()).discrepancies).toEqual([]);
  });

  it("an order already filled when its batch lands is skipped, the others paid; that intent goes on to its sweep, paid once", async () => {
    const usdcB = f.token(B, "USDC");
    const settlement = f.chain(B).contracts.Settlement as Address;
    const fillsBefore = simulationsSoFar(B, settlement);
    const releaseFills = hold(B);
    const recipients = Array.from({ length: 3 }, () => freshAddress());
    const first = await payment(50_000_000n, recipients[0] as Address);
    await simulations(B, settlement, fillsBefore, 1);
    // The first is held alone; these two wait for it and go together.
    const second = await payment(50_000_001n, recipients[1] as Address);
    const third = await payment(50_000_002n, recipients[2] as Address);
    await simulations(B, settlement, fillsBefore, 3);
    // Meanwhile the third is paid by another transaction of the solver's key (as another process
    // holding the key would): Settlement records it filled before the batch arrives.
    const solver = f.wallet(B, roleIndex.solver);
    const direct = await solver.writeContract({
      address: settlement,
      abi: settlementAbi,
      functionName: "fill",
      args: [third.intentId as Hex, usdcB, BigInt(third.quote.toAmount), recipients[2] as Address],
    });
    await f.client(B).waitForTransactionReceipt({ hash: direct });
    releaseFills();

    const receipts = await Promise.all(
      [first, second, third].map((intent) => f.waitSettled(t.trails, intent.intentId)),
    );
    expect(receipts.map((r) => r.status)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    for (const [i, intent] of [first, second, third].entries()) {
      expect(await f.balance(B, usdcB, recipients[i] as Address)).toBe(BigInt(intent.quote.toAmount));
    }
    const fills = (await Promise.all([first, second, third].map((i) => txsOf(i.intentId, "fill")))).flat();
    const batch = expectOneBatch(fills, 2);
    const receipt = await f.client(B).getTransactionReceipt({ hash: batch.hash as Hex });
    expect(receipt.status).toBe("success");
    const skipped = parseEventLogs({ abi: settlementAbi, eventName: "FillSkipped", logs: receipt.logs });
    expect(skipped.map((e) => [e.args.intentId, e.args.alreadyFilled])).toEqual([[third.intentId, true]]);
    expect((await txsOf(second.intentId, "fill")).map((r) => r.status)).toEqual(["mined"]);
    expect((await txsOf(third.intentId, "fill")).map((r) => r.status)).toEqual(["reverted"]);
    expect((await txsOf(third.intentId, "sweep")).map((r) => r.status)).toEqual(["mined"]);
    // The ledger check sees the one fill the engine did not send, and nothing else.
    const report = await ledger();
    expect(report.discrepancies.map((d) => [d.check, d.subject])).toEqual([
      ["inventory outflows explained", direct],
    ]);
  });
});
