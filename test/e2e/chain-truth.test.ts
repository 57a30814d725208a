import type { Address, Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Chains } from "../../src/chains/gateway.ts";
import { devnetAccount, roleIndex } from "../../src/devnet/accounts.ts";
import { revertTo, setBalance, snapshot } from "../../src/devnet/anvil-rpc.ts";
import { intentTxs } from "../../src/store/chain-txs.ts";
import { intentEvents } from "../../src/store/events.ts";
import { findIntent } from "../../src/store/intents.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";

/**
 * The chain, not the database, is the truth: a deposit that disappears before its fill is never
 * paid for; a fill the chain forgot is sent again, lands once, and the nonce gap it left behind
 * does not hold up later payments; a transaction that waits too long is replaced at its nonce
 * with a higher fee.
 */

/** While set, reading Settlement's fill record fails, as a flaky node would: the fill step waits. */
let holdFills = false;
/** The next fee estimate on this chain is absurdly low, so the transaction signed with it is never mined. */
let cheapFeesOn: number | null = null;

let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction(
    {
      JUNCTION_QUEUE_RETRY_BASE_MS: "40",
      JUNCTION_QUEUE_RETRY_MAX_MS: "200",
      JUNCTION_REPLACE_AFTER_SECONDS: "2",
    },
    "",
    {
      chains: (real: Chains) =>
        Object.assign(Object.create(real) as Chains, {
          isFilled(chainId: number, intentId: Hex) {
            if (holdFills) throw new Error("RPC: connection reset by peer");
            return real.isFilled(chainId, intentId);
          },
          async feesPerGas(chainId: number) {
            if (cheapFeesOn !== chainId) return real.feesPerGas(chainId);
            cheapFeesOn = null;
            return { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n };
          },
        }),
    },
  );
  f = flows(t);
});
afterAll(() => t?.stop());

const USER = 6;
const owner = devnetAccount(USER).address;
const A = 0;
const B = 1;

/** A committed payment A → B with its deposit made and announced. */
async function paid(amount: bigint, recipient: Address) {
  const intent = await f.quotePayment(t.trails, owner, { amount, recipient });
  await t.trails.commitIntent({ intent });
  const hash = await f.transfer(A, USER, f.token(A, "USDC"), intent.originIntentAddress as Address, amount);
  await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
  return intent;
}

const eventTypes = async (id: string) => (await intentEvents(t.db, id)).map((e) => e.type);

describe("the chain is the truth", () => {
  it("a deposit that a reorg takes away before its fill is never filled; the intent fails at its deadline", async () => {
    const recipient = freshAddress();
    const before = await snapshot(f.client(A));
    holdFills = true;
    const intent = await paid(10_000_000n, recipient);
    await until(
      () => findIntent(t.db, intent.intentId),
      (row) => row?.stage === "fill" && row.attempts > 0,
      "the fill step to be waiting on its flaky read",
    );
    // The blocks with the deposit disappear; then the node recovers.
    await revertTo(f.client(A), before);
    expect(await f.balance(A, f.token(A, "USDC"), intent.originIntentAddress as Address)).toBe(0n);
    holdFills = false;
    await until(
      () => eventTypes(intent.intentId),
      (types) => types.includes("deposit.vanished"),
      "deposit.vanished",
    );
    expect((await intentTxs(t.db, intent.intentId)).filter((tx) => tx.kind === "fill")).toEqual([]);
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(0n);

    const lifetime = Date.parse(intent.expiresAt as string) - Date.now() + 700_000;
    t.advanceClock(lifetime);
    try {
      const failed = await f.waitStatus(t.trails, intent.intentId, "FAILED");
      expect(failed).toBeDefined();
    } finally {
      t.advanceClock(-lifetime);
    }
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(0n);
  });

  it("a fill the chain forgot is sent again and lands once; the later payment behind its nonce completes", async () => {
    const before = await snapshot(f.client(B));
    const first = freshAddress();
    const one = await paid(11_000_000n, first);
    expect((await f.waitFinal(t.trails, one.intentId)).status).toBe("SUCCEEDED");
    const delivered = await f.balance(B, f.token(B, "USDC"), first);
    expect(delivered).toBeGreaterThan(0n);

    // Chain B loses the blocks with the fill (deeper than its confirmations): the recipient has
    // nothing there, and the solver's next nonce on B is the forgotten fill's again.
    await revertTo(f.client(B), before);
    expect(await f.balance(B, f.token(B, "USDC"), first)).toBe(0n);

    const second = freshAddress();
    const two = await paid(12_000_000n, second);
    expect((await f.waitFinal(t.trails, two.intentId)).status).toBe("SUCCEEDED");
    expect(await f.balance(B, f.token(B, "USDC"), second)).toBeGreaterThan(0n);
    // The forgotten fill landed again, once: the first recipient holds what it was sent, no more.
    await until(
      () => f.balance(B, f.token(B, "USDC"), first),
      (v) => v === delivered,
      "the first fill again",
    );
    const [fill] = (await intentTxs(t.db, one.intentId)).filter((tx) => tx.kind === "fill");
    await until(
      async () => (await intentTxs(t.db, one.intentId)).find((tx) => tx.id === fill?.id)?.status,
      (status) => status === "mined",
      "the forgotten fill recorded as mined again",
    );
  });

  it("a transaction that waits too long is replaced at its nonce with a higher fee, and lands once", async () => {
    const recipient = freshAddress();
    cheapFeesOn = f.chain(B).chainId;
    const intent = await paid(13_000_000n, recipient);
    expect((await f.waitFinal(t.trails, intent.intentId)).status).toBe("SUCCEEDED");
    const fills = (await intentTxs(t.db, intent.intentId)).filter((tx) => tx.kind === "fill");
    expect(fills).toHaveLength(1);
    expect(fills[0]?.prior_hashes).toHaveLength(1);
    expect(fills[0]?.status).toBe("mined");
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(BigInt(intent.quote?.toAmount ?? 0));
  });

  it("a solver short of gas stops new quotes with a clear error and shows in /health, until it is topped up", async () => {
    const solver = devnetAccount(roleIndex.solver).address;
    const chainB = f.chain(B).chainId;
    const before = await f.client(B).getBalance({ address: solver });
    await setBalance(f.client(B), solver, 10n ** 15n); // 0.001 ETH, under the 0.01 floor
    try {
      const refusal = await until(
        () =>
          f.quotePayment(t.trails, owner).then(
            () => null,
            (err: { message: string; status: number }) => err,
          ),
        (err) => err !== null,
        "quotes to be refused",
      );
      expect(refusal?.status).toBe(400);
      expect(refusal?.message).toMatch(
        new RegExp(
          `solver on chain ${chainB} \\(${solver}\\) holds 0\\.001 ETH, under its floor of 0\\.01 ETH`,
        ),
      );
      const health = (await (await fetch(`${t.url}/health`)).json()) as {
        status: string;
        lowOnGas: unknown[];
      };
      expect(health.status).toBe("degraded");
      expect(health.lowOnGas).toEqual([
        expect.objectContaining({ chainId: chainB, role: "solver", address: solver }),
      ]);
    } finally {
      await setBalance(f.client(B), solver, before);
    }
    await until(
      () =>
        f.quotePayment(t.trails, owner).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      "quotes to resume",
    );
  });
});
