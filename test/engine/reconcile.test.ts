import { TradeType } from "@0xtrails/api";
import { type Address, encodeFunctionData } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoVaultAbi } from "../../src/chains/abi.gen.ts";
import { AMOUNT_PLACEHOLDER } from "../../src/core/calldata.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { intentTxs } from "../../src/store/chain-txs.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";

/**
 * The ledger check against real chains: clean after payments that succeeded and were refunded;
 * each kind of disagreement between the database and the chains is found and named.
 */

let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction();
  f = flows(t);
});
afterAll(() => t?.stop());

const USER = 7;
const owner = devnetAccount(USER).address;
const admin = { authorization: "Bearer devnet-admin" };

async function pay(amount: bigint) {
  const intent = await f.quotePayment(t.trails, owner, { amount, recipient: freshAddress() });
  await t.trails.commitIntent({ intent });
  const hash = await f.transfer(0, USER, f.token(0, "USDC"), intent.originIntentAddress as Address, amount);
  await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
  return (await f.waitFinal(t.trails, intent.intentId)).intentId as string;
}

/** A payment with a destination call: the fill names the owner (who gets the tokens if the call reverts). */
async function payIntoVault(amount: bigint) {
  const vault = f.chain(1).contracts.DemoVault as Address;
  const { intent } = await t.trails.quoteIntent({
    ownerAddress: owner,
    originChainId: f.chain(0).chainId,
    originTokenAddress: f.token(0, "USDC"),
    destinationChainId: f.chain(1).chainId,
    destinationTokenAddress: f.token(1, "USDC"),
    destinationToAddress: vault,
    destinationCallData: encodeFunctionData({
      abi: demoVaultAbi,
      functionName: "deposit",
      args: [BigInt(AMOUNT_PLACEHOLDER), freshAddress()],
    }),
    tradeType: TradeType.EXACT_INPUT,
    originTokenAmount: amount,
  });
  await t.trails.commitIntent({ intent });
  const hash = await f.transfer(0, USER, f.token(0, "USDC"), intent.originIntentAddress as Address, amount);
  await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
  expect((await f.waitFinal(t.trails, intent.intentId)).status).toBe("SUCCEEDED");
}

async function reconcileOverHttp(query = "") {
  const res = await fetch(`${t.url}/admin/reconcile${query}`, { headers: admin });
  return {
    status: res.status,
    body: (await res.json()) as {
      rows: unknown[];
      discrepancies: { check: string; subject: string; message: string }[];
    },
  };
}

describe("the ledger check", () => {
  let paid = "";

  it("finds nothing wrong after a payment and a refund, with everything finished", async () => {
    paid = await pay(10_000_000n);
    const refunded = await f.quotePayment(t.trails, owner, { amount: 5_000_000n });
    await t.trails.commitIntent({ intent: refunded });
    await f.abort(t.trails, refunded.intentId, USER);
    await f.transfer(0, USER, f.token(0, "USDC"), refunded.originIntentAddress as Address, 5_000_000n);
    expect((await f.waitStatus(t.trails, refunded.intentId, "REFUNDED")).status).toBe("REFUNDED");
    await payIntoVault(8_000_000n);
    // A quote no one committed is not work in flight.
    await f.quotePayment(t.trails, owner, { amount: 1_000_000n });

    // A client's receipt is done once the sweep is mined; the engine records it a moment later.
    const report = await until(
      () => reconcileOverHttp("?finished=true"),
      (r) => r.body.discrepancies.length === 0,
      "the ledger check to find everything finished",
      10_000,
    );
    expect(report.body.discrepancies).toEqual([]);
    expect(report.status).toBe(200);
    expect(report.body.rows).toContainEqual({ check: "paid once", checked: 4, discrepancies: 0 });
    expect((await fetch(`${t.url}/admin/reconcile`)).status).toBe(401);
  });

  it("names an intent whose status the chain contradicts, and a fill the database lost track of", async () => {
    await t.db.updateTable("intents").set({ status: "REFUNDED" }).where("id", "=", paid).execute();
    const [fill] = (await intentTxs(t.db, paid)).filter((tx) => tx.kind === "fill");
    const lost = `0x${"ee".repeat(32)}`;
    await t.db
      .updateTable("chain_txs")
      .set({ hash: lost })
      .where("id", "=", fill?.id as string)
      .execute();

    const report = await reconcileOverHttp();
    expect(report.status).toBe(409);
    expect(report.body.discrepancies).toEqual(
      expect.arrayContaining([
        {
          check: "status matches the chain",
          subject: paid,
          message: "is REFUNDED but Settlement records a fill",
        },
        {
          check: "status matches the chain",
          subject: paid,
          message: "is REFUNDED but its deposit was swept",
        },
        {
          check: "transactions on chain",
          subject: lost,
          message: "recorded as mined, but the chain has no receipt for it",
        },
        expect.objectContaining({ check: "inventory outflows explained", subject: fill?.hash }),
      ]),
    );
  });
});
