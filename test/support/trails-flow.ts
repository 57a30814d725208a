import { TradeType, type TrailsApi } from "@0xtrails/api";
import { type Address, type Hex, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { expect } from "vitest";
import { devTokenAbi } from "../../src/chains/abi.gen.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import type { RuntimeChain } from "../../src/chains/registry.ts";
import { abortMessage } from "../../src/core/intent/authority.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import type { TestJunction } from "./junction.ts";
import { balanceOf, mined } from "./onchain.ts";
import { until } from "./until.ts";

/** Helpers for driving whole payments through the real Trails client on a test Junction. */
export function flows(t: TestJunction) {
  const registry = t.junction.ctx.registry;
  const chain = (index: number): RuntimeChain => registry.chains[index] as RuntimeChain;
  const token = (index: number, symbol: string): Address => {
    const found = chain(index).tokens.find((tk) => tk.symbol === symbol);
    if (!found) throw new Error(`no ${symbol}`);
    return found.address;
  };
  const client = (index: number) => publicClientFor(chain(index).viem);
  const wallet = (index: number, account: number) =>
    walletClientFor(chain(index).viem, privateKeyToAccount(devnetAccount(account).privateKey));

  /** Sends `amount` of `tokenAddress` (zero address: native) from test account `account` to `to`. */
  async function transfer(
    index: number,
    account: number,
    tokenAddress: Address,
    to: Address,
    amount: bigint,
  ) {
    const w = wallet(index, account);
    const hash: Hex =
      tokenAddress === zeroAddress
        ? await w.sendTransaction({ to, value: amount })
        : await w.writeContract({
            address: tokenAddress,
            abi: devTokenAbi,
            functionName: "transfer",
            args: [to, amount],
          });
    await mined(client(index), hash);
    return hash;
  }

  /**
   * Quotes a USDC payment from chain 0 to chain 1 for `owner` (to `recipient`, else the owner),
   * with a destination call when `callData` is given.
   */
  async function quotePayment(
    trails: TrailsApi,
    owner: Address,
    {
      amount = 10_000_000n,
      recipient,
      callData,
    }: { amount?: bigint; recipient?: Address; callData?: Hex } = {},
  ) {
    const { intent } = await trails.quoteIntent({
      ownerAddress: owner,
      originChainId: chain(0).chainId,
      originTokenAddress: token(0, "USDC"),
      destinationChainId: chain(1).chainId,
      destinationTokenAddress: token(1, "USDC"),
      ...(recipient ? { destinationToAddress: recipient } : {}),
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: amount,
      ...(callData ? { destinationCallData: callData } : {}),
    });
    return intent;
  }

  /** Long-polls with the client until the receipt is done: final, with every leg's transaction mined. */
  async function waitFinal(trails: TrailsApi, intentId: string, timeoutMs = 45_000) {
    const deadline = Date.now() + timeoutMs;
    let states: string[] | undefined;
    for (;;) {
      const res = await trails.waitIntentReceipt({
        intentId,
        ...(states ? { lastReceiptStates: states as never } : {}),
      });
      if (res.done) return res.intentReceipt;
      states = res.receiptStates;
      if (Date.now() > deadline)
        throw new Error(`intent ${intentId} not done: ${JSON.stringify(res.receiptStates)}`);
    }
  }

  /**
   * Waits until the engine is through with the intent: done, and once delivered, its sweep mined
   * too (the sweep settles the deposit address and returns an over-deposit's excess).
   */
  async function waitSettled(trails: TrailsApi, intentId: string) {
    const receipt = await waitFinal(trails, intentId);
    if (receipt.originTransaction.txnHash !== receipt.depositTransaction.txnHash) return receipt;
    return until(
      async () => (await trails.getIntentReceipt({ intentId })).intentReceipt,
      (r) => sweepOf(r)?.status === "SUCCEEDED",
      `the sweep of intent ${intentId}`,
    );
  }

  /** Polls until the intent reaches `status` (a late deposit can change a finished intent). */
  async function waitStatus(trails: TrailsApi, intentId: string, status: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { intentReceipt } = await trails.getIntentReceipt({ intentId });
      if (intentReceipt.status === status) return intentReceipt;
      if (Date.now() > deadline)
        throw new Error(`intent ${intentId} is ${intentReceipt.status}, not ${status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * AbortIntent through the real client, with the owner's signature (test account `account`) in
   * the extra field `ownerSignature`, which the client passes through.
   */
  async function abort(trails: TrailsApi, intentId: string, account: number) {
    const ownerSignature = await privateKeyToAccount(devnetAccount(account).privateKey).signMessage({
      message: abortMessage(intentId),
    });
    const req = { intentId, chainId: 0, abortTransactionHash: "", ownerSignature };
    return trails.abortIntent(req);
  }

  const balance = (index: number, tokenAddress: Address, holder: Address) =>
    balanceOf(client(index), tokenAddress, holder);

  async function expectBalanceChange(
    index: number,
    tokenAddress: Address,
    holder: Address,
    run: () => Promise<unknown>,
    delta: bigint,
  ) {
    const before = await balance(index, tokenAddress, holder);
    await run();
    expect((await balance(index, tokenAddress, holder)) - before).toBe(delta);
  }

  return {
    chain,
    token,
    client,
    wallet,
    transfer,
    quotePayment,
    waitFinal,
    waitSettled,
    waitStatus,
    abort,
    balance,
    expectBalanceChange,
    registry,
  };
}

/** Junction's extra receipt leg, its sweep, which the Trails client's types do not name. */
export const sweepOf = (receipt: object) =>
  (receipt as { sweepTransaction?: { status: string; txnHash?: string } }).sweepTransaction;
