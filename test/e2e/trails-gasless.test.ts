import { type FeeOption, type Intent, TradeType, WebrpcError } from "@0xtrails/api";
import { type Address, type Hex, type PrivateKeyAccount, zeroAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devTokenAbi } from "../../src/chains/abi.gen.ts";
import { walletClientFor } from "../../src/chains/clients.ts";
import { permitDomain } from "../../src/chains/gasless.ts";
import { devnetAccount, roleIndex } from "../../src/devnet/accounts.ts";
import { mine, setAutomine, setBalance } from "../../src/devnet/anvil-rpc.ts";
import { depositSignature, signGasless, type Tweak } from "../support/gasless.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows } from "../support/trails-flow.ts";

let t: TestJunction;
let f: ReturnType<typeof flows>;
beforeAll(async () => {
  t = await startTestJunction();
  f = flows(t);
});
afterAll(() => t?.stop());

const A = 0;
const B = 1;
const FUNDER = 2;
const collector = devnetAccount(roleIndex.feeCollector).address;

/** A user who holds USDC on chain A and no native coin at all: they cannot pay for gas. */
async function gaslessUser(usdc: bigint): Promise<PrivateKeyAccount> {
  const user = privateKeyToAccount(generatePrivateKey());
  await f.transfer(A, FUNDER, f.token(A, "USDC"), user.address, usdc);
  expect(await f.balance(A, zeroAddress, user.address)).toBe(0n);
  return user;
}

async function committedIntent(owner: Address, recipient: Address = freshAddress()) {
  const res = await t.trails.quoteIntent({
    ownerAddress: owner,
    originChainId: f.chain(A).chainId,
    originTokenAddress: f.token(A, "USDC"),
    destinationChainId: f.chain(B).chainId,
    destinationTokenAddress: f.token(B, "USDC"),
    destinationToAddress: recipient,
    tradeType: TradeType.EXACT_INPUT,
    originTokenAmount: 50_000_000n,
  });
  await t.trails.commitIntent({ intent: res.intent });
  return { ...res, recipient };
}

const entrypoint = () => f.chain(A).contracts.IntentEntrypoint;
const chainNow = async () => (await f.client(A).getBlock()).timestamp;

/** Signs as the user's wallet would on chain A; `tweak` changes what is signed, for the refusals. */
const sign = (signer: PrivateKeyAccount, intent: Intent, option: FeeOption, tweak?: Tweak) =>
  signGasless(
    { client: f.client(A), chainId: f.chain(A).chainId, entrypoint: entrypoint() },
    signer,
    intent,
    option,
    tweak,
  );

async function refusal(call: Promise<unknown>): Promise<WebrpcError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WebrpcError);
  return err as WebrpcError;
}

describe("gasless deposits (ERC-2612 permit, method B) through the real Trails client", () => {
  it("QuoteIntent offers a permit fee option in the deposit token, priced from a real gas estimate", async () => {
    const { intent, gasFeeOptions, feeOptions } = (await t.trails.quoteIntent({
      ownerAddress: devnetAccount(1).address,
      originChainId: f.chain(A).chainId,
      originTokenAddress: f.token(A, "USDC"),
      destinationChainId: f.chain(B).chainId,
      destinationTokenAddress: f.token(B, "USDC"),
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: 50_000_000n,
    })) as Awaited<ReturnType<TestJunction["trails"]["quoteIntent"]>> & { feeOptions: unknown };
    expect(gasFeeOptions.feeOptions).toHaveLength(1);
    const [option] = gasFeeOptions.feeOptions as [FeeOption];
    expect(option.tokenAddress).toBe(f.token(A, "USDC"));
    expect(option.is2612).toBe(true);
    expect(option.feeCollectorAddress).toBe(collector);
    expect(gasFeeOptions.feeCollectorAddress).toBe(collector);
    expect(gasFeeOptions.expiresAt).toBe(intent.expiresAt);
    // A permit deposit costs well over a plain transfer's 21,000 gas (bench:gas: about 100,000 to 150,000).
    expect(gasFeeOptions.gasEstimate.totalGas).toBeGreaterThan(80_000);
    const gasPrice = BigInt(gasFeeOptions.gasEstimate.gasPrice);
    // USDC at $1 and ETH at $3,000 (devnet prices): gas × price, in USDC base units, plus the 20% margin.
    const nativeCost = BigInt(gasFeeOptions.gasEstimate.totalGas) * gasPrice;
    const atCost = (nativeCost * 3000n * 10n ** 6n + 10n ** 18n - 1n) / 10n ** 18n;
    expect(option.amount).toBeGreaterThanOrEqual(atCost);
    expect(option.amount).toBeLessThanOrEqual((atCost * 12n) / 10n + 1n);
    // The documented top-level name for the same list.
    expect(feeOptions).toEqual(
      JSON.parse(
        JSON.stringify(gasFeeOptions.feeOptions, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      ),
    );
  });

  it("pays across chains for a user with no native coin: the relayer pays gas, the collector gets the fee", async () => {
    const user = await gaslessUser(100_000_000n);
    const { intent, gasFeeOptions, recipient } = await committedIntent(user.address);
    const option = gasFeeOptions.feeOptions[0] as FeeOption;
    const signed = await sign(user, intent, option);
    const usdcA = f.token(A, "USDC");
    const collectorBefore = await f.balance(A, usdcA, collector);
    const res = await t.trails.executeIntent({
      intentId: intent.intentId,
      depositSignature: depositSignature(signed, option),
    });
    expect(res.intentStatus).toBe("EXECUTING");
    const receipt = await f.waitFinal(t.trails, intent.intentId);
    expect(receipt.status).toBe("SUCCEEDED");
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(intent.quote.toAmount);
    expect(await f.balance(A, usdcA, user.address)).toBe(
      100_000_000n - intent.depositTransaction.amount - option.amount,
    );
    expect(await f.balance(A, zeroAddress, user.address)).toBe(0n);
    expect((await f.balance(A, usdcA, collector)) - collectorBefore).toBe(option.amount);
    const entry = receipt.depositTransaction.depositIntentEntry;
    expect(entry?.feeAmount).toBe(option.amount.toString());
    expect(entry?.userNonce).toBe(Number(signed.userNonce));
    expect(receipt.depositTransaction.status).toBe("SUCCEEDED");

    // The same signatures again: the intent has moved on, and nothing more leaves the wallet.
    const replay = await refusal(
      t.trails.executeIntent({
        intentId: intent.intentId,
        depositSignature: depositSignature(signed, option),
      }),
    );
    expect(replay.code).toBe(2004);
    expect(await f.balance(A, usdcA, user.address)).toBe(
      100_000_000n - intent.depositTransaction.amount - option.amount,
    );
  });

  it("fails the intent when the relayed deposit reverts (the user spent the tokens first), taking nothing", async () => {
    const user = await gaslessUser(60_000_000n);
    const { intent, gasFeeOptions, recipient } = await committedIntent(user.address);
    const option = gasFeeOptions.feeOptions[0] as FeeOption;
    const signed = await sign(user, intent, option);
    const client = f.client(A);
    const usdcA = f.token(A, "USDC");
    const collectorBefore = await f.balance(A, usdcA, collector);
    const elsewhere = freshAddress();
    await setAutomine(client, false);
    try {
      const res = await t.trails.executeIntent({
        intentId: intent.intentId,
        depositSignature: depositSignature(signed, option),
      });
      expect(res.intentStatus).toBe("EXECUTING");
      // While the relayer's deposit waits in the pool, the user moves every token away with a
      // higher tip, so theirs is mined first and the deposit finds nothing to take.
      await setBalance(client, user.address, 10n ** 17n);
      await walletClientFor(f.chain(A).viem, user).writeContract({
        address: usdcA,
        abi: devTokenAbi,
        functionName: "transfer",
        args: [elsewhere, 60_000_000n],
        // Fixed gas: an estimate would run against the pool, where the deposit already took the tokens.
        gas: 100_000n,
        maxPriorityFeePerGas: 100_000_000_000n,
        maxFeePerGas: 200_000_000_000n,
      });
      await mine(client);
    } finally {
      await setAutomine(client, true);
    }
    const receipt = await f.waitStatus(t.trails, intent.intentId, "FAILED");
    expect(receipt.depositTransaction.status).toBe("REVERTED");
    expect(receipt.depositTransaction.statusReason).toMatch(/reverted; nothing was taken from the owner/);
    expect(await f.balance(A, usdcA, elsewhere)).toBe(60_000_000n);
    expect(await f.balance(A, usdcA, collector)).toBe(collectorBefore);
    expect(await f.balance(A, usdcA, intent.depositTransaction.toAddress as Address)).toBe(0n);

    // The signatures are still valid, and public in the reverted transaction: once the user holds
    // the tokens again, a stranger sends the same call. The user is not charged the fee for a
    // refund: the intent is revived and the payment the user signed for is made.
    await f.transfer(A, FUNDER, usdcA, user.address, 60_000_000n);
    const failedRelay = await client.getTransaction({ hash: receipt.depositTransaction.txnHash as Hex });
    const stranger = walletClientFor(f.chain(A).viem, privateKeyToAccount(devnetAccount(FUNDER).privateKey));
    await stranger.sendTransaction({ to: failedRelay.to as Address, data: failedRelay.input });
    const revived = await f.waitStatus(t.trails, intent.intentId, "SUCCEEDED");
    expect(revived.destinationTransaction?.status).toBe("SUCCEEDED");
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(intent.quote.toAmount);
    expect(await f.balance(A, usdcA, collector)).toBe(collectorBefore + option.amount);
    expect(await f.balance(A, usdcA, user.address)).toBe(60_000_000n - 50_000_000n - option.amount);
  });

  it("takes the documented flat request shape", async () => {
    const user = await gaslessUser(60_000_000n);
    const { intent, gasFeeOptions, recipient } = await committedIntent(user.address);
    const option = gasFeeOptions.feeOptions[0] as FeeOption;
    const signed = await sign(user, intent, option);
    const res = await fetch(`${t.url}/rpc/Trails/ExecuteIntent`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        intentId: intent.intentId,
        feeOption: { ...option, amount: option.amount.toString() },
        permitSignature: signed.permitSignature,
        intentSignature: signed.intentSignature,
        depositSignature: signed.intentSignature,
        nonce: Number(signed.userNonce),
        deadline: Number(signed.deadline),
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ intentId: intent.intentId, intentStatus: "EXECUTING" });
    expect((await f.waitFinal(t.trails, intent.intentId)).status).toBe("SUCCEEDED");
    expect(await f.balance(B, f.token(B, "USDC"), recipient)).toBe(intent.quote.toAmount);
  });

  it("refuses a token without permits, saying so", async () => {
    const { intent, gasFeeOptions } = await t.trails.quoteIntent({
      ownerAddress: devnetAccount(1).address,
      originChainId: f.chain(A).chainId,
      originTokenAddress: zeroAddress,
      destinationChainId: f.chain(B).chainId,
      destinationTokenAddress: f.token(B, "USDC"),
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: 10n ** 16n,
    });
    expect(gasFeeOptions.feeOptions).toEqual([]);
    await t.trails.commitIntent({ intent });
    const err = await refusal(
      t.trails.executeIntent({
        intentId: intent.intentId,
        depositSignature: {
          intentSignature: `0x${"11".repeat(65)}`,
          selectedGasFeeOption: {
            tokenAddress: zeroAddress,
            tokenSymbol: "ETH",
            tokenDecimals: 18,
            amount: 1n,
            amountUsd: 0,
            feeCollectorAddress: collector,
            is2612: false,
          },
          userNonce: 0,
          deadline: Number((await chainNow()) + 300n),
        },
      }),
    );
    expect(err.code).toBe(2000);
    expect(err.message).toMatch(/native coin.*no ERC-2612 permit/);
    // The probe behind is2612 tells a token without permits from one with them.
    expect(await permitDomain(f.client(A), f.chain(A).contracts.DemoVault as Address)).toBeNull();
    expect(await permitDomain(f.client(A), f.token(A, "USDC"))).not.toBeNull();
  });

  describe("refuses, naming the field, and nothing moves", () => {
    const cases: {
      name: string;
      field: RegExp;
      make: (user: PrivateKeyAccount, intent: Intent, option: FeeOption) => Promise<Record<string, unknown>>;
    }[] = [
      {
        name: "an intent signed by another wallet",
        field: /^intentSignature: not the owner/,
        make: async (user, intent, option) => {
          const other = privateKeyToAccount(generatePrivateKey());
          const forged = await sign(other, intent, option, { owner: user.address });
          const honest = await sign(user, intent, option);
          return depositSignature({ ...honest, intentSignature: forged.intentSignature }, option);
        },
      },
      {
        name: "a permit signed by another wallet",
        field: /^permitSignature: not the owner/,
        make: async (user, intent, option) => {
          const other = privateKeyToAccount(generatePrivateKey());
          const forged = await sign(other, intent, option, { owner: user.address });
          const honest = await sign(user, intent, option);
          return depositSignature({ ...honest, permitSignature: forged.permitSignature }, option);
        },
      },
      {
        name: "a nonce that is not the entrypoint's next",
        field: /^userNonce: 7 is not the owner's next nonce on the entrypoint \(0\)/,
        make: async (user, intent, option) =>
          depositSignature(await sign(user, intent, option, { nonce: 7n }), option),
      },
      {
        name: "a deadline that has passed",
        field: /^deadline: .* has passed/,
        make: async (user, intent, option) =>
          depositSignature(await sign(user, intent, option, { deadline: (await chainNow()) - 10n }), option),
      },
      {
        name: "a fee option that was not offered",
        field: /^selectedGasFeeOption: not a fee option QuoteIntent offered/,
        make: async (user, intent, option) => {
          const cheaper = { ...option, amount: option.amount - 1n };
          return depositSignature(await sign(user, intent, cheaper), cheaper);
        },
      },
      {
        name: "a permit that does not cover the deposit and the fee",
        field: /^permitAmount: .* does not cover the deposit and the fee/,
        make: async (user, intent, option) =>
          depositSignature(
            await sign(user, intent, option, { permitAmount: intent.depositTransaction.amount }),
            option,
          ),
      },
    ];

    it.each(cases)("$name", async ({ field, make }) => {
      const user = await gaslessUser(100_000_000n);
      const { intent, gasFeeOptions } = await committedIntent(user.address);
      const option = gasFeeOptions.feeOptions[0] as FeeOption;
      const body = await make(user, intent, option);
      const err = await refusal(
        t.trails.executeIntent({ intentId: intent.intentId, depositSignature: body as never }),
      );
      expect(err.code, err.message).toBe(2000);
      expect(err.message).toMatch(field);
      expect(await f.balance(A, f.token(A, "USDC"), user.address)).toBe(100_000_000n);
      const { intent: after } = await t.trails.getIntent({ intentId: intent.intentId });
      expect(after.status).toBe("COMMITTED");
    });
  });
});
