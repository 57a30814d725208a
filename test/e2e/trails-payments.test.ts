import { TradeType, WebrpcError } from "@0xtrails/api";
import { type Address, encodeFunctionData, zeroAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoVaultAbi, devTokenAbi } from "../../src/chains/abi.gen.ts";
import { AMOUNT_PLACEHOLDER } from "../../src/core/calldata.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { mine, setAutomine } from "../../src/devnet/anvil-rpc.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows, sweepOf } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";

let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction();
  f = flows(t);
});
afterAll(() => t?.stop());

const USER = 1;
const user = devnetAccount(USER).address;
const A = 0;
const B = 1;
const C = 2;

/** Quote → commit with the real client; returns the committed intent. */
async function quoteAndCommit(req: Parameters<TestJunction["trails"]["quoteIntent"]>[0]) {
  const { intent } = await t.trails.quoteIntent(req);
  const { intentId } = await t.trails.commitIntent({ intent });
  expect(intentId).toBe(intent.intentId);
  return intent;
}

const usdcQuote = (from: number, to: number, amount: bigint, recipient: Address = user) => ({
  ownerAddress: user,
  originChainId: f.chain(from).chainId,
  originTokenAddress: f.token(from, "USDC"),
  destinationChainId: f.chain(to).chainId,
  destinationTokenAddress: f.token(to, "USDC"),
  destinationToAddress: recipient,
  tradeType: TradeType.EXACT_INPUT,
  originTokenAmount: amount,
});

describe("payments through the real Trails client", () => {
  it("1. USDC on chain A → USDC on chain B, exact input", async () => {
    const recipient = freshAddress();
    const usdcA = f.token(0, "USDC");
    const usdcB = f.token(1, "USDC");
    const { intent } = await t.trails.quoteIntent({
      ownerAddress: user,
      originChainId: f.chain(0).chainId,
      originTokenAddress: usdcA,
      destinationChainId: f.chain(1).chainId,
      destinationTokenAddress: usdcB,
      destinationToAddress: recipient,
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: 100_000_000n,
    });
    expect(intent.depositTransaction.amount).toBe(100_000_000n);
    expect(intent.quote.toAmount).toBeLessThan(100_000_000n);
    expect(intent.quote.toAmountMin).toBeLessThanOrEqual(intent.quote.toAmount);
    const { intentId } = await t.trails.commitIntent({ intent });
    const before = await f.balance(0, usdcA, user);
    const hash = await f.transfer(
      0,
      USER,
      usdcA,
      intent.depositTransaction.toAddress as `0x${string}`,
      100_000_000n,
    );
    const executed = await t.trails.executeIntent({ intentId, depositTransactionHash: hash });
    expect(executed.intentStatus).toBe("EXECUTING");
    // The receipt is done once every leg is mined: at the fill.
    const receipt = await f.waitFinal(t.trails, intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    // SUCCEEDED is committed with the mined fill, in one transaction; the sweep follows (its
    // event is logged when the intent's runner next looks, which may be after the receipt shows it).
    const types = await until(
      async () =>
        (
          await t.db
            .selectFrom("events")
            .select("type")
            .where("intent_id", "=", intentId)
            .orderBy("seq")
            .execute()
        ).map((e) => e.type),
      (logged) => logged.includes("sweep.mined"),
      "the sweep's event",
    );
    const filled = types.indexOf("fill.mined");
    expect(types[filled + 1]).toBe("intent.succeeded");
    expect(types.indexOf("sweep.mined")).toBeGreaterThan(filled + 1);
    expect(await f.balance(1, usdcB, recipient)).toBe(intent.quote.toAmount);
    expect(before - (await f.balance(0, usdcA, user))).toBe(100_000_000n);
    expect(await f.balance(0, usdcA, intent.originIntentAddress as `0x${string}`)).toBe(0n);
    expect(receipt.destinationTransaction?.status).toBe("SUCCEEDED");
    expect(receipt.originTransaction.status).toBe("SUCCEEDED");
    expect(receipt.depositTransaction.txnHash).toBe(hash);
  });

  it("done comes at the fill: the sweep is not waited for, and shows its progress beside the legs", async () => {
    const recipient = freshAddress();
    const intent = await quoteAndCommit(usdcQuote(A, B, 20_000_000n, recipient));
    const origin = f.client(A);
    const hash = await f.transfer(
      A,
      USER,
      f.token(A, "USDC"),
      intent.originIntentAddress as Address,
      20_000_000n,
    );
    // The deposit is mined; from now on the origin chain mines nothing, so the sweep cannot land.
    await setAutomine(origin, false);
    try {
      await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
      const receipt = await f.waitFinal(t.trails, intent.intentId);
      expect(receipt.status).toBe("SUCCEEDED");
      expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(intent.quote.toAmount);
      expect(receipt.originTransaction).toMatchObject({ status: "SUCCEEDED", txnHash: hash });
      expect(receipt.destinationTransaction?.status).toBe("SUCCEEDED");
      const pending = await until(
        async () => (await t.trails.getIntentReceipt({ intentId: intent.intentId })).intentReceipt,
        (r) => sweepOf(r)?.status === "SENT",
        "the sweep sent",
      );
      expect(sweepOf(pending)?.txnHash).toBeUndefined();
    } finally {
      await setAutomine(origin, true);
    }
    await mine(origin);
    const swept = await until(
      async () => (await t.trails.getIntentReceipt({ intentId: intent.intentId })).intentReceipt,
      (r) => sweepOf(r)?.status === "SUCCEEDED",
      "the sweep mined",
    );
    const sweep = sweepOf(swept)?.txnHash;
    expect(await f.balance(A, f.token(A, "USDC"), intent.originIntentAddress as Address)).toBe(0n);
    const row = await t.db
      .selectFrom("chain_txs")
      .select(["hash", "status"])
      .where("intent_id", "=", intent.intentId)
      .where("kind", "=", "sweep")
      .where("status", "=", "mined")
      .executeTakeFirstOrThrow();
    expect(sweep).toBe(row.hash);
    expect(swept.originTransaction.txnHash).toBe(hash);
  });

  it("2. exact output into WETH on chain C, paying with USDC on chain A", async () => {
    const recipient = freshAddress();
    const wethC = f.token(C, "WETH");
    const usdcA = f.token(A, "USDC");
    const want = 10n ** 16n; // 0.01 WETH, about $30
    const intent = await quoteAndCommit({
      ownerAddress: user,
      originChainId: f.chain(A).chainId,
      originTokenAddress: usdcA,
      destinationChainId: f.chain(C).chainId,
      destinationTokenAddress: wethC,
      destinationToAddress: recipient,
      tradeType: TradeType.EXACT_OUTPUT,
      destinationTokenAmount: want,
      options: { slippageTolerance: 0.01 },
    });
    expect(intent.quote.toAmount).toBe(want);
    expect(intent.quote.fromAmount).toBeGreaterThan(intent.quote.fromAmountMin);
    expect(intent.quote.fromAmountMin).toBeGreaterThan(30_000_000n); // $30 plus fees
    const before = await f.balance(A, usdcA, user);
    const hash = await f.transfer(
      A,
      USER,
      usdcA,
      intent.originIntentAddress as Address,
      intent.depositTransaction.amount,
    );
    await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    const receipt = await f.waitFinal(t.trails, intent.intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    expect(await f.balance(C, wethC, recipient)).toBe(want);
    expect(before - (await f.balance(A, usdcA, user))).toBe(intent.quote.fromAmount);
  });

  it("3. native coin on chain B → USDC on chain A, found by the watcher without ExecuteIntent", async () => {
    const recipient = freshAddress();
    const usdcA = f.token(A, "USDC");
    const intent = await quoteAndCommit({
      ownerAddress: user,
      originChainId: f.chain(B).chainId,
      originTokenAddress: zeroAddress,
      destinationChainId: f.chain(A).chainId,
      destinationTokenAddress: usdcA,
      destinationToAddress: recipient,
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: 10n ** 16n, // 0.01 ETH, about $30
    });
    expect(intent.originPrecondition.type).toBe("native-balance");
    const hash = await f.transfer(B, USER, zeroAddress, intent.originIntentAddress as Address, 10n ** 16n);
    const receipt = await f.waitSettled(t.trails, intent.intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    expect(receipt.depositTransaction.txnHash).toBe(hash);
    expect(await f.balance(A, usdcA, recipient)).toBe(intent.quote.toAmount);
    expect(intent.quote.toAmount).toBeGreaterThan(29_000_000n);
    // The deposit went into Settlement, not back to anyone.
    expect(await f.balance(B, zeroAddress, intent.originIntentAddress as Address)).toBe(0n);
  });

  it("4. a destination call: deposit into chain B's DemoVault for the recipient, amount injected", async () => {
    const recipient = freshAddress();
    const vault = f.chain(B).contracts.DemoVault as Address;
    const usdcA = f.token(A, "USDC");
    const data = encodeFunctionData({
      abi: demoVaultAbi,
      functionName: "deposit",
      args: [BigInt(AMOUNT_PLACEHOLDER), recipient],
    });
    const { intent } = await t.trails.quoteIntent({
      ...usdcQuote(A, B, 50_000_000n, vault),
      destinationCallData: data,
    });
    await t.trails.commitIntent({ intent });
    const assetsBefore = await f.balance(B, f.token(B, "USDC"), vault);
    const hash = await f.transfer(A, USER, usdcA, intent.originIntentAddress as Address, 50_000_000n);
    await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    const receipt = await f.waitFinal(t.trails, intent.intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    const shares = await f
      .client(B)
      .readContract({ address: vault, abi: demoVaultAbi, functionName: "balanceOf", args: [recipient] });
    const assets = await f
      .client(B)
      .readContract({ address: vault, abi: demoVaultAbi, functionName: "convertToAssets", args: [shares] });
    expect(assets).toBe(intent.quote.toAmount);
    expect((await f.balance(B, f.token(B, "USDC"), vault)) - assetsBefore).toBe(intent.quote.toAmount);
  });

  it("5a. an under-deposit goes back to the owner while the intent waits; at the deadline it is REFUNDED", async () => {
    const usdcA = f.token(A, "USDC");
    const intent = await quoteAndCommit(usdcQuote(A, B, 100_000_000n));
    const before = await f.balance(A, usdcA, user);
    const hash = await f.transfer(A, USER, usdcA, intent.originIntentAddress as Address, 60_000_000n);
    const refused = await t.trails
      .executeIntent({ intentId: intent.intentId, depositTransactionHash: hash })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WebrpcError);
    expect((refused as WebrpcError).code).toBe(2000);
    expect((refused as WebrpcError).message).toMatch(/holds 60000000 of the 100000000 the quote needs/);
    // Returned to the owner at once, the intent still waiting for its real deposit.
    await until(
      () => f.balance(A, usdcA, user),
      (b) => b === before,
      "the under-deposit to come back",
    );
    const waiting = await t.trails.getIntentReceipt({ intentId: intent.intentId });
    expect(waiting.intentReceipt.status).toBe("COMMITTED");
    expect(waiting.intentReceipt.summary.memo).toMatch(/below the 100000000 the quote needs; it is returned/);
    // Nothing more by the deadline: REFUNDED (what fell short went back).
    t.advanceClock((t.junction.ctx.config.commitLifetimeSeconds + 1) * 1000);
    try {
      const receipt = await f.waitStatus(t.trails, intent.intentId, "REFUNDED");
      expect(receipt.destinationTransaction?.txnHash).toBeUndefined();
      expect(receipt.originTransaction.toAddress).toBe(user);
    } finally {
      t.advanceClock(-(t.junction.ctx.config.commitLifetimeSeconds + 1) * 1000);
    }
    expect(await f.balance(A, usdcA, user)).toBe(before);
    expect(await f.balance(A, usdcA, intent.originIntentAddress as Address)).toBe(0n);
  });

  it("5d. ExecuteIntent right after the broadcast, before the deposit is mined: followed, then acted on once mined", async () => {
    const recipient = freshAddress();
    const intent = await quoteAndCommit(usdcQuote(A, B, 25_000_000n, recipient));
    const client = f.client(A);
    await setAutomine(client, false);
    try {
      const hash = await f.wallet(A, USER).writeContract({
        address: f.token(A, "USDC"),
        abi: devTokenAbi,
        functionName: "transfer",
        args: [intent.originIntentAddress as Address, 25_000_000n],
      });
      // As a wallet-driven client calls it: at once. Not refused; the intent waits for the block.
      const res = await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
      expect(res.intentStatus).toBe("COMMITTED");
      await mine(client);
    } finally {
      await setAutomine(client, true);
    }
    const receipt = await f.waitFinal(t.trails, intent.intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(intent.quote.toAmount);
  });

  it("5c. a stranger's dust and ExecuteIntent cannot push an intent off its path: the real deposit still fills it", async () => {
    const usdcA = f.token(A, "USDC");
    const recipient = freshAddress();
    const intent = await quoteAndCommit(usdcQuote(A, B, 40_000_000n, recipient));
    const stranger = 7;
    const dust = await f.transfer(A, stranger, usdcA, intent.originIntentAddress as Address, 1n);
    const refused = await t.trails
      .executeIntent({ intentId: intent.intentId, depositTransactionHash: dust })
      .catch((e: unknown) => e);
    expect((refused as WebrpcError).code).toBe(2000);
    // The dust goes to the intent's owner (the deposit address can pay no one else); the intent waits.
    await until(
      () => f.balance(A, usdcA, intent.originIntentAddress as Address),
      (b) => b === 0n,
      "the dust to be returned",
    );
    expect((await t.trails.getIntent({ intentId: intent.intentId })).intent.status).toBe("COMMITTED");
    const hash = await f.transfer(A, USER, usdcA, intent.originIntentAddress as Address, 40_000_000n);
    await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    expect((await f.waitFinal(t.trails, intent.intentId)).status).toBe("SUCCEEDED");
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(intent.quote.toAmount);
  });

  it("5b. an over-deposit is filled and the excess refunded", async () => {
    const recipient = freshAddress();
    const usdcA = f.token(A, "USDC");
    const intent = await quoteAndCommit(usdcQuote(A, B, 50_000_000n, recipient));
    const before = await f.balance(A, usdcA, user);
    const hash = await f.transfer(A, USER, usdcA, intent.originIntentAddress as Address, 70_000_000n);
    await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    const receipt = await f.waitSettled(t.trails, intent.intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(intent.quote.toAmount);
    expect(before - (await f.balance(A, usdcA, user))).toBe(50_000_000n);
  });

  it("6. abort, then a late deposit: refunded", async () => {
    const usdcA = f.token(A, "USDC");
    const intent = await quoteAndCommit(usdcQuote(A, B, 20_000_000n));
    const aborted = await f.abort(t.trails, intent.intentId, USER);
    expect(aborted.status).toBe("ABORTED");
    const before = await f.balance(A, usdcA, user);
    const hash = await f.transfer(A, USER, usdcA, intent.originIntentAddress as Address, 20_000_000n);
    const refused = await t.trails
      .executeIntent({ intentId: intent.intentId, depositTransactionHash: hash })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WebrpcError);
    expect((refused as WebrpcError).code).toBe(2004);
    const receipt = await f.waitStatus(t.trails, intent.intentId, "REFUNDED");
    expect(receipt.originTransaction.toAddress).toBe(user);
    expect(await f.balance(A, usdcA, user)).toBe(before);
  });

  it("7b. a tampered CommitIntent is rejected and nothing moves", async () => {
    const { intent } = await t.trails.quoteIntent(usdcQuote(A, B, 30_000_000n));
    for (const tamper of [
      (i: typeof intent) => ({ ...i, quote: { ...i.quote, toAmount: i.quote.toAmount + 1n } }),
      (i: typeof intent) => ({
        ...i,
        depositTransaction: { ...i.depositTransaction, toAddress: freshAddress() },
      }),
      (i: typeof intent) => ({ ...i, fees: { ...i.fees, totalFeeAmount: 0n } }),
    ]) {
      const err = await t.trails.commitIntent({ intent: tamper(intent) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WebrpcError);
      expect((err as WebrpcError).code).toBe(2000);
      expect((err as WebrpcError).message).toMatch(/intent\.(quote|depositTransaction|fees)\./);
    }
    const { intent: stored } = await t.trails.getIntent({ intentId: intent.intentId });
    expect(stored.status).toBe("QUOTED");
    const reserved = await t.db
      .selectFrom("intents")
      .select("reserved")
      .where("id", "=", intent.intentId)
      .executeTakeFirstOrThrow();
    expect(reserved.reserved).toBe(false);
  });

  it("8. a reverting destination call: the funds reach the owner on the destination chain", async () => {
    const usdcA = f.token(A, "USDC");
    const usdcB = f.token(B, "USDC");
    const vault = f.chain(B).contracts.DemoVault as Address;
    // Redeeming shares the caller does not have reverts inside the vault.
    const data = encodeFunctionData({
      abi: demoVaultAbi,
      functionName: "redeem",
      args: [10n ** 18n, user, user],
    });
    const intent = await quoteAndCommit({
      ...usdcQuote(A, B, 40_000_000n, vault),
      destinationCallData: data,
    });
    const ownerBefore = await f.balance(B, usdcB, user);
    const vaultBefore = await f.balance(B, usdcB, vault);
    const hash = await f.transfer(A, USER, usdcA, intent.originIntentAddress as Address, 40_000_000n);
    await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    const receipt = await f.waitFinal(t.trails, intent.intentId);
    expect(receipt.status).toBe("FAILED");
    expect(receipt.destinationTransaction?.status).toBe("FAILED");
    expect(receipt.destinationTransaction?.statusReason).toMatch(/destination call reverted/);
    expect((await f.balance(B, usdcB, user)) - ownerBefore).toBe(intent.quote.toAmount);
    expect(await f.balance(B, usdcB, vault)).toBe(vaultBefore);
  });

  it("finds intents by id, owner, deposit address and any of their transaction hashes, and pages history", async () => {
    const owner = devnetAccount(4).address;
    const usdcA = f.token(A, "USDC");
    const intents = [];
    for (let i = 0; i < 3; i++) {
      intents.push(await quoteAndCommit({ ...usdcQuote(A, B, 5_000_000n + BigInt(i)), ownerAddress: owner }));
    }
    const [first, second, third] = intents as [(typeof intents)[0], (typeof intents)[0], (typeof intents)[0]];
    const hash = await f.transfer(
      A,
      4,
      usdcA,
      first.originIntentAddress as Address,
      first.depositTransaction.amount,
    );
    await t.trails.executeIntent({ intentId: first.intentId, depositTransactionHash: hash });
    const receipt = await f.waitFinal(t.trails, first.intentId);
    const ids = (r: { intents: { intentId: string }[] }) => r.intents.map((i) => i.intentId);

    expect(ids(await t.trails.searchIntents({ byIntentId: first.intentId }))).toEqual([first.intentId]);
    expect(ids(await t.trails.searchIntents({ byOwnerAddress: owner }))).toEqual([
      third.intentId,
      second.intentId,
      first.intentId,
    ]);
    expect(ids(await t.trails.searchIntents({ byOriginIntentAddress: second.originIntentAddress }))).toEqual([
      second.intentId,
    ]);
    for (const txHash of [hash, receipt.destinationTransaction?.txnHash, receipt.originTransaction.txnHash]) {
      expect(ids(await t.trails.searchIntents({ byTransactionHash: txHash as string }))).toEqual([
        first.intentId,
      ]);
    }

    const page1 = await t.trails.getIntentHistory({ byOwnerAddress: owner, page: { pageSize: 2 } });
    expect(ids(page1)).toEqual([third.intentId, second.intentId]);
    expect(page1.nextPage?.more).toBe(true);
    const page2 = await t.trails.getIntentHistory({
      byOwnerAddress: owner,
      page: { ...page1.nextPage, pageSize: 2 },
    });
    expect(ids(page2)).toEqual([first.intentId]);
    expect(page2.nextPage?.more).toBe(false);
    expect(page2.intents[0]?.receipt.status).toBe("SUCCEEDED");
  });
});
