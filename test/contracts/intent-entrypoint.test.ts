import {
  type Abi,
  type Address,
  type Chain,
  encodeFunctionData,
  type Hex,
  hashTypedData,
  parseEventLogs,
  parseSignature,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devTokenAbi, intentEntrypointAbi } from "../../src/chains/abi.gen.ts";
import { toViemChain } from "../../src/chains/chain.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import type { TrailsIntentMessage as TrailsIntent } from "../../src/chains/gasless.ts";
import { permitTypes, trailsIntentDomain, trailsIntentTypes } from "../../src/chains/typed-data.ts";
import { devnetAccount, roleIndex, testAccounts } from "../../src/devnet/accounts.ts";
import type { DevnetChain } from "../../src/devnet/devnet.ts";
import { startTestDevnet, type TestDevnet } from "../support/devnet.ts";
import {
  type Client,
  expectRevert as expectRevertOn,
  freshAddress,
  mined,
  type Wallet,
} from "../support/onchain.ts";

/** The token's errors bubble up through SafeERC20. */
const errorsAbi = [...intentEntrypointAbi, ...devTokenAbi] as Abi;

interface Permit {
  value: bigint;
  deadline: bigint;
  v: number;
  r: Hex;
  s: Hex;
}

const noPermit: Permit = {
  value: 0n,
  deadline: 0n,
  v: 0,
  r: `0x${"00".repeat(32)}`,
  s: `0x${"00".repeat(32)}`,
};

/** One chain of the devnet as a test sees it. */
interface Side {
  chain: Chain;
  client: Client;
  entrypoint: Address;
  usdc: Address;
  weth: Address;
  wallet(privateKey: Hex): Wallet;
}

let td: TestDevnet;
let alpha: Side;
let beta: Side;
let relayer: Wallet;
const feeCollector = devnetAccount(roleIndex.feeCollector).address;
const accounts = testAccounts();
const key = (i: number): Hex => (accounts[i] as { privateKey: Hex }).privateKey;

function side(devnetChain: DevnetChain | undefined): Side {
  if (!devnetChain) throw new Error("devnet chain missing");
  const chain = toViemChain(devnetChain.config, devnetChain.rpcUrl);
  return {
    chain,
    client: publicClientFor(chain),
    entrypoint: devnetChain.deployment.contracts.IntentEntrypoint,
    usdc: devnetChain.deployment.tokens.USDC as Address,
    weth: devnetChain.deployment.tokens.WETH as Address,
    wallet: (privateKey) => walletClientFor(chain, privateKeyToAccount(privateKey)),
  };
}

const balanceOf = (s: Side, token: Address, holder: Address): Promise<bigint> =>
  s.client.readContract({ address: token, abi: devTokenAbi, functionName: "balanceOf", args: [holder] });

const allowance = (s: Side, owner: Address): Promise<bigint> =>
  s.client.readContract({
    address: s.usdc,
    abi: devTokenAbi,
    functionName: "allowance",
    args: [owner, s.entrypoint],
  });

const intentNonce = (s: Side, user: Address): Promise<bigint> =>
  s.client.readContract({
    address: s.entrypoint,
    abi: intentEntrypointAbi,
    functionName: "nonces",
    args: [user],
  });

async function latestTimestamp(s: Side): Promise<bigint> {
  return (await s.client.getBlock()).timestamp;
}

async function approve(s: Side, user: Wallet, amount: bigint): Promise<void> {
  await mined(
    s.client,
    await user.writeContract({
      address: s.usdc,
      abi: devTokenAbi,
      functionName: "approve",
      args: [s.entrypoint, amount],
    }),
  );
}

/** A USDC intent for `user` on `s`, valid for an hour, at the user's current nonce. */
async function makeIntent(
  s: Side,
  user: Address,
  overrides: Partial<TrailsIntent> = {},
): Promise<TrailsIntent> {
  return {
    user,
    token: s.usdc,
    amount: 25_000_000n,
    intentAddress: freshAddress(),
    deadline: (await latestTimestamp(s)) + 3600n,
    chainId: BigInt(s.chain.id),
    nonce: await intentNonce(s, user),
    feeAmount: 125_000n,
    feeCollector,
    ...overrides,
  };
}

function signIntent(
  signer: Wallet,
  s: Side,
  intent: TrailsIntent,
  domain: { chainId?: number; verifyingContract?: Address } = {},
): Promise<Hex> {
  return signer.signTypedData({
    domain: trailsIntentDomain(domain.chainId ?? s.chain.id, domain.verifyingContract ?? s.entrypoint),
    types: trailsIntentTypes,
    primaryType: "TrailsIntent",
    message: intent,
  });
}

/** An ERC-2612 permit for the entrypoint, signed by the user against the token's own domain. */
async function signPermit(s: Side, user: Wallet, value: bigint): Promise<Permit> {
  const [, name, version, chainId, verifyingContract] = await s.client.readContract({
    address: s.usdc,
    abi: devTokenAbi,
    functionName: "eip712Domain",
  });
  const nonce = await s.client.readContract({
    address: s.usdc,
    abi: devTokenAbi,
    functionName: "nonces",
    args: [user.account.address],
  });
  const deadline = (await latestTimestamp(s)) + 3600n;
  const signature = await user.signTypedData({
    domain: { name, version, chainId: Number(chainId), verifyingContract },
    types: permitTypes,
    primaryType: "Permit",
    message: { owner: user.account.address, spender: s.entrypoint, value, nonce, deadline },
  });
  const { v, r, s: sigS, yParity } = parseSignature(signature);
  return { value, deadline, v: Number(v ?? BigInt(yParity + 27)), r, s: sigS };
}

const depositData = (intent: TrailsIntent, signature: Hex, permit: Permit): Hex =>
  encodeFunctionData({
    abi: intentEntrypointAbi,
    functionName: "depositWithPermit",
    args: [intent, signature, permit],
  });

/** Reverts with `errorName` in simulation and again on-chain in a mined transaction (fixed gas). */

/** Balances a deposit could touch, to assert that a rejected one moved nothing. */
async function snapshot(s: Side, intent: TrailsIntent) {
  return {
    user: await balanceOf(s, intent.token, intent.user),
    intentAddress: await balanceOf(s, intent.token, intent.intentAddress),
    feeCollector: await balanceOf(s, intent.token, intent.feeCollector),
    relayer: await balanceOf(s, intent.token, relayer.account.address),
    nonce: await intentNonce(s, intent.user),
  };
}

const expectRevert = (s: Side, wallet: Wallet, tx: { to: Address; data: Hex }, errorName: string) =>
  expectRevertOn(s.client, errorsAbi, wallet, tx, errorName);

/** Relays the deposit, asserts it reverts with `errorName`, and that no balance or nonce moved. */
async function expectRejected(
  s: Side,
  intent: TrailsIntent,
  signature: Hex,
  errorName: string,
  permit = noPermit,
) {
  const before = await snapshot(s, intent);
  const data = depositData(intent, signature, permit);
  const args = await expectRevert(s, relayer, { to: s.entrypoint, data }, errorName);
  expect(await snapshot(s, intent)).toEqual(before);
  return args;
}

beforeAll(async () => {
  td = await startTestDevnet();
  alpha = side(td.devnet.chains[0]);
  beta = side(td.devnet.chains[1]);
  relayer = alpha.wallet(td.config.keys.relayer.reveal());
});

afterAll(async () => {
  await td?.stop();
});

describe("IntentEntrypoint.depositWithPermit", () => {
  it("hashes the intent as viem's EIP-712 TrailsIntent", async () => {
    const intent = await makeIntent(alpha, accounts[2]?.address as Address);
    const onChain = await alpha.client.readContract({
      address: alpha.entrypoint,
      abi: intentEntrypointAbi,
      functionName: "hashIntent",
      args: [intent],
    });
    const offChain = hashTypedData({
      domain: trailsIntentDomain(alpha.chain.id, alpha.entrypoint),
      types: trailsIntentTypes,
      primaryType: "TrailsIntent",
      message: intent,
    });
    expect(onChain).toBe(offChain);
  });

  it("moves the amount to the intent address and the fee to the collector, the relayer paying only gas", async () => {
    const user = alpha.wallet(key(2));
    await approve(alpha, user, 0n);
    const intent = await makeIntent(alpha, user.account.address);
    const permit = await signPermit(alpha, user, intent.amount + intent.feeAmount);
    const signature = await signIntent(user, alpha, intent);
    const before = await snapshot(alpha, intent);

    const receipt = await mined(
      alpha.client,
      await relayer.sendTransaction({ to: alpha.entrypoint, data: depositData(intent, signature, permit) }),
    );

    const [event] = parseEventLogs({
      abi: intentEntrypointAbi,
      eventName: "IntentDeposit",
      logs: receipt.logs,
    });
    expect(event?.args).toEqual({
      user: intent.user,
      intentAddress: intent.intentAddress,
      token: intent.token,
      amount: intent.amount,
      feeAmount: intent.feeAmount,
      nonce: intent.nonce,
    });
    expect(await balanceOf(alpha, alpha.usdc, intent.intentAddress)).toBe(intent.amount);
    expect(await balanceOf(alpha, alpha.usdc, feeCollector)).toBe(before.feeCollector + intent.feeAmount);
    expect(await balanceOf(alpha, alpha.usdc, intent.user)).toBe(
      before.user - intent.amount - intent.feeAmount,
    );
    expect(await balanceOf(alpha, alpha.usdc, relayer.account.address)).toBe(before.relayer);
    expect(await allowance(alpha, intent.user)).toBe(0n);
    expect(await intentNonce(alpha, intent.user)).toBe(intent.nonce + 1n);
  });

  it("rejects a replayed intent signature, even with allowance left over", async () => {
    const user = alpha.wallet(key(3));
    await approve(alpha, user, 10n ** 15n);
    const intent = await makeIntent(alpha, user.account.address);
    const signature = await signIntent(user, alpha, intent);
    await mined(
      alpha.client,
      await relayer.sendTransaction({ to: alpha.entrypoint, data: depositData(intent, signature, noPermit) }),
    );
    const before = await snapshot(alpha, intent);
    expect(before.intentAddress).toBe(intent.amount);

    const args = await expectRevert(
      alpha,
      relayer,
      { to: alpha.entrypoint, data: depositData(intent, signature, noPermit) },
      "InvalidAccountNonce",
    );
    expect(args).toEqual([intent.user, intent.nonce + 1n]);
    expect(await snapshot(alpha, intent)).toEqual(before);
  });

  it("rejects a nonce other than the user's next one", async () => {
    const user = alpha.wallet(key(3));
    await approve(alpha, user, 10n ** 15n);
    const next = await intentNonce(alpha, user.account.address);
    for (const nonce of [next + 1n, next + 1000n]) {
      const intent = await makeIntent(alpha, user.account.address, { nonce });
      const signature = await signIntent(user, alpha, intent);
      await expectRejected(alpha, intent, signature, "InvalidAccountNonce");
    }
    if (next > 0n) {
      const intent = await makeIntent(alpha, user.account.address, { nonce: next - 1n });
      const signature = await signIntent(user, alpha, intent);
      await expectRevert(
        alpha,
        relayer,
        { to: alpha.entrypoint, data: depositData(intent, signature, noPermit) },
        "InvalidAccountNonce",
      );
    }
  });

  it("rejects an expired intent", async () => {
    const user = alpha.wallet(key(3));
    await approve(alpha, user, 10n ** 15n);
    const intent = await makeIntent(alpha, user.account.address, {
      deadline: (await latestTimestamp(alpha)) - 1n,
    });
    const signature = await signIntent(user, alpha, intent);
    const args = await expectRejected(alpha, intent, signature, "Expired");
    expect(args).toEqual([intent.deadline]);
  });

  it("rejects an intent signed by someone other than the user", async () => {
    const victim = alpha.wallet(key(4));
    await approve(alpha, victim, 10n ** 15n);
    const attacker = alpha.wallet(generatePrivateKey());
    const intent = await makeIntent(alpha, victim.account.address, {
      intentAddress: attacker.account.address,
      feeCollector: attacker.account.address,
    });
    const signature = await signIntent(attacker, alpha, intent);
    await expectRejected(alpha, intent, signature, "BadSignature");
    expect(await balanceOf(alpha, alpha.usdc, attacker.account.address)).toBe(0n);
  });

  it("rejects the signature once any field changed after signing", async () => {
    const user = alpha.wallet(key(4));
    await approve(alpha, user, 10n ** 15n);
    const intent = await makeIntent(alpha, user.account.address);
    const signature = await signIntent(user, alpha, intent);
    const thief = freshAddress();
    const tampered: [string, Partial<TrailsIntent>][] = [
      ["user", { user: accounts[5]?.address as Address }],
      ["token", { token: alpha.weth }],
      ["amount", { amount: intent.amount + 1n }],
      ["intentAddress", { intentAddress: thief }],
      ["deadline", { deadline: intent.deadline + 1n }],
      ["nonce", { nonce: intent.nonce + 1n }],
      ["feeAmount", { feeAmount: intent.feeAmount * 100n }],
      ["feeCollector", { feeCollector: thief }],
    ];
    const before = await snapshot(alpha, intent);
    for (const [field, change] of tampered) {
      const changed = { ...intent, ...change };
      const args = await expectRevert(
        alpha,
        relayer,
        { to: alpha.entrypoint, data: depositData(changed, signature, noPermit) },
        "BadSignature",
      ).catch((err: Error) => {
        throw new Error(`tampered ${field}: ${err.message}`);
      });
      expect(args, field).toBeUndefined();
    }
    expect(await snapshot(alpha, intent)).toEqual(before);
    expect(await balanceOf(alpha, alpha.usdc, thief)).toBe(0n);

    // The untouched intent still goes through.
    await mined(
      alpha.client,
      await relayer.sendTransaction({ to: alpha.entrypoint, data: depositData(intent, signature, noPermit) }),
    );
    expect(await balanceOf(alpha, alpha.usdc, intent.intentAddress)).toBe(intent.amount);
  });

  it("rejects an intent for another chain, and a signature over another chain's domain", async () => {
    const user = alpha.wallet(key(5));
    const userOnBeta = beta.wallet(key(5));
    await approve(alpha, user, 10n ** 15n);
    await approve(beta, userOnBeta, 10n ** 15n);
    // Same deployer, same nonces: the contracts share addresses, so only the chain id tells them apart.
    expect(beta.entrypoint).toBe(alpha.entrypoint);
    expect(beta.usdc).toBe(alpha.usdc);

    // Signed and used on beta; replayed on alpha.
    const forBeta = await makeIntent(beta, user.account.address);
    expect(forBeta.nonce).toBe(await intentNonce(alpha, user.account.address));
    const betaSignature = await signIntent(userOnBeta, beta, forBeta);
    await mined(
      beta.client,
      await beta
        .wallet(td.config.keys.relayer.reveal())
        .sendTransaction({ to: beta.entrypoint, data: depositData(forBeta, betaSignature, noPermit) }),
    );
    expect(await balanceOf(beta, beta.usdc, forBeta.intentAddress)).toBe(forBeta.amount);
    const before = await snapshot(alpha, forBeta);
    const args = await expectRevert(
      alpha,
      relayer,
      { to: alpha.entrypoint, data: depositData(forBeta, betaSignature, noPermit) },
      "WrongChain",
    );
    expect(args).toEqual([BigInt(beta.chain.id)]);

    // Claims alpha's chain id in the message but was signed over beta's domain.
    const mixed = await makeIntent(alpha, user.account.address);
    const mixedSignature = await signIntent(user, alpha, mixed, { chainId: beta.chain.id });
    await expectRevert(
      alpha,
      relayer,
      { to: alpha.entrypoint, data: depositData(mixed, mixedSignature, noPermit) },
      "BadSignature",
    );
    // Signed for a different verifying contract.
    const otherContract = await signIntent(user, alpha, mixed, { verifyingContract: freshAddress() });
    await expectRevert(
      alpha,
      relayer,
      { to: alpha.entrypoint, data: depositData(mixed, otherContract, noPermit) },
      "BadSignature",
    );
    expect(await snapshot(alpha, forBeta)).toEqual(before);
  });

  it("still deposits when the permit was front-run, because the allowance is in place", async () => {
    const user = alpha.wallet(key(6));
    await approve(alpha, user, 0n);
    const intent = await makeIntent(alpha, user.account.address);
    const permit = await signPermit(alpha, user, intent.amount + intent.feeAmount);
    const signature = await signIntent(user, alpha, intent);

    // Someone submits the user's permit on its own first.
    const frontRunner = alpha.wallet(key(7));
    await mined(
      alpha.client,
      await frontRunner.writeContract({
        address: alpha.usdc,
        abi: devTokenAbi,
        functionName: "permit",
        args: [
          user.account.address,
          alpha.entrypoint,
          permit.value,
          permit.deadline,
          permit.v,
          permit.r,
          permit.s,
        ],
      }),
    );
    expect(await allowance(alpha, user.account.address)).toBe(permit.value);

    await mined(
      alpha.client,
      await relayer.sendTransaction({ to: alpha.entrypoint, data: depositData(intent, signature, permit) }),
    );
    expect(await balanceOf(alpha, alpha.usdc, intent.intentAddress)).toBe(intent.amount);
    expect(await allowance(alpha, user.account.address)).toBe(0n);
  });

  it("moves nothing and keeps the nonce when neither permit nor allowance covers the deposit", async () => {
    const user = alpha.wallet(key(8));
    await approve(alpha, user, 0n);
    const intent = await makeIntent(alpha, user.account.address);
    const signature = await signIntent(user, alpha, intent);
    const before = await snapshot(alpha, intent);

    // No permit at all.
    await expectRevert(
      alpha,
      relayer,
      { to: alpha.entrypoint, data: depositData(intent, signature, noPermit) },
      "ERC20InsufficientAllowance",
    );
    // A permit signed by someone else is swallowed, and the transfer then fails.
    const forged = await signPermit(
      alpha,
      alpha.wallet(generatePrivateKey()),
      intent.amount + intent.feeAmount,
    );
    await expectRevert(
      alpha,
      relayer,
      { to: alpha.entrypoint, data: depositData(intent, signature, forged) },
      "ERC20InsufficientAllowance",
    );
    // A permit covering the amount but not the fee.
    const short = await signPermit(alpha, user, intent.amount);
    await expectRevert(
      alpha,
      relayer,
      { to: alpha.entrypoint, data: depositData(intent, signature, short) },
      "ERC20InsufficientAllowance",
    );
    expect(await snapshot(alpha, intent)).toEqual(before);
    expect(await allowance(alpha, user.account.address)).toBe(0n);

    // The same signed intent works once a valid permit comes along: the nonce was not spent.
    const permit = await signPermit(alpha, user, intent.amount + intent.feeAmount);
    await mined(
      alpha.client,
      await relayer.sendTransaction({ to: alpha.entrypoint, data: depositData(intent, signature, permit) }),
    );
    expect(await balanceOf(alpha, alpha.usdc, intent.intentAddress)).toBe(intent.amount);
  });
});
