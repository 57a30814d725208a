import {
  type Abi,
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  keccak256,
  parseAbi,
  parseEther,
  parseEventLogs,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { depositFactoryAbi, devTokenAbi } from "../../src/chains/abi.gen.ts";
import { toViemChain } from "../../src/chains/chain.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import { testAccounts } from "../../src/devnet/accounts.ts";
import { startTestDevnet, type TestDevnet } from "../support/devnet.ts";
import {
  balanceOf as balanceOn,
  type Client,
  expectRevert as expectRevertOn,
  fundedStranger,
  mined as minedOn,
  newIntentId,
  type Wallet,
} from "../support/onchain.ts";

/** The sweeper's own error bubbles up through the factory's CREATE2. */
const factoryErrors = [
  ...depositFactoryAbi,
  ...parseAbi(["error InsufficientDeposit(uint256 balance, uint256 required)"]),
] as Abi;

let td: TestDevnet;
let client: Client;
let operator: Wallet;
let user: Wallet;
let attacker: Wallet;
let factory: Address;
let settlement: Address;
let usdc: Address;
let weth: Address;

const depositAddress = (intentId: Hex, owner: Address, token: Address): Promise<Address> =>
  client.readContract({
    address: factory,
    abi: depositFactoryAbi,
    functionName: "depositAddress",
    args: [intentId, owner, token],
  });

async function send(from: Wallet, token: Address, to: Address, amount: bigint): Promise<void> {
  const hash =
    token === zeroAddress
      ? await from.sendTransaction({ to, value: amount })
      : await from.writeContract({
          address: token,
          abi: devTokenAbi,
          functionName: "transfer",
          args: [to, amount],
        });
  await mined(hash);
}

const sweepData = (intentId: Hex, owner: Address, token: Address, amount: bigint): Hex =>
  encodeFunctionData({
    abi: depositFactoryAbi,
    functionName: "sweep",
    args: [intentId, owner, token, amount],
  });

const refundData = (intentId: Hex, owner: Address, token: Address, asset: Address): Hex =>
  encodeFunctionData({
    abi: depositFactoryAbi,
    functionName: "refund",
    args: [intentId, owner, token, asset],
  });

async function sweep(intentId: Hex, owner: Address, token: Address, amount: bigint) {
  return mined(
    await operator.sendTransaction({ to: factory, data: sweepData(intentId, owner, token, amount) }),
  );
}

const expectRevert = (wallet: Wallet, tx: { to: Address; data: Hex; value?: bigint }, errorName: string) =>
  expectRevertOn(client, factoryErrors, wallet, tx, errorName);
const mined = (hash: Hex) => minedOn(client, hash);
const balanceOf = (token: Address, holder: Address) => balanceOn(client, token, holder);

beforeAll(async () => {
  td = await startTestDevnet();
  const chain = td.devnet.chains[0];
  if (!chain) throw new Error("devnet has no chains");
  const viemChain = toViemChain(chain.config, chain.rpcUrl);
  client = publicClientFor(viemChain);
  operator = walletClientFor(viemChain, privateKeyToAccount(td.config.keys.solver.reveal()));
  const [, userKey] = testAccounts();
  user = walletClientFor(viemChain, privateKeyToAccount((userKey as { privateKey: Hex }).privateKey));
  attacker = await fundedStranger(client, parseEther("10"));
  factory = chain.deployment.contracts.DepositFactory;
  settlement = chain.deployment.contracts.Settlement;
  usdc = chain.deployment.tokens.USDC as Address;
  weth = chain.deployment.tokens.WETH as Address;
});

afterAll(async () => {
  await td?.stop();
});

describe("DepositFactory", () => {
  it("is wired to this chain's Settlement and the solver as operator", async () => {
    const read = (functionName: "settlement" | "operator") =>
      client.readContract({ address: factory, abi: depositFactoryAbi, functionName });
    expect(await read("settlement")).toBe(settlement);
    expect(await read("operator")).toBe(operator.account.address);
  });

  it("predicts the CREATE2 address the sweep moves the funds out of", async () => {
    const intentId = newIntentId();
    const owner = user.account.address;
    const codeHash = await client.readContract({
      address: factory,
      abi: depositFactoryAbi,
      functionName: "SWEEPER_CODE_HASH",
    });
    const salt = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "address" }, { type: "address" }],
        [intentId, owner, usdc],
      ),
    );
    expect(
      await client.readContract({
        address: factory,
        abi: depositFactoryAbi,
        functionName: "salt",
        args: [intentId, owner, usdc],
      }),
    ).toBe(salt);
    const predicted = getContractAddress({ opcode: "CREATE2", from: factory, salt, bytecodeHash: codeHash });
    const at = await depositAddress(intentId, owner, usdc);
    expect(at).toBe(predicted);

    const amount = 250_000_000n;
    await send(user, usdc, at, amount);
    const settlementBefore = await balanceOf(usdc, settlement);
    const receipt = await sweep(intentId, owner, usdc, amount);

    const [swept] = parseEventLogs({ abi: depositFactoryAbi, eventName: "Swept", logs: receipt.logs });
    expect(swept?.args).toEqual({ intentId, depositAddress: predicted, token: usdc, amount });
    expect(await balanceOf(usdc, at)).toBe(0n);
    expect(await balanceOf(usdc, settlement)).toBe(settlementBefore + amount);
    // The sweeper destroyed itself in its constructor: nothing lives at the address.
    expect(await client.getCode({ address: at })).toBeUndefined();
  });

  it("sweeps exactly the amount of an ERC-20 into Settlement and returns the excess and stray coin to the owner", async () => {
    const intentId = newIntentId();
    const owner = user.account.address;
    const at = await depositAddress(intentId, owner, usdc);
    const amount = 100_000_000n;
    const excess = 7_654_321n;
    const stray = parseEther("0.25");
    await send(user, usdc, at, amount + excess);
    await send(user, zeroAddress, at, stray);

    const before = {
      settlement: await balanceOf(usdc, settlement),
      owner: await balanceOf(usdc, owner),
      ownerNative: await balanceOf(zeroAddress, owner),
      settlementNative: await balanceOf(zeroAddress, settlement),
    };
    await sweep(intentId, owner, usdc, amount);

    expect(await balanceOf(usdc, settlement)).toBe(before.settlement + amount);
    expect(await balanceOf(usdc, owner)).toBe(before.owner + excess);
    expect(await balanceOf(zeroAddress, owner)).toBe(before.ownerNative + stray);
    expect(await balanceOf(zeroAddress, settlement)).toBe(before.settlementNative);
    expect(await balanceOf(usdc, at)).toBe(0n);
    expect(await balanceOf(zeroAddress, at)).toBe(0n);
  });

  it("sweeps native coin: exact amount to Settlement, excess to the owner", async () => {
    const owner = user.account.address;
    for (const excess of [0n, parseEther("0.3")]) {
      const intentId = newIntentId();
      const at = await depositAddress(intentId, owner, zeroAddress);
      const amount = parseEther("1.5");
      await send(user, zeroAddress, at, amount + excess);
      const settlementBefore = await balanceOf(zeroAddress, settlement);
      const ownerBefore = await balanceOf(zeroAddress, owner);

      await sweep(intentId, owner, zeroAddress, amount);

      expect(await balanceOf(zeroAddress, settlement)).toBe(settlementBefore + amount);
      expect(await balanceOf(zeroAddress, owner)).toBe(ownerBefore + excess);
      expect(await balanceOf(zeroAddress, at)).toBe(0n);
    }
  });

  it("refuses to sweep less than the amount and leaves the deposit in place", async () => {
    const owner = user.account.address;
    for (const token of [usdc, zeroAddress]) {
      const intentId = newIntentId();
      const at = await depositAddress(intentId, owner, token);
      const amount = token === usdc ? 50_000_000n : parseEther("2");
      await send(user, token, at, amount - 1n);
      const settlementBefore = await balanceOf(token, settlement);

      const args = await expectRevert(
        operator,
        { to: factory, data: sweepData(intentId, owner, token, amount) },
        "InsufficientDeposit",
      );
      expect(args).toEqual([amount - 1n, amount]);
      expect(await balanceOf(token, at)).toBe(amount - 1n);
      expect(await balanceOf(token, settlement)).toBe(settlementBefore);

      // Topped up, the same intent sweeps.
      await send(user, token, at, 1n);
      await sweep(intentId, owner, token, amount);
      expect(await balanceOf(token, settlement)).toBe(settlementBefore + amount);
    }
  });

  it("refuses a zero-amount sweep, which would otherwise hand the whole deposit back", async () => {
    const owner = user.account.address;
    const intentId = newIntentId();
    const at = await depositAddress(intentId, owner, usdc);
    await send(user, usdc, at, 7_000_000n);
    await expectRevert(operator, { to: factory, data: sweepData(intentId, owner, usdc, 0n) }, "ZeroAmount");
    expect(await balanceOf(usdc, at)).toBe(7_000_000n);
  });

  it("lets only the operator sweep or refund", async () => {
    const intentId = newIntentId();
    const owner = user.account.address;
    const at = await depositAddress(intentId, owner, usdc);
    const amount = 40_000_000n;
    await send(user, usdc, at, amount);
    const thief = attacker.account.address;
    const settlementBefore = await balanceOf(usdc, settlement);

    await expectRevert(
      attacker,
      { to: factory, data: sweepData(intentId, owner, usdc, amount) },
      "NotOperator",
    );
    await expectRevert(
      attacker,
      { to: factory, data: refundData(intentId, owner, usdc, usdc) },
      "NotOperator",
    );
    // Naming itself as the owner does not help the attacker either.
    await expectRevert(
      attacker,
      { to: factory, data: refundData(intentId, thief, usdc, usdc) },
      "NotOperator",
    );
    // The user who deposited is not the operator either.
    await expectRevert(user, { to: factory, data: refundData(intentId, owner, usdc, usdc) }, "NotOperator");

    expect(await balanceOf(usdc, at)).toBe(amount);
    expect(await balanceOf(usdc, thief)).toBe(0n);
    expect(await balanceOf(usdc, settlement)).toBe(settlementBefore);
  });

  it("refunds only to the committed owner: another owner argument targets a different, empty address", async () => {
    const intentId = newIntentId();
    const owner = user.account.address;
    const thief = attacker.account.address;
    const at = await depositAddress(intentId, owner, usdc);
    const elsewhere = await depositAddress(intentId, thief, usdc);
    expect(elsewhere).not.toBe(at);
    const amount = 75_000_000n;
    await send(user, usdc, at, amount);
    await send(user, zeroAddress, at, parseEther("0.1"));

    // Even the operator cannot redirect the refund: naming the attacker as owner sweeps the
    // attacker's own (empty) deposit address.
    const receipt = await mined(
      await operator.sendTransaction({ to: factory, data: refundData(intentId, thief, usdc, usdc) }),
    );
    const [refunded] = parseEventLogs({ abi: depositFactoryAbi, eventName: "Refunded", logs: receipt.logs });
    expect(refunded?.args.depositAddress).toBe(elsewhere);
    expect(await balanceOf(usdc, thief)).toBe(0n);
    expect(await balanceOf(usdc, at)).toBe(amount);
    expect(await balanceOf(zeroAddress, at)).toBe(parseEther("0.1"));

    // A different token argument is a different address too.
    await mined(
      await operator.sendTransaction({ to: factory, data: refundData(intentId, owner, weth, usdc) }),
    );
    expect(await balanceOf(usdc, at)).toBe(amount);

    const ownerBefore = await balanceOf(usdc, owner);
    const ownerNativeBefore = await balanceOf(zeroAddress, owner);
    await mined(
      await operator.sendTransaction({ to: factory, data: refundData(intentId, owner, usdc, usdc) }),
    );
    expect(await balanceOf(usdc, owner)).toBe(ownerBefore + amount);
    expect(await balanceOf(zeroAddress, owner)).toBe(ownerNativeBefore + parseEther("0.1"));
    expect(await balanceOf(usdc, at)).toBe(0n);
    expect(await balanceOf(zeroAddress, at)).toBe(0n);
  });

  it("returns a deposit in the wrong token (WETH sent to a USDC intent) to the owner", async () => {
    const intentId = newIntentId();
    const owner = user.account.address;
    const at = await depositAddress(intentId, owner, usdc);
    const amount = parseEther("1.25");
    await send(user, weth, at, amount);
    const settlementBefore = await balanceOf(weth, settlement);

    // Sweeping the intent's own token finds nothing.
    await expectRevert(
      operator,
      { to: factory, data: sweepData(intentId, owner, usdc, 1_000_000n) },
      "InsufficientDeposit",
    );
    expect(await balanceOf(weth, at)).toBe(amount);

    const ownerBefore = await balanceOf(weth, owner);
    await mined(
      await operator.sendTransaction({ to: factory, data: refundData(intentId, owner, usdc, weth) }),
    );
    expect(await balanceOf(weth, owner)).toBe(ownerBefore + amount);
    expect(await balanceOf(weth, at)).toBe(0n);
    expect(await balanceOf(weth, settlement)).toBe(settlementBefore);
  });

  it("refunds native coin to the owner", async () => {
    const intentId = newIntentId();
    const owner = user.account.address;
    const at = await depositAddress(intentId, owner, zeroAddress);
    const amount = parseEther("0.7");
    await send(user, zeroAddress, at, amount);
    const ownerBefore = await balanceOf(zeroAddress, owner);
    const settlementBefore = await balanceOf(zeroAddress, settlement);
    await mined(
      await operator.sendTransaction({
        to: factory,
        data: refundData(intentId, owner, zeroAddress, zeroAddress),
      }),
    );
    expect(await balanceOf(zeroAddress, owner)).toBe(ownerBefore + amount);
    expect(await balanceOf(zeroAddress, at)).toBe(0n);
    expect(await balanceOf(zeroAddress, settlement)).toBe(settlementBefore);
  });

  it("reuses a deposit address: a second deposit after the first sweep sweeps again", async () => {
    const owner = user.account.address;
    for (const token of [usdc, zeroAddress]) {
      const intentId = newIntentId();
      const at = await depositAddress(intentId, owner, token);
      const first = token === usdc ? 10_000_000n : parseEther("0.5");
      const second = token === usdc ? 20_000_000n : parseEther("0.8");
      const settlementBefore = await balanceOf(token, settlement);

      await send(user, token, at, first);
      await sweep(intentId, owner, token, first);
      expect(await client.getCode({ address: at })).toBeUndefined();
      await send(user, token, at, second);
      const receipt = await sweep(intentId, owner, token, second);

      const [swept] = parseEventLogs({ abi: depositFactoryAbi, eventName: "Swept", logs: receipt.logs });
      expect(swept?.args.depositAddress).toBe(at);
      expect(await balanceOf(token, settlement)).toBe(settlementBefore + first + second);
      expect(await balanceOf(token, at)).toBe(0n);
    }
  });

  it("sweeps many deposit addresses in one transaction, skipping one that holds too little", async () => {
    const owner = user.account.address;
    const orders = await Promise.all(
      [usdc, usdc, zeroAddress, usdc].map(async (token) => {
        const intentId = newIntentId();
        return { intentId, owner, token, amount: token === usdc ? 4_000_000n : parseEther("0.01") };
      }),
    );
    const ats = await Promise.all(orders.map((o) => depositAddress(o.intentId, o.owner, o.token)));
    // The third USDC order (the last) is short by one unit.
    for (const [i, o] of orders.entries())
      await send(user, o.token, ats[i] as Address, o.amount - (i === 3 ? 1n : 0n));
    const before = {
      usdc: await balanceOf(usdc, settlement),
      native: await balanceOf(zeroAddress, settlement),
    };

    const receipt = await mined(
      await operator.sendTransaction({
        to: factory,
        data: encodeFunctionData({ abi: depositFactoryAbi, functionName: "sweepBatch", args: [orders] }),
      }),
    );
    const swept = parseEventLogs({ abi: depositFactoryAbi, eventName: "Swept", logs: receipt.logs });
    expect(swept.map((l) => [l.args.intentId, l.args.depositAddress])).toEqual(
      [0, 1, 2].map((i) => [orders[i]?.intentId, ats[i]]),
    );
    const skipped = parseEventLogs({ abi: depositFactoryAbi, eventName: "SweepSkipped", logs: receipt.logs });
    expect(skipped.map((l) => l.args.intentId)).toEqual([orders[3]?.intentId]);
    expect(await balanceOf(usdc, settlement)).toBe(before.usdc + 8_000_000n);
    expect(await balanceOf(zeroAddress, settlement)).toBe(before.native + parseEther("0.01"));
    for (const at of ats.slice(0, 3)) expect(await balanceOf(usdc, at)).toBe(0n);
    expect(await balanceOf(usdc, ats[3] as Address)).toBe(4_000_000n - 1n);

    await expectRevert(
      attacker,
      {
        to: factory,
        data: encodeFunctionData({ abi: depositFactoryAbi, functionName: "sweepBatch", args: [orders] }),
      },
      "NotOperator",
    );
  });

  it("keeps nothing in the factory's transient parameters after a transaction", async () => {
    const pending = await client.readContract({
      address: factory,
      abi: depositFactoryAbi,
      functionName: "pending",
    });
    expect(pending).toEqual([zeroAddress, zeroAddress, zeroAddress, 0n, false]);
  });
});
