import {
  type Abi,
  type Address,
  encodeFunctionData,
  type Hex,
  isAddressEqual,
  parseEther,
  parseEventLogs,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  demoVaultAbi,
  devTokenAbi,
  executorAbi,
  multicall3Abi,
  settlementAbi,
} from "../../src/chains/abi.gen.ts";
import { toViemChain } from "../../src/chains/chain.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import { wellKnownAddresses } from "../../src/chains/well-known.ts";
import { setCode } from "../../src/devnet/anvil-rpc.ts";
import { startTestDevnet, type TestDevnet } from "../support/devnet.ts";
import {
  balanceOf as balanceOn,
  type Client,
  expectRevert as expectRevertOn,
  freshAddress,
  fundedStranger,
  mined as minedOn,
  newIntentId,
  type Wallet,
} from "../support/onchain.ts";

const errorsAbi = [...settlementAbi, ...executorAbi] as Abi;
const PLACEHOLDER = `0x${"deadbeef".repeat(8)}` as Hex;
const NO_OFFSET = 2n ** 256n - 1n;

let td: TestDevnet;
let client: Client;
let solver: Wallet;
let attacker: Wallet;
let settlement: Address;
let executor: Address;
let vault: Address;
let usdc: Address;

/** Reverts with `errorName` in simulation and again on-chain in a mined transaction (fixed gas). */

const isFilled = (intentId: Hex): Promise<boolean> =>
  client.readContract({ address: settlement, abi: settlementAbi, functionName: "filled", args: [intentId] });

const fillData = (intentId: Hex, token: Address, amount: bigint, recipient: Address): Hex =>
  encodeFunctionData({
    abi: settlementAbi,
    functionName: "fill",
    args: [intentId, token, amount, recipient],
  });

const fillWithCallData = (
  intentId: Hex,
  token: Address,
  amount: bigint,
  fallbackRecipient: Address,
  target: Address,
  data: Hex,
  amountOffset: bigint,
): Hex =>
  encodeFunctionData({
    abi: settlementAbi,
    functionName: "fillWithCall",
    args: [intentId, token, amount, fallbackRecipient, target, data, amountOffset],
  });

const vaultDeposit = (assets: bigint | Hex, receiver: Address): Hex =>
  encodeFunctionData({
    abi: demoVaultAbi,
    functionName: "deposit",
    args: [typeof assets === "bigint" ? assets : BigInt(assets), receiver],
  });

interface CallFrame {
  from: Address;
  to?: Address;
  input: Hex;
  value?: Hex;
  error?: string;
  calls?: CallFrame[];
}

/** The calls the Executor made to `target` in a mined transaction, from anvil's call tracer. */
async function executorCallsTo(hash: Hex, target: Address): Promise<CallFrame[]> {
  const root = (await client.request({
    method: "debug_traceTransaction" as never,
    params: [hash, { tracer: "callTracer" }] as never,
  })) as CallFrame;
  const found: CallFrame[] = [];
  const walk = (frame: CallFrame) => {
    if (isAddressEqual(frame.from, executor) && frame.to && isAddressEqual(frame.to, target))
      found.push(frame);
    for (const child of frame.calls ?? []) walk(child);
  };
  walk(root);
  return found;
}

async function executorIsEmpty(token: Address, spender: Address): Promise<void> {
  expect(await balanceOf(token, executor)).toBe(0n);
  expect(await balanceOf(zeroAddress, executor)).toBe(0n);
  if (token !== zeroAddress) {
    const allowance = await client.readContract({
      address: token,
      abi: devTokenAbi,
      functionName: "allowance",
      args: [executor, spender],
    });
    expect(allowance).toBe(0n);
  }
}

function filledEvent(receipt: Awaited<ReturnType<typeof mined>>) {
  const events = parseEventLogs({ abi: settlementAbi, eventName: "Filled", logs: receipt.logs });
  expect(events).toHaveLength(1);
  return events[0]?.args;
}

const expectRevert = (wallet: Wallet, tx: { to: Address; data: Hex; value?: bigint }, errorName: string) =>
  expectRevertOn(client, errorsAbi, wallet, tx, errorName);
const mined = (hash: Hex) => minedOn(client, hash);
const balanceOf = (token: Address, holder: Address) => balanceOn(client, token, holder);

beforeAll(async () => {
  td = await startTestDevnet();
  const chain = td.devnet.chains[1];
  if (!chain) throw new Error("devnet has no second chain");
  const viemChain = toViemChain(chain.config, chain.rpcUrl);
  client = publicClientFor(viemChain);
  solver = walletClientFor(viemChain, privateKeyToAccount(td.config.keys.solver.reveal()));
  attacker = await fundedStranger(client, parseEther("10"));
  settlement = chain.deployment.contracts.Settlement;
  executor = chain.deployment.contracts.Executor;
  vault = chain.deployment.contracts.DemoVault;
  usdc = chain.deployment.tokens.USDC as Address;
});

afterAll(async () => {
  await td?.stop();
});

describe("Settlement.fill", () => {
  it("pays the recipient in an ERC-20 and in native coin, once per intent", async () => {
    for (const [token, amount] of [
      [usdc, 123_456_789n],
      [zeroAddress, parseEther("2.5")],
    ] as const) {
      const intentId = newIntentId();
      const recipient = freshAddress();
      const settlementBefore = await balanceOf(token, settlement);

      const receipt = await mined(
        await solver.sendTransaction({ to: settlement, data: fillData(intentId, token, amount, recipient) }),
      );
      expect(filledEvent(receipt)).toEqual({ intentId, token, amount, recipient, callSucceeded: true });
      expect(await balanceOf(token, recipient)).toBe(amount);
      expect(await balanceOf(token, settlement)).toBe(settlementBefore - amount);
      expect(await isFilled(intentId)).toBe(true);
    }
  });

  it("rejects a second fill of the same intent and pays nothing", async () => {
    const intentId = newIntentId();
    const first = freshAddress();
    const second = freshAddress();
    await mined(
      await solver.sendTransaction({ to: settlement, data: fillData(intentId, usdc, 5_000_000n, first) }),
    );
    const settlementBefore = await balanceOf(usdc, settlement);

    const args = await expectRevert(
      solver,
      { to: settlement, data: fillData(intentId, usdc, 5_000_000n, second) },
      "AlreadyFilled",
    );
    expect(args).toEqual([intentId]);
    await expectRevert(
      solver,
      { to: settlement, data: fillData(intentId, zeroAddress, parseEther("1"), second) },
      "AlreadyFilled",
    );
    await expectRevert(
      solver,
      {
        to: settlement,
        data: fillWithCallData(
          intentId,
          usdc,
          5_000_000n,
          second,
          vault,
          vaultDeposit(PLACEHOLDER, second),
          4n,
        ),
      },
      "AlreadyFilled",
    );

    expect(await balanceOf(usdc, first)).toBe(5_000_000n);
    expect(await balanceOf(usdc, second)).toBe(0n);
    expect(await balanceOf(zeroAddress, second)).toBe(0n);
    expect(await balanceOf(vault, second)).toBe(0n);
    expect(await balanceOf(usdc, settlement)).toBe(settlementBefore);
  });

  it("lets only the solver fill, without burning the intent", async () => {
    const intentId = newIntentId();
    const thief = attacker.account.address;
    const settlementBefore = await balanceOf(usdc, settlement);

    await expectRevert(
      attacker,
      { to: settlement, data: fillData(intentId, usdc, 1_000_000n, thief) },
      "NotSolver",
    );
    await expectRevert(
      attacker,
      { to: settlement, data: fillData(intentId, zeroAddress, parseEther("1"), thief) },
      "NotSolver",
    );
    await expectRevert(
      attacker,
      { to: settlement, data: fillWithCallData(intentId, usdc, 1_000_000n, thief, thief, "0x", NO_OFFSET) },
      "NotSolver",
    );
    expect(await balanceOf(usdc, thief)).toBe(0n);
    expect(await balanceOf(usdc, settlement)).toBe(settlementBefore);
    expect(await isFilled(intentId)).toBe(false);

    const recipient = freshAddress();
    await mined(
      await solver.sendTransaction({ to: settlement, data: fillData(intentId, usdc, 1_000_000n, recipient) }),
    );
    expect(await balanceOf(usdc, recipient)).toBe(1_000_000n);
  });

  it("records nothing when the payout itself fails (native coin to a contract that refuses it)", async () => {
    const intentId = newIntentId();
    const settlementBefore = await balanceOf(zeroAddress, settlement);
    const args = await expectRevert(
      solver,
      { to: settlement, data: fillData(intentId, zeroAddress, parseEther("1"), vault) },
      "Error",
    );
    expect(args).toEqual(["native transfer failed"]);
    expect(await isFilled(intentId)).toBe(false);
    expect(await balanceOf(zeroAddress, vault)).toBe(0n);
    expect(await balanceOf(zeroAddress, settlement)).toBe(settlementBefore);
  });
});

describe("Settlement.fillBatch", () => {
  const batchData = (
    fills: { intentId: Hex; token: Address; amount: bigint; recipient: Address }[],
    callFills: {
      intentId: Hex;
      token: Address;
      amount: bigint;
      fallbackRecipient: Address;
      target: Address;
      data: Hex;
      amountOffset: bigint;
      gas: bigint;
    }[] = [],
  ): Hex => encodeFunctionData({ abi: settlementAbi, functionName: "fillBatch", args: [fills, callFills] });

  it("pays each order once; one already filled, one that cannot be paid and one whose call reverts do not stop the others", async () => {
    const done = newIntentId();
    await mined(
      await solver.sendTransaction({
        to: settlement,
        data: fillData(done, usdc, 1_000_000n, freshAddress()),
      }),
    );
    const paid = Array.from({ length: 3 }, () => ({
      intentId: newIntentId(),
      token: usdc,
      amount: 2_000_000n,
      recipient: freshAddress(),
    }));
    const native = {
      intentId: newIntentId(),
      token: zeroAddress,
      amount: parseEther("0.5"),
      recipient: freshAddress(),
    };
    const again = { intentId: done, token: usdc, amount: 1_000_000n, recipient: freshAddress() };
    // Native coin to the vault, which refuses it: the payment fails, the intent stays unfilled.
    const refused = {
      intentId: newIntentId(),
      token: zeroAddress,
      amount: parseEther("1"),
      recipient: vault,
    };
    const tooMuch = { intentId: newIntentId(), token: usdc, amount: 10n ** 30n, recipient: freshAddress() };
    const receiver = freshAddress();
    const goodCall = {
      intentId: newIntentId(),
      token: usdc,
      amount: 3_000_000n,
      fallbackRecipient: freshAddress(),
      target: vault,
      data: vaultDeposit(PLACEHOLDER, receiver),
      amountOffset: 4n,
      gas: 500_000n,
    };
    const badCall = {
      ...goodCall,
      intentId: newIntentId(),
      fallbackRecipient: freshAddress(),
      data: vaultDeposit(3_000_001n, receiver),
      amountOffset: NO_OFFSET,
    };
    const settlementBefore = await balanceOf(usdc, settlement);

    const receipt = await mined(
      await solver.sendTransaction({
        to: settlement,
        data: batchData([paid[0], again, native, refused, paid[1], tooMuch, paid[2]] as never, [
          badCall,
          goodCall,
        ]),
      }),
    );
    expect(receipt.status).toBe("success");
    const filledLogs = parseEventLogs({ abi: settlementAbi, eventName: "Filled", logs: receipt.logs });
    expect(filledLogs.map((l) => [l.args.intentId, l.args.callSucceeded])).toEqual([
      [paid[0]?.intentId, true],
      [native.intentId, true],
      [paid[1]?.intentId, true],
      [paid[2]?.intentId, true],
      [badCall.intentId, false],
      [goodCall.intentId, true],
    ]);
    const skipped = parseEventLogs({ abi: settlementAbi, eventName: "FillSkipped", logs: receipt.logs });
    expect(skipped.map((l) => [l.args.intentId, l.args.alreadyFilled])).toEqual([
      [done, true],
      [refused.intentId, false],
      [tooMuch.intentId, false],
    ]);
    for (const p of paid) expect(await balanceOf(usdc, p.recipient)).toBe(2_000_000n);
    expect(await balanceOf(zeroAddress, native.recipient)).toBe(native.amount);
    expect(await balanceOf(usdc, again.recipient)).toBe(0n);
    expect(await balanceOf(usdc, tooMuch.recipient)).toBe(0n);
    expect(await balanceOf(usdc, badCall.fallbackRecipient)).toBe(3_000_000n);
    expect(await balanceOf(usdc, goodCall.fallbackRecipient)).toBe(0n);
    expect(await isFilled(refused.intentId)).toBe(false);
    expect(await isFilled(tooMuch.intentId)).toBe(false);
    for (const id of [...paid.map((p) => p.intentId), native.intentId, badCall.intentId, goodCall.intentId])
      expect(await isFilled(id)).toBe(true);
    expect(await balanceOf(usdc, settlement)).toBe(settlementBefore - 6_000_000n - 6_000_000n);
    await executorIsEmpty(usdc, vault);
  });

  it("undoes a fill with a call whose hand-over fails, and lets only the solver batch", async () => {
    const order = {
      intentId: newIntentId(),
      token: usdc,
      amount: 10n ** 30n,
      fallbackRecipient: freshAddress(),
      target: vault,
      data: vaultDeposit(PLACEHOLDER, freshAddress()),
      amountOffset: 4n,
      gas: 500_000n,
    };
    const receipt = await mined(
      await solver.sendTransaction({ to: settlement, data: batchData([], [order]) }),
    );
    const skipped = parseEventLogs({ abi: settlementAbi, eventName: "FillSkipped", logs: receipt.logs });
    expect(skipped.map((l) => l.args)).toEqual([{ intentId: order.intentId, alreadyFilled: false }]);
    expect(await isFilled(order.intentId)).toBe(false);
    await executorIsEmpty(usdc, vault);

    const plain = { intentId: newIntentId(), token: usdc, amount: 1n, recipient: attacker.account.address };
    await expectRevert(attacker, { to: settlement, data: batchData([plain]) }, "NotSolver");
    expect(await isFilled(plain.intentId)).toBe(false);
  });
});

describe("Settlement.fillBatch against a call that burns every unit of gas it gets", () => {
  it("holds the call to its own gas: it is skipped, the next order is paid, the batch spends no more than the two alone", async () => {
    const burner = freshAddress();
    await setCode(client, burner, "0x5b600056"); // JUMPDEST PUSH1 0 JUMP: loops until out of gas
    const greedy = {
      intentId: newIntentId(),
      token: usdc,
      amount: 1_000_000n,
      fallbackRecipient: freshAddress(),
      target: burner,
      data: "0x12345678" as Hex,
      amountOffset: NO_OFFSET,
      gas: 300_000n,
    };
    const receiver = freshAddress();
    const innocent = {
      intentId: newIntentId(),
      token: usdc,
      amount: 2_000_000n,
      fallbackRecipient: freshAddress(),
      target: vault,
      data: vaultDeposit(PLACEHOLDER, receiver),
      amountOffset: 4n,
      gas: 500_000n,
    };
    const receipt = await mined(
      await solver.sendTransaction({
        to: settlement,
        data: encodeFunctionData({
          abi: settlementAbi,
          functionName: "fillBatch",
          args: [[], [greedy, innocent]],
        }),
        gas: 5_000_000n,
      }),
    );
    expect(receipt.status).toBe("success");
    const skipped = parseEventLogs({ abi: settlementAbi, eventName: "FillSkipped", logs: receipt.logs });
    expect(skipped.map((l) => l.args)).toEqual([{ intentId: greedy.intentId, alreadyFilled: false }]);
    const filled = parseEventLogs({ abi: settlementAbi, eventName: "Filled", logs: receipt.logs });
    expect(filled.map((l) => [l.args.intentId, l.args.callSucceeded])).toEqual([[innocent.intentId, true]]);
    expect(await isFilled(greedy.intentId)).toBe(false);
    expect(await balanceOf(usdc, greedy.fallbackRecipient)).toBe(0n);
    // Out of the 5 million given, the greedy call burnt its own 300,000 and no more.
    expect(receipt.gasUsed).toBeLessThan(300_000n + 500_000n + 100_000n);
    await executorIsEmpty(usdc, vault);
  });
});

describe("Settlement owner functions", () => {
  it("lets only the owner withdraw or change the solver", async () => {
    const thief = attacker.account.address;
    const settlementBefore = await balanceOf(usdc, settlement);
    const withdraw = (token: Address, amount: bigint, to: Address) =>
      encodeFunctionData({ abi: settlementAbi, functionName: "withdraw", args: [token, amount, to] });

    const args = await expectRevert(
      attacker,
      { to: settlement, data: withdraw(usdc, 1_000_000n, thief) },
      "OwnableUnauthorizedAccount",
    );
    expect(args).toEqual([thief]);
    await expectRevert(
      attacker,
      { to: settlement, data: withdraw(zeroAddress, parseEther("1"), thief) },
      "OwnableUnauthorizedAccount",
    );
    await expectRevert(
      attacker,
      {
        to: settlement,
        data: encodeFunctionData({ abi: settlementAbi, functionName: "setSolver", args: [thief] }),
      },
      "OwnableUnauthorizedAccount",
    );
    expect(await balanceOf(usdc, thief)).toBe(0n);
    expect(await balanceOf(usdc, settlement)).toBe(settlementBefore);
    expect(
      await client.readContract({ address: settlement, abi: settlementAbi, functionName: "solver" }),
    ).toBe(solver.account.address);

    const treasury = freshAddress();
    await mined(await solver.sendTransaction({ to: settlement, data: withdraw(usdc, 3_000_000n, treasury) }));
    expect(await balanceOf(usdc, treasury)).toBe(3_000_000n);
    expect(await balanceOf(usdc, settlement)).toBe(settlementBefore - 3_000_000n);
  });
});

describe("Settlement ownership", () => {
  it("cannot be renounced, which would lock the inventory in for good", async () => {
    const renounce = encodeFunctionData({ abi: settlementAbi, functionName: "renounceOwnership" });
    await expectRevert(solver, { to: settlement, data: renounce }, "RenounceDisabled");
    expect(
      await client.readContract({ address: settlement, abi: settlementAbi, functionName: "owner" }),
    ).toBe(solver.account.address);
  });
});

describe("Settlement.fillWithCall", () => {
  it("deposits exactly the amount into the vault for the receiver, injected at the placeholder", async () => {
    const intentId = newIntentId();
    const amount = 42_000_000n;
    const receiver = freshAddress();
    const fallback = freshAddress();
    const data = vaultDeposit(PLACEHOLDER, receiver);
    const expectedShares = await client.readContract({
      address: vault,
      abi: demoVaultAbi,
      functionName: "previewDeposit",
      args: [amount],
    });
    const vaultBefore = await balanceOf(usdc, vault);
    const settlementBefore = await balanceOf(usdc, settlement);

    const receipt = await mined(
      await solver.sendTransaction({
        to: settlement,
        data: fillWithCallData(intentId, usdc, amount, fallback, vault, data, 4n),
      }),
    );

    expect(filledEvent(receipt)).toEqual({
      intentId,
      token: usdc,
      amount,
      recipient: fallback,
      callSucceeded: true,
    });
    const [executed] = parseEventLogs({ abi: executorAbi, eventName: "CallExecuted", logs: receipt.logs });
    expect(executed?.args).toEqual({ target: vault, token: usdc, amount, success: true });
    expect(expectedShares).toBeGreaterThan(0n);
    expect(await balanceOf(vault, receiver)).toBe(expectedShares);
    expect(await balanceOf(usdc, vault)).toBe(vaultBefore + amount);
    expect(await balanceOf(usdc, settlement)).toBe(settlementBefore - amount);
    expect(await balanceOf(usdc, fallback)).toBe(0n);
    await executorIsEmpty(usdc, vault);
    expect(await isFilled(intentId)).toBe(true);

    const [call] = await executorCallsTo(receipt.transactionHash, vault);
    expect(call?.input).toBe(vaultDeposit(amount, receiver));
  });

  it("sends everything to the fallback recipient when the destination call reverts, and still records the fill", async () => {
    const amount = 9_000_000n;
    const receiver = freshAddress();
    const cases: { name: string; data: Hex; offset: bigint }[] = [
      { name: "nonexistent selector", data: "0xdeadbeef", offset: NO_OFFSET },
      { name: "deposit above the approval", data: vaultDeposit(amount + 1n, receiver), offset: NO_OFFSET },
    ];
    for (const { name, data, offset } of cases) {
      const intentId = newIntentId();
      const fallback = freshAddress();
      const settlementBefore = await balanceOf(usdc, settlement);
      const vaultBefore = await balanceOf(usdc, vault);

      const receipt = await mined(
        await solver.sendTransaction({
          to: settlement,
          data: fillWithCallData(intentId, usdc, amount, fallback, vault, data, offset),
        }),
      );

      expect(filledEvent(receipt), name).toEqual({
        intentId,
        token: usdc,
        amount,
        recipient: fallback,
        callSucceeded: false,
      });
      expect(await balanceOf(usdc, fallback), name).toBe(amount);
      expect(await balanceOf(usdc, settlement), name).toBe(settlementBefore - amount);
      expect(await balanceOf(usdc, vault), name).toBe(vaultBefore);
      expect(await balanceOf(vault, receiver), name).toBe(0n);
      await executorIsEmpty(usdc, vault);
      expect(await isFilled(intentId), name).toBe(true);
      await expectRevert(
        solver,
        { to: settlement, data: fillWithCallData(intentId, usdc, amount, fallback, vault, data, offset) },
        "AlreadyFilled",
      );
      expect(await balanceOf(usdc, fallback), name).toBe(amount);
    }
  });

  it("leaves the calldata unchanged when the offset does not point at the placeholder", async () => {
    const amount = 6_000_000n;
    const receiver = freshAddress();
    const data = vaultDeposit(PLACEHOLDER, receiver);
    const byteLength = BigInt((data.length - 2) / 2);
    // Off by one byte, the receiver word, a word running past the end, past the end, "none".
    for (const offset of [5n, 3n, 36n, byteLength - 31n, byteLength, NO_OFFSET]) {
      const intentId = newIntentId();
      const fallback = freshAddress();
      const receipt = await mined(
        await solver.sendTransaction({
          to: settlement,
          data: fillWithCallData(intentId, usdc, amount, fallback, vault, data, offset),
        }),
      );
      const [call] = await executorCallsTo(receipt.transactionHash, vault);
      expect(call?.input, `offset ${offset}`).toBe(data);
      // deposit(0xdeadbeef…) exceeds the approval: the call fails and the fallback gets the amount.
      expect(filledEvent(receipt)?.callSucceeded, `offset ${offset}`).toBe(false);
      expect(await balanceOf(usdc, fallback), `offset ${offset}`).toBe(amount);
      expect(await balanceOf(vault, receiver)).toBe(0n);
      await executorIsEmpty(usdc, vault);
    }
  });

  it("is estimated with enough gas for its call: the fill reverts rather than let the call run out", async () => {
    // A hungry target: Multicall3 reading the balances of 400 untouched accounts (cold, 2,600 each).
    // The fallback already holds the token, so the Executor's clean-up after a call that ran out
    // fits in the 1/64 of the gas it kept: without the guard the fill would succeed, its call not.
    const hungry = encodeFunctionData({
      abi: multicall3Abi,
      functionName: "aggregate3",
      args: [
        Array.from({ length: 400 }, () => ({
          target: wellKnownAddresses.Multicall3,
          allowFailure: false,
          callData: encodeFunctionData({
            abi: multicall3Abi,
            functionName: "getEthBalance",
            args: [freshAddress()],
          }),
        })),
      ],
    });
    const hungryFill = () =>
      fillWithCallData(
        newIntentId(),
        usdc,
        1_000_000n,
        settlement,
        wellKnownAddresses.Multicall3,
        hungry,
        NO_OFFSET,
      );
    const data = hungryFill();
    const gas = await client.estimateGas({ account: solver.account, to: settlement, data });
    const receipt = await mined(await solver.sendTransaction({ to: settlement, data, gas }));
    expect(filledEvent(receipt)?.callSucceeded).toBe(true);
    // With too little gas for the call, the whole fill reverts instead of failing the call.
    const starved = await client
      .call({ account: solver.account, to: settlement, gas: (gas * 9n) / 10n, data: hungryFill() })
      .then(
        () => "succeeded",
        (err: Error) => err.message,
      );
    expect(starved).not.toBe("succeeded");
  });

  it("delivers native coin as the call's value, or to the fallback when the target refuses it", async () => {
    const amount = parseEther("0.75");

    const intentId = newIntentId();
    const target = freshAddress();
    const fallback = freshAddress();
    const settlementBefore = await balanceOf(zeroAddress, settlement);
    const receipt = await mined(
      await solver.sendTransaction({
        to: settlement,
        data: fillWithCallData(intentId, zeroAddress, amount, fallback, target, "0x", NO_OFFSET),
      }),
    );
    expect(filledEvent(receipt)).toEqual({
      intentId,
      token: zeroAddress,
      amount,
      recipient: fallback,
      callSucceeded: true,
    });
    expect(await balanceOf(zeroAddress, target)).toBe(amount);
    expect(await balanceOf(zeroAddress, fallback)).toBe(0n);
    expect(await balanceOf(zeroAddress, settlement)).toBe(settlementBefore - amount);
    await executorIsEmpty(zeroAddress, target);

    // DemoVault.deposit is not payable: the call reverts and the coin reaches the fallback.
    const refusedId = newIntentId();
    const fallback2 = freshAddress();
    const receiver = freshAddress();
    const refused = await mined(
      await solver.sendTransaction({
        to: settlement,
        data: fillWithCallData(
          refusedId,
          zeroAddress,
          amount,
          fallback2,
          vault,
          vaultDeposit(PLACEHOLDER, receiver),
          4n,
        ),
      }),
    );
    expect(filledEvent(refused)?.callSucceeded).toBe(false);
    expect(await balanceOf(zeroAddress, fallback2)).toBe(amount);
    expect(await balanceOf(zeroAddress, vault)).toBe(0n);
    expect(await balanceOf(vault, receiver)).toBe(0n);
    await executorIsEmpty(zeroAddress, vault);
  });

  it("gives a direct caller of the Executor nothing it did not send in itself", async () => {
    const thief = attacker.account.address;
    const settlementBefore = await balanceOf(usdc, settlement);
    const steal = encodeFunctionData({
      abi: devTokenAbi,
      functionName: "transfer",
      args: [thief, 1_000_000n],
    });
    const hash = await attacker.writeContract({
      address: executor,
      abi: executorAbi,
      functionName: "execute",
      args: [usdc, 1_000_000n, usdc, steal, NO_OFFSET, thief],
    });
    const receipt = await mined(hash);
    const [executed] = parseEventLogs({ abi: executorAbi, eventName: "CallExecuted", logs: receipt.logs });
    expect(executed?.args.success).toBe(false);
    expect(await balanceOf(usdc, thief)).toBe(0n);
    expect(await balanceOf(usdc, settlement)).toBe(settlementBefore);
    await executorIsEmpty(usdc, usdc);
  });
});
