import { randomBytes } from "node:crypto";
import {
  type Abi,
  type Address,
  bytesToHex,
  decodeErrorResult,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  devTokenAbi,
  intermediaryAccountAbi,
  intermediaryAccountFactoryAbi,
} from "../../src/chains/abi.gen.ts";
import { toViemChain } from "../../src/chains/chain.ts";
import { publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import { testAccounts } from "../../src/devnet/accounts.ts";
import { startTestDevnet, type TestDevnet } from "../support/devnet.ts";
import {
  balanceOf as balanceOn,
  type Client,
  expectRevert as expectRevertOn,
  freshAddress,
  fundedStranger,
  mined as minedOn,
  type Wallet,
} from "../support/onchain.ts";

interface Call {
  to: Address;
  value: bigint;
  data: Hex;
}

const errorsAbi = [...intermediaryAccountFactoryAbi, ...intermediaryAccountAbi, ...devTokenAbi] as Abi;

let td: TestDevnet;
let client: Client;
let executorKey: Wallet;
let owner: Wallet;
let funder: Wallet;
let attacker: Wallet;
let factory: Address;
let usdc: Address;

/** identity = keccak256(walletType, walletId), computed off-chain; any 32 bytes will do here. */
const newIdentity = (): Hex => keccak256(toHex(`evm:${bytesToHex(randomBytes(20))}`));

/** Reverts with `errorName` in simulation and again on-chain in a mined transaction (fixed gas). */

const accountOf = (identity: Hex): Promise<Address> =>
  client.readContract({
    address: factory,
    abi: intermediaryAccountFactoryAbi,
    functionName: "accountOf",
    args: [identity],
  });

const hasCode = async (address: Address): Promise<boolean> =>
  (await client.getCode({ address })) !== undefined;

const executeData = (identity: Hex, calls: Call[]): Hex =>
  encodeFunctionData({
    abi: intermediaryAccountFactoryAbi,
    functionName: "execute",
    args: [identity, calls],
  });

const transferCall = (to: Address, amount: bigint): Call => ({
  to: usdc,
  value: 0n,
  data: encodeFunctionData({ abi: devTokenAbi, functionName: "transfer", args: [to, amount] }),
});

async function fund(account: Address, usdcAmount: bigint, native = 0n): Promise<void> {
  await mined(
    await funder.writeContract({
      address: usdc,
      abi: devTokenAbi,
      functionName: "transfer",
      args: [account, usdcAmount],
    }),
  );
  if (native > 0n) await mined(await funder.sendTransaction({ to: account, value: native }));
}

const expectRevert = (wallet: Wallet, tx: { to: Address; data: Hex; value?: bigint }, errorName: string) =>
  expectRevertOn(client, errorsAbi, wallet, tx, errorName);
const mined = (hash: Hex) => minedOn(client, hash);
const balanceOf = (token: Address, holder: Address) => balanceOn(client, token, holder);

beforeAll(async () => {
  td = await startTestDevnet();
  const chain = td.devnet.chains[2];
  if (!chain) throw new Error("devnet has no third chain");
  const viemChain = toViemChain(chain.config, chain.rpcUrl);
  client = publicClientFor(viemChain);
  executorKey = walletClientFor(viemChain, privateKeyToAccount(td.config.keys.executor.reveal()));
  owner = walletClientFor(viemChain, privateKeyToAccount(td.config.keys.solver.reveal()));
  funder = walletClientFor(viemChain, privateKeyToAccount(testAccounts()[1]?.privateKey as Hex));
  attacker = await fundedStranger(client, parseEther("10"));
  factory = chain.deployment.contracts.IntermediaryAccountFactory;
  usdc = chain.deployment.tokens.USDC as Address;
});

afterAll(async () => {
  await td?.stop();
});

describe("IntermediaryAccountFactory", () => {
  it("deploys the account at accountOf(identity), where funds sent beforehand are usable", async () => {
    const identity = newIdentity();
    const account = await accountOf(identity);
    const implementation = await client.readContract({
      address: factory,
      abi: intermediaryAccountFactoryAbi,
      functionName: "implementation",
    });
    // OpenZeppelin's EIP-1167 clone init code, CREATE2 from the factory with the identity as salt.
    const cloneInitCode =
      `0x3d602d80600a3d3981f3363d3d373d3d3d363d73${implementation.slice(2).toLowerCase()}5af43d82803e903d91602b57fd5bf3` as Hex;
    expect(account).toBe(
      getContractAddress({ opcode: "CREATE2", from: factory, salt: identity, bytecode: cloneInitCode }),
    );
    expect(await hasCode(account)).toBe(false);

    await fund(account, 30_000_000n, parseEther("2"));
    const recipient = freshAddress();
    const coinRecipient = freshAddress();
    const extra = parseEther("0.5");
    const calls: Call[] = [
      transferCall(recipient, 12_000_000n),
      { to: coinRecipient, value: parseEther("2") + extra, data: "0x" },
    ];
    const receipt = await mined(
      await executorKey.sendTransaction({ to: factory, data: executeData(identity, calls), value: extra }),
    );

    const created = parseEventLogs({
      abi: intermediaryAccountFactoryAbi,
      eventName: "AccountCreated",
      logs: receipt.logs,
    });
    expect(created.map((e) => e.args)).toEqual([{ identity, account }]);
    const [executed] = parseEventLogs({
      abi: intermediaryAccountFactoryAbi,
      eventName: "Executed",
      logs: receipt.logs,
    });
    expect(executed?.args).toEqual({ identity, account, calls: 2n });
    expect(await hasCode(account)).toBe(true);
    expect(
      await client.readContract({ address: account, abi: intermediaryAccountAbi, functionName: "factory" }),
    ).toBe(factory);
    expect(await balanceOf(usdc, recipient)).toBe(12_000_000n);
    expect(await balanceOf(usdc, account)).toBe(18_000_000n);
    // The value sent with execute reached the account and was spent with the pre-funded coin.
    expect(await balanceOf(zeroAddress, coinRecipient)).toBe(parseEther("2") + extra);
    expect(await balanceOf(zeroAddress, account)).toBe(0n);

    // Later batches run on the deployed account without deploying again.
    const again = await mined(
      await executorKey.sendTransaction({
        to: factory,
        data: executeData(identity, [transferCall(recipient, 1n)]),
      }),
    );
    expect(
      parseEventLogs({ abi: intermediaryAccountFactoryAbi, eventName: "AccountCreated", logs: again.logs }),
    ).toHaveLength(0);
    expect(await balanceOf(usdc, recipient)).toBe(12_000_001n);
  });

  it("lets only the executor key make an account act", async () => {
    const identity = newIdentity();
    const account = await accountOf(identity);
    await fund(account, 5_000_000n);
    const thief = attacker.account.address;
    const data = executeData(identity, [transferCall(thief, 5_000_000n)]);

    await expectRevert(attacker, { to: factory, data }, "NotExecutor");
    // Not even the factory's owner or the account's funder.
    await expectRevert(owner, { to: factory, data }, "NotExecutor");
    await expectRevert(funder, { to: factory, data }, "NotExecutor");

    expect(await balanceOf(usdc, thief)).toBe(0n);
    expect(await balanceOf(usdc, account)).toBe(5_000_000n);
    expect(await hasCode(account)).toBe(false);
  });

  it("refuses calls to a deployed account that do not come through the factory", async () => {
    const identity = newIdentity();
    const account = await accountOf(identity);
    await fund(account, 8_000_000n, parseEther("1"));
    await mined(await executorKey.sendTransaction({ to: factory, data: executeData(identity, []) }));
    expect(await hasCode(account)).toBe(true);

    const thief = attacker.account.address;
    const direct = encodeFunctionData({
      abi: intermediaryAccountAbi,
      functionName: "execute",
      args: [[transferCall(thief, 8_000_000n), { to: thief, value: parseEther("1"), data: "0x" }]],
    });
    await expectRevert(attacker, { to: account, data: direct }, "NotFactory");
    // The executor key itself must go through the factory too.
    await expectRevert(executorKey, { to: account, data: direct }, "NotFactory");
    // And the implementation behind every clone cannot be driven directly either.
    const implementation = await client.readContract({
      address: factory,
      abi: intermediaryAccountFactoryAbi,
      functionName: "implementation",
    });
    await expectRevert(attacker, { to: implementation, data: direct }, "NotFactory");

    expect(await balanceOf(usdc, account)).toBe(8_000_000n);
    expect(await balanceOf(zeroAddress, account)).toBe(parseEther("1"));
    expect(await balanceOf(usdc, thief)).toBe(0n);
  });

  it("undoes the whole batch, deployment included, when a later call reverts", async () => {
    const identity = newIdentity();
    const account = await accountOf(identity);
    await fund(account, 10_000_000n);
    const recipient = freshAddress();
    const calls = [transferCall(recipient, 4_000_000n), transferCall(recipient, 7_000_000n)];

    const args = await expectRevert(
      executorKey,
      { to: factory, data: executeData(identity, calls) },
      "CallFailed",
    );
    const [index, reason] = args as [bigint, Hex];
    expect(index).toBe(1n);
    const inner = decodeErrorResult({ abi: devTokenAbi, data: reason });
    expect(inner.errorName).toBe("ERC20InsufficientBalance");
    expect(inner.args).toEqual([account, 6_000_000n, 7_000_000n]);

    expect(await balanceOf(usdc, recipient)).toBe(0n);
    expect(await balanceOf(usdc, account)).toBe(10_000_000n);
    expect(await hasCode(account)).toBe(false);

    // On a deployed account the same batch is undone just the same.
    await mined(await executorKey.sendTransaction({ to: factory, data: executeData(identity, []) }));
    expect(await hasCode(account)).toBe(true);
    await expectRevert(executorKey, { to: factory, data: executeData(identity, calls) }, "CallFailed");
    expect(await balanceOf(usdc, recipient)).toBe(0n);
    expect(await balanceOf(usdc, account)).toBe(10_000_000n);
  });

  it("keeps each identity's account apart", async () => {
    const victim = newIdentity();
    const victimAccount = await accountOf(victim);
    await fund(victimAccount, 3_000_000n);
    const mine = newIdentity();
    const thief = attacker.account.address;
    // The executor acting for one identity cannot spend another identity's tokens.
    const steal: Call = {
      to: usdc,
      value: 0n,
      data: encodeFunctionData({
        abi: devTokenAbi,
        functionName: "transferFrom",
        args: [victimAccount, thief, 3_000_000n],
      }),
    };
    await expectRevert(executorKey, { to: factory, data: executeData(mine, [steal]) }, "CallFailed");
    expect(await balanceOf(usdc, victimAccount)).toBe(3_000_000n);
    expect(await balanceOf(usdc, thief)).toBe(0n);
  });

  it("cannot be renounced, which would freeze the executor key for good", async () => {
    const renounce = encodeFunctionData({
      abi: intermediaryAccountFactoryAbi,
      functionName: "renounceOwnership",
    });
    await expectRevert(owner, { to: factory, data: renounce }, "RenounceDisabled");
    expect(
      await client.readContract({
        address: factory,
        abi: intermediaryAccountFactoryAbi,
        functionName: "owner",
      }),
    ).toBe(owner.account.address);
  });

  it("lets only the owner replace the executor, after which the old key is locked out", async () => {
    const thief = attacker.account.address;
    const setExecutor = (to: Address) =>
      encodeFunctionData({ abi: intermediaryAccountFactoryAbi, functionName: "setExecutor", args: [to] });
    const args = await expectRevert(
      attacker,
      { to: factory, data: setExecutor(thief) },
      "OwnableUnauthorizedAccount",
    );
    expect(args).toEqual([thief]);
    await expectRevert(executorKey, { to: factory, data: setExecutor(thief) }, "OwnableUnauthorizedAccount");
    const readExecutor = () =>
      client.readContract({ address: factory, abi: intermediaryAccountFactoryAbi, functionName: "executor" });
    expect(await readExecutor()).toBe(executorKey.account.address);

    const identity = newIdentity();
    const account = await accountOf(identity);
    await fund(account, 2_000_000n);
    const recipient = freshAddress();
    const replacement = await fundedStranger(client, parseEther("1"));
    try {
      await mined(
        await owner.sendTransaction({ to: factory, data: setExecutor(replacement.account.address) }),
      );
      await expectRevert(
        executorKey,
        { to: factory, data: executeData(identity, [transferCall(recipient, 1n)]) },
        "NotExecutor",
      );
      await mined(
        await replacement.sendTransaction({
          to: factory,
          data: executeData(identity, [transferCall(recipient, 2_000_000n)]),
        }),
      );
      expect(await balanceOf(usdc, recipient)).toBe(2_000_000n);
    } finally {
      await mined(
        await owner.sendTransaction({ to: factory, data: setExecutor(executorKey.account.address) }),
      );
    }
    expect(await readExecutor()).toBe(executorKey.account.address);
  });
});
