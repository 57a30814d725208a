import { TradeType } from "@0xtrails/api";
import { type Address, type Hex, zeroAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devTokenAbi } from "../../src/chains/abi.gen.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { mine, setAutomine } from "../../src/devnet/anvil-rpc.ts";
import { intentEvents } from "../../src/store/events.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";

/**
 * Every deposit ends with its owner or its recipient, whatever its order or chain: the cases that
 * once left money at a deposit address.
 */

let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction();
  f = flows(t);
});
afterAll(() => t?.stop());

const USER = 4;
const user = devnetAccount(USER).address;
const A = 0;
const B = 1;
const C = 2;

/** A committed payment from `from` (USDC unless `originToken`) to USDC on `to`. */
async function committed(
  amount: bigint,
  recipient: Address = user,
  route: { from: number; to: number; originToken?: Address } = { from: A, to: B },
) {
  const { intent } = await t.trails.quoteIntent({
    ownerAddress: user,
    originChainId: f.chain(route.from).chainId,
    originTokenAddress: route.originToken ?? f.token(route.from, "USDC"),
    destinationChainId: f.chain(route.to).chainId,
    destinationTokenAddress: f.token(route.to, "USDC"),
    destinationToAddress: recipient,
    tradeType: TradeType.EXACT_INPUT,
    originTokenAmount: amount,
  });
  await t.trails.commitIntent({ intent });
  return intent;
}

describe("deposits, whatever their order or chain", () => {
  it("a stray token beside a native-coin deposit waits for the sweep: paid once, the token returned after", async () => {
    const usdcB = f.token(B, "USDC");
    const recipient = freshAddress();
    const amount = 10n ** 16n;
    const intent = await committed(amount, recipient, { from: B, to: A, originToken: zeroAddress });
    const address = intent.originIntentAddress as Address;
    const settlement = f.chain(B).contracts.Settlement as Address;
    const before = {
      usdc: await f.balance(B, usdcB, user),
      settlement: await f.balance(B, zeroAddress, settlement),
    };
    // Both in one block: returning the token would pay the owner every coin at the address too.
    const client = f.client(B);
    const wallet = f.wallet(B, USER);
    await setAutomine(client, false);
    let hashes: Hex[];
    try {
      hashes = [
        await wallet.writeContract({
          address: usdcB,
          abi: devTokenAbi,
          functionName: "transfer",
          args: [address, 3_000_000n],
        }),
        await wallet.sendTransaction({ to: address, value: amount }),
      ];
      await mine(client);
    } finally {
      await setAutomine(client, true);
    }
    for (const hash of hashes)
      expect((await client.waitForTransactionReceipt({ hash })).status).toBe("success");

    const receipt = await f.waitSettled(t.trails, intent.intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    expect(await f.balance(A, f.token(A, "USDC"), recipient)).toBe(intent.quote.toAmount);
    expect(await f.balance(B, zeroAddress, settlement)).toBe(before.settlement + amount);
    await until(
      () => f.balance(B, usdcB, user),
      (b) => b === before.usdc,
      "the stray token's return",
    );
    expect(await f.balance(B, usdcB, address)).toBe(0n);
    expect(await f.balance(B, zeroAddress, address)).toBe(0n);
  });

  it("a second deposit after a refund goes back too, once, without the intent spinning", async () => {
    const usdc = f.token(A, "USDC");
    const intent = await committed(20_000_000n);
    const address = intent.originIntentAddress as Address;
    await f.abort(t.trails, intent.intentId, USER);
    const before = await f.balance(A, usdc, user);
    await f.transfer(A, USER, usdc, address, 20_000_000n);
    await f.waitStatus(t.trails, intent.intentId, "REFUNDED");
    await until(
      () => f.balance(A, usdc, user),
      (b) => b === before,
      "the first refund",
    );
    // The user pays again, to the same address: it must come back as well.
    await f.transfer(A, USER, usdc, address, 20_000_000n);
    await until(
      () => f.balance(A, usdc, user),
      (b) => b === before,
      "the second deposit to come back",
    );
    expect(await f.balance(A, usdc, address)).toBe(0n);
    // Settled: a bounded number of events, and no more being written.
    const events = await until(
      () => intentEvents(t.db, intent.intentId),
      (list) => list.some((e) => e.type === "refund.late_deposit"),
      "the second refund to be recorded",
    );
    const count = events.length;
    expect(count).toBeLessThan(20);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await intentEvents(t.db, intent.intentId)).length).toBe(count);
    const types = (await intentEvents(t.db, intent.intentId)).map((e) => e.type);
    expect(types.filter((type) => type === "refund.sent")).toHaveLength(2);
    expect(types).toContain("refund.late_deposit");
  });

  it("a deposit to the right address on the wrong chain is returned there; the intent still completes", async () => {
    const recipient = freshAddress();
    const intent = await committed(30_000_000n, recipient);
    const address = intent.originIntentAddress as Address;
    // The deposit address is the same on every chain: this one lands on chain C, not A.
    const usdcC = f.token(C, "USDC");
    const beforeC = await f.balance(C, usdcC, user);
    await f.transfer(C, USER, usdcC, address, 30_000_000n);
    await until(
      () => f.balance(C, usdcC, address),
      (b) => b === 0n,
      "the wrong-chain deposit to be returned",
    );
    expect(await f.balance(C, usdcC, user)).toBe(beforeC);
    expect((await t.trails.getIntent({ intentId: intent.intentId })).intent.status).toBe("COMMITTED");
    const events = await intentEvents(t.db, intent.intentId);
    expect(events.some((e) => e.type === "refund.sent" && e.data.chainId === f.chain(C).chainId)).toBe(true);
    // The real deposit, on chain A, is filled.
    const hash = await f.transfer(A, USER, f.token(A, "USDC"), address, 30_000_000n);
    await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
    expect((await f.waitFinal(t.trails, intent.intentId)).status).toBe("SUCCEEDED");
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(intent.quote.toAmount);
  });
});
