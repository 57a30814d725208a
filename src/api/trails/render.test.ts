import { describe, expect, it } from "vitest";
import { testPlan, USDC } from "../../../test/support/plans.ts";
import type { DepositView, IntentView, TxView } from "../../engine/engine.ts";
import type { AppContext } from "../context.ts";
import { renderReceipt } from "./render.ts";

const SETTLEMENT = "0x00000000000000000000000000000000000000e5";
const WETH = "0x00000000000000000000000000000000000000b2";
const ctx = {
  registry: { chain: () => ({ contracts: { Settlement: SETTLEMENT } }), token: () => undefined },
} as unknown as AppContext;

const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const tx = (
  kind: TxView["kind"],
  status: TxView["status"],
  n: number,
  extra: Partial<TxView> = {},
): TxView => ({
  kind,
  chainId: kind === "fill" ? 2 : 1,
  status,
  hash: hash(n),
  asset: kind === "refund" ? USDC : null,
  blockNumber: status === "pending" ? null : BigInt(n),
  detail: null,
  ...extra,
});
const deposit = (n: number, amount = 100n, extra: Partial<DepositView> = {}): DepositView => ({
  chainId: 1,
  token: USDC,
  from: "0x00000000000000000000000000000000000000c3",
  amount,
  txHash: hash(n),
  ...extra,
});

function view(overrides: Partial<IntentView>): IntentView {
  const plan = testPlan();
  return {
    id: plan.intentId,
    seq: 1,
    plan,
    status: "EXECUTING",
    statusReason: null,
    depositTxHash: null,
    settled: false,
    final: false,
    depositCounted: true,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    txs: [],
    deposits: [],
    ...overrides,
  };
}
const final = { final: true, settled: false } as const;

describe("the intent receipt", () => {
  it("is done at the fill: the origin leg names the deposit that paid, the sweep goes beside the legs", () => {
    const { receipt, done } = renderReceipt(
      ctx,
      view({
        status: "SUCCEEDED",
        ...final,
        deposits: [deposit(1)],
        txs: [tx("fill", "mined", 2), tx("sweep", "pending", 3)],
      }),
    );
    expect(done).toBe(true);
    expect(receipt.originTransaction).toMatchObject({ status: "SUCCEEDED", txnHash: hash(1) });
    expect(receipt.destinationTransaction).toMatchObject({ status: "SUCCEEDED", txnHash: hash(2) });
    expect(receipt.sweepTransaction).toMatchObject({ status: "SENT" });
    expect(receipt.sweepTransaction?.txnHash).toBeUndefined();
  });

  it("keeps its legs when a later deposit is returned after delivery, or a stray asset", () => {
    const txs = [
      tx("fill", "mined", 2),
      tx("sweep", "mined", 3),
      tx("refund", "mined", 4),
      tx("refund", "mined", 5, { asset: WETH }),
    ];
    const { receipt, done } = renderReceipt(
      ctx,
      view({
        status: "SUCCEEDED",
        ...final,
        deposits: [deposit(1), deposit(6, 7n)],
        depositTxHash: hash(1),
        txs,
      }),
    );
    expect(done).toBe(true);
    expect(receipt.originTransaction.txnHash).toBe(hash(1));
    expect(receipt.sweepTransaction?.txnHash).toBe(hash(3));
  });

  it("names the deposit that completed the amount, not a short one returned before, nor one on another chain", () => {
    const deposits = [deposit(1, 10n), deposit(2, 100n), deposit(3, 100n, { chainId: 9 })];
    const { receipt } = renderReceipt(
      ctx,
      view({
        status: "SUCCEEDED",
        ...final,
        deposits,
        txs: [tx("refund", "mined", 4), tx("fill", "mined", 5)],
      }),
    );
    expect(receipt.depositTransaction.txnHash).toBe(hash(2));
    expect(receipt.originTransaction.txnHash).toBe(hash(2));
    expect(receipt.depositTransaction.tokenAmount).toBe("110");
  });

  it("an abort with the deposit still there is done only once its refund is mined and nothing is pending", () => {
    const aborted = { status: "ABORTED", final: true, deposits: [deposit(1)] } satisfies Partial<IntentView>;
    const pending = renderReceipt(
      ctx,
      view({ ...aborted, settled: false, txs: [tx("refund", "pending", 2)] }),
    );
    expect(pending.done).toBe(false);
    const reverted = renderReceipt(
      ctx,
      view({ ...aborted, settled: false, txs: [tx("refund", "reverted", 2)] }),
    );
    expect(reverted.done).toBe(false);
    const refunded = renderReceipt(ctx, view({ ...aborted, settled: true, txs: [tx("refund", "mined", 2)] }));
    expect(refunded.done).toBe(true);
    expect(refunded.receipt.originTransaction).toMatchObject({ status: "SUCCEEDED", txnHash: hash(2) });
  });

  it("a refunded intent keeps naming its refund when a later deposit is returned too", () => {
    const { receipt } = renderReceipt(
      ctx,
      view({
        status: "REFUNDED",
        final: true,
        settled: true,
        deposits: [deposit(1), deposit(3)],
        txs: [tx("refund", "mined", 2), tx("refund", "mined", 4)],
      }),
    );
    expect(receipt.originTransaction.txnHash).toBe(hash(2));
  });

  it("a stray asset's return while the intent waits is not a refund of it", () => {
    const { receipt, done } = renderReceipt(
      ctx,
      view({ status: "COMMITTED", depositCounted: false, txs: [tx("refund", "mined", 2, { asset: WETH })] }),
    );
    expect(done).toBe(false);
    expect(receipt.originTransaction.status).toBe("ON_HOLD");
    expect(receipt.originTransaction.txnHash).toBeUndefined();
  });
});
