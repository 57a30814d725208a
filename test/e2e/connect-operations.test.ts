import { sha256 } from "@noble/hashes/sha2";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoVaultAbi, devTokenAbi } from "../../src/chains/abi.gen.ts";
import { walletClientFor } from "../../src/chains/clients.ts";
import { devnetAccount, roleIndex } from "../../src/devnet/accounts.ts";
import { setBalance } from "../../src/devnet/anvil-rpc.ts";
import { connectApi, evmSigner, nearSigner, vaultSteps } from "../support/connect.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows } from "../support/trails-flow.ts";

let t: TestJunction;
let f: ReturnType<typeof flows>;
let api: ReturnType<typeof connectApi>;
beforeAll(async () => {
  t = await startTestJunction();
  f = flows(t);
  api = connectApi(t);
});
afterAll(() => t?.stop());

const A = 0;
const B = 1;
const collector = devnetAccount(roleIndex.feeCollector).address;
const deadline = () => new Date(Date.now() + 10 * 60_000).toISOString();
const vaultOf = (i: number) => f.chain(i).contracts.DemoVault as Address;

function quote(from: number, to: number, amount: string, extra: Record<string, unknown> = {}) {
  return {
    originAsset: api.asset(from, "USDC").id,
    destinationAsset: api.asset(to, "USDC").id,
    amount,
    swapType: "EXACT_INPUT",
    slippageTolerance: 50,
    deadline: deadline(),
    ...extra,
  };
}

const createBody = (q: unknown, steps: unknown[], extra: Record<string, unknown> = {}) => ({
  version: "1.0",
  type: "evm",
  quote: q,
  steps,
  ...extra,
});

/** A fresh EVM wallet funded with USDC on chain A by test account 5, and gas money. */
async function freshEvmWallet() {
  const account = privateKeyToAccount(generatePrivateKey());
  await f.transfer(A, 5, f.token(A, "USDC"), account.address, 1_000_000_000n);
  await setBalance(f.client(A), account.address, 10n ** 18n);
  return account;
}

/** The wallet itself deposits: a refund then comes back to it. */
async function walletTransfer(
  account: ReturnType<typeof privateKeyToAccount>,
  token: Address,
  to: Address,
  amount: bigint,
) {
  const hash = await walletClientFor(f.chain(A).viem, account).writeContract({
    address: token,
    abi: devTokenAbi,
    functionName: "transfer",
    args: [to, amount],
  });
  await f.client(A).waitForTransactionReceipt({ hash });
  return hash;
}

/** Bridge-in with `steps`, deposited by account 5; waits for `status`. */
async function bridgeIn(
  signer: ReturnType<typeof evmSigner>,
  steps: unknown[],
  status: string,
  amount = "100000000",
) {
  const execution = await api.createSigned(signer, createBody(quote(A, B, amount), steps));
  await f.transfer(
    A,
    5,
    f.token(A, "USDC"),
    execution.quote.depositAddress,
    BigInt(execution.quote.amountIn),
  );
  return api.waitStatus(signer.wallet, execution.id, status);
}

describe("Intents Connect: out-operations, signatures, conflicts, failures", () => {
  it("3. out-operation: the intermediary withdraws from chain B's vault and the USDC arrives on chain A", async () => {
    const signer = evmSigner(await freshEvmWallet());
    const usdcB = f.token(B, "USDC");
    // First a bridge-in that leaves vault shares with the intermediary account itself.
    const parked = await bridgeIn(
      signer,
      vaultSteps(usdcB, vaultOf(B), "{INTERMEDIARY}" as Address),
      "SUCCESS",
    );
    const intermediary = parked.details.intermediaryAddress as Address;
    const shares = await f.client(B).readContract({
      address: vaultOf(B),
      abi: demoVaultAbi,
      functionName: "balanceOf",
      args: [intermediary],
    });
    expect(shares).toBeGreaterThan(0n);

    const recipient = freshAddress();
    const collectorBefore = await f.balance(B, usdcB, collector);
    const out = await api.createSigned(
      signer,
      createBody(
        quote(B, A, "50000000", { recipient }),
        [
          {
            to: vaultOf(B),
            functionSignature: "redeem(uint256,address,address)",
            parameters: [shares.toString(), "{INTERMEDIARY}", "{INTERMEDIARY}"],
            value: "0",
          },
          {
            to: usdcB,
            functionSignature: "transfer(address,uint256)",
            parameters: ["{DEPOSIT_ADDRESS}", "{AMOUNT_IN}"],
            value: "0",
          },
        ],
        { outOperation: true },
      ),
    );
    expect(out.executionMode).toBe("quote_with_steps");
    // The fee step goes before the deposit, which stays last; the placeholders are filled in.
    expect(out.steps.map((s: { metadata?: { name?: string } }) => s.metadata?.name)).toEqual([
      undefined,
      "Fee Transfer",
      undefined,
    ]);
    expect(out.steps[2].parameters).toEqual([out.quote.depositAddress, out.quote.amountIn]);
    // Signed, it runs at once: never a status that tells a client to deposit.
    const [running] = (await api.list(signer.wallet, `?id=${out.id}`)).body.result;
    expect(["OPERATION_PENDING", "OPERATION_PROCESSING", "DEPOSIT_PROCESSING", "SUCCESS"]).toContain(
      running.status,
    );
    const done = await api.waitStatus(signer.wallet, out.id, "SUCCESS");
    expect(done.quote.recipient).toBe(recipient);
    expect(await f.balance(A, f.token(A, "USDC"), recipient)).toBe(BigInt(out.quote.amountOut));
    expect((await f.balance(B, usdcB, collector)) - collectorBefore).toBe(BigInt(out.details.networkFee));
    const redeemed = BigInt(parked.quote.minAmountOut);
    expect(await f.balance(B, usdcB, intermediary)).toBe(
      redeemed - BigInt(out.quote.amountIn) - BigInt(out.details.networkFee),
    );
  });

  it("4. refuses a wrong signature, another wallet's, and one replayed for a second execution; nothing moves", async () => {
    const wallet = await freshEvmWallet();
    const signer = evmSigner(wallet);
    const other = evmSigner(privateKeyToAccount(generatePrivateKey()));
    const body = createBody(
      quote(A, B, "20000000"),
      vaultSteps(f.token(B, "USDC"), vaultOf(B), wallet.address),
    );
    const first = (await api.create(signer.wallet, body)).body.result;
    const cases = [
      { name: "garbage", signature: `0x${"12".repeat(65)}` },
      { name: "another wallet's", ...(await other.sign(first.details.payload)) },
    ];
    for (const c of cases) {
      const res = await api.submit(signer.wallet, { executionId: first.id, signature: c.signature });
      expect(res.status, c.name).toBe(400);
      expect(res.body.error).toMatch(/signature/);
    }
    const good = await signer.sign(first.details.payload);
    expect((await api.submit(signer.wallet, { executionId: first.id, ...good })).status).toBe(200);
    // The same signature again answers the status; it cannot authorise another execution.
    expect((await api.submit(signer.wallet, { executionId: first.id, ...good })).body.result.status).toBe(
      "SIGNED_PENDING_DEPOSIT",
    );
    const del = await api.remove(signer.wallet, first.id, await signer.signDelete(first.id));
    expect(del.status).toBe(200);
    expect(del.body.result.status).toBe("DELETED");
    const second = (await api.create(signer.wallet, body)).body.result;
    const replay = await api.submit(signer.wallet, { executionId: second.id, ...good });
    expect(replay.status).toBe(400);
    const [listed] = (await api.list(signer.wallet, `?id=${second.id}`)).body.result;
    expect(listed.status).toBe("CREATED");
    expect(listed.details.messageSigned).toBe(false);
    // A deposit address is only usable once the execution is signed.
    const early = await api.depositSubmit({
      txHash: `0x${"ab".repeat(32)}`,
      depositAddress: second.quote.depositAddress,
    });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(/sign before depositing/);
    await api.remove(signer.wallet, second.id, await signer.signDelete(second.id));
  });

  it("5. one live execution per wallet and chain (409); deletion needs the wallet's signature, and never after SUCCESS", async () => {
    const signer = nearSigner(sha256(new TextEncoder().encode("near wallet of test 5")));
    const body = createBody(
      quote(A, B, "20000000"),
      vaultSteps(f.token(B, "USDC"), vaultOf(B), freshAddress()),
    );
    const first = await api.create(signer.wallet, body);
    expect(first.status).toBe(201);
    const second = await api.create(signer.wallet, body);
    expect(second.status).toBe(409);
    expect(second.body.error).toMatch(/already in progress/);
    const id = first.body.result.id;
    const stranger = nearSigner(sha256(new TextEncoder().encode("someone else")));
    const forged = await api.remove(signer.wallet, id, await stranger.signDelete(id));
    expect(forged.status).toBe(400);
    expect((await api.list(signer.wallet, `?id=${id}`)).body.result).toHaveLength(1);
    const removed = await api.remove(signer.wallet, id, await signer.signDelete(id));
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect((await api.list(signer.wallet, `?id=${id}`)).body.result).toEqual([]);
    // The slot is free again.
    const again = await api.create(signer.wallet, body);
    expect(again.status).toBe(201);
    await api.remove(signer.wallet, again.body.result.id, await signer.signDelete(again.body.result.id));

    const evm = evmSigner(await freshEvmWallet());
    const succeeded = await bridgeIn(
      evm,
      vaultSteps(f.token(B, "USDC"), vaultOf(B), freshAddress()),
      "SUCCESS",
      "20000000",
    );
    const refused = await api.remove(evm.wallet, succeeded.id, await evm.signDelete(succeeded.id));
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/SUCCESS cannot be deleted/);
  });

  it("6. a reverting step: OPERATION_FAILED with the funds kept in the intermediary, then moved out by a signed steps-only execution", async () => {
    const wallet = await freshEvmWallet();
    const signer = evmSigner(wallet);
    const usdcB = f.token(B, "USDC");
    // Approves 1 unit, then deposits everything: the deposit reverts for want of allowance.
    const steps = [
      { to: usdcB, functionSignature: "approve(address,uint256)", parameters: [vaultOf(B), "1"], value: "0" },
      {
        to: vaultOf(B),
        functionSignature: "deposit(uint256,address)",
        parameters: ["{MIN_AMOUNT_OUT}", wallet.address],
        value: "0",
      },
    ];
    const failed = await bridgeIn(signer, steps, "OPERATION_FAILED");
    expect(failed.statusReason).toMatch(/revert.*funds stay in the intermediary account/);
    const intermediary = failed.details.intermediaryAddress as Address;
    const held = await f.balance(B, usdcB, intermediary);
    expect(held).toBe(BigInt(failed.quote.amountOut));

    const rescue = await api.createSigned(
      signer,
      {
        version: "1.0",
        type: "evm",
        destinationAsset: api.asset(B, "USDC").id,
        steps: [
          {
            to: usdcB,
            functionSignature: "transfer(address,uint256)",
            parameters: [wallet.address, (held / 2n).toString()],
            value: "0",
          },
        ],
      },
      "steps",
    );
    expect(rescue.executionMode).toBe("steps_only");
    expect(rescue.quote).toBeUndefined();
    const done = await api.waitStatus(signer.wallet, rescue.id, "SUCCESS");
    expect(done.steps.at(-1).metadata.name).toBe("Fee Transfer");
    expect(await f.balance(B, usdcB, wallet.address)).toBe(held / 2n);
    expect(await f.balance(B, usdcB, intermediary)).toBe(
      held - held / 2n - BigInt(rescue.details.networkFee),
    );
  });

  it("an execution whose deadline passes without a deposit is EXPIRED, and a late deposit revives it", async () => {
    const wallet = await freshEvmWallet();
    const signer = evmSigner(wallet);
    const receiver = freshAddress();
    const q = quote(A, B, "20000000", { deadline: new Date(Date.now() + 3_000).toISOString() });
    const execution = await api.createSigned(
      signer,
      createBody(q, vaultSteps(f.token(B, "USDC"), vaultOf(B), receiver)),
    );
    const expired = await api.waitStatus(signer.wallet, execution.id, "EXPIRED", 20_000);
    expect(expired.statusReason).toMatch(/deposit/);
    await f.transfer(
      A,
      5,
      f.token(A, "USDC"),
      execution.quote.depositAddress,
      BigInt(execution.quote.amountIn),
    );
    await api.waitStatus(signer.wallet, execution.id, "SUCCESS");
    const shares = await f
      .client(B)
      .readContract({ address: vaultOf(B), abi: demoVaultAbi, functionName: "balanceOf", args: [receiver] });
    expect(shares).toBeGreaterThan(0n);
  });

  it("a deposit below the quote goes back to the wallet while the execution waits; at the deadline: DEPOSIT_FAILED", async () => {
    const wallet = await freshEvmWallet();
    const signer = evmSigner(wallet);
    const usdcA = f.token(A, "USDC");
    const execution = await api.createSigned(
      signer,
      createBody(quote(A, B, "20000000"), vaultSteps(f.token(B, "USDC"), vaultOf(B), wallet.address)),
    );
    const before = await f.balance(A, usdcA, wallet.address);
    const short = BigInt(execution.quote.amountIn) / 2n;
    const hash = await walletTransfer(wallet, usdcA, execution.quote.depositAddress, short);
    const submitted = await api.depositSubmit({
      txHash: hash,
      depositAddress: execution.quote.depositAddress,
    });
    expect(submitted.status).toBe(400);
    expect(submitted.body.error).toMatch(/holds \d+ of the \d+ the quote needs/);
    // Back with the wallet at once; the execution keeps waiting for its real deposit.
    for (let i = 0; i < 150 && (await f.balance(A, usdcA, wallet.address)) !== before; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await f.balance(A, usdcA, wallet.address)).toBe(before);
    const [waiting] = (await api.list(signer.wallet, `?id=${execution.id}`)).body.result;
    expect(waiting.status).toBe("DEPOSIT_PENDING");
    // Nothing more by the deadline: DEPOSIT_FAILED, saying what happened.
    const lifetime = Date.parse(execution.quote.deadline) - Date.now() + 1_000;
    t.advanceClock(lifetime);
    try {
      const failed = await api.waitStatus(signer.wallet, execution.id, "DEPOSIT_FAILED");
      expect(failed.statusReason).toMatch(/fell short was returned/);
    } finally {
      t.advanceClock(-lifetime);
    }
  });
});
