import { sha256 } from "@noble/hashes/sha2";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoVaultAbi, devTokenAbi } from "../../src/chains/abi.gen.ts";
import { devnetAccount, devnetNearAccount, roleIndex } from "../../src/devnet/accounts.ts";
import { mine, setAutomine } from "../../src/devnet/anvil-rpc.ts";
import { ANNOUNCEMENT_TTL_MS, MAX_FOLLOWED_PER_ADDRESS } from "../../src/engine/intents/follow.ts";
import {
  type ConnectSigner,
  connectApi,
  evmSigner,
  nearSigner,
  solanaSigner,
  stellarSigner,
  vaultSteps,
} from "../support/connect.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";
import { flows } from "../support/trails-flow.ts";
import { until } from "../support/until.ts";

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
/** Pays the deposits of wallets that are not EVM accounts (anyone may fund a deposit address). */
const FUNDER = 4;
const collector = devnetAccount(roleIndex.feeCollector).address;
const seed = (text: string) => sha256(new TextEncoder().encode(text));

function bridgeInBody(receiver: Address, amount = "100000000") {
  const usdcA = api.asset(A, "USDC");
  const usdcB = api.asset(B, "USDC");
  const vault = usdcB.chain.contracts.DemoVault as Address;
  return {
    version: "1.0",
    type: "evm",
    dry: false,
    outOperation: false,
    metadata: { purpose: "test" },
    quote: {
      originAsset: usdcA.id,
      destinationAsset: usdcB.id,
      amount,
      swapType: "EXACT_INPUT",
      slippageTolerance: 50,
      deadline: new Date(Date.now() + 10 * 60_000).toISOString(),
    },
    steps: vaultSteps(usdcB.address, vault, receiver),
  };
}

const vaultShares = (holder: Address) =>
  f.client(B).readContract({
    address: f.chain(B).contracts.DemoVault as Address,
    abi: demoVaultAbi,
    functionName: "balanceOf",
    args: [holder],
  });

/** Creates, signs, deposits, and waits for SUCCESS; then checks the chains. */
async function bridgeIn(signer: ConnectSigner, depositor: number) {
  const receiver = freshAddress();
  const usdcB = f.token(B, "USDC");
  const collectorBefore = await f.balance(B, usdcB, collector);
  const execution = await api.createSigned(signer, bridgeInBody(receiver));
  const { quote, details, steps } = execution;
  // Aurora's client reads depositMemo as string | null; no configured chain needs one.
  expect(quote.depositMemo).toBeNull();
  expect(steps.at(-1)).toMatchObject({
    to: usdcB,
    functionSignature: "transfer(address,uint256)",
    parameters: [collector, details.networkFee],
    metadata: { name: "Fee Transfer" },
  });
  // The steps as they will run: {MIN_AMOUNT_OUT} filled in with what the swap delivers less the fee.
  expect(BigInt(quote.minAmountOut)).toBe(BigInt(quote.amountOut) - BigInt(details.networkFee));
  expect(steps[1].parameters).toEqual([quote.minAmountOut, receiver]);
  const hash = await f.transfer(
    A,
    depositor,
    f.token(A, "USDC"),
    quote.depositAddress,
    BigInt(quote.amountIn),
  );
  const announced = await api.depositSubmit({ txHash: hash, depositAddress: quote.depositAddress });
  expect(announced.status, JSON.stringify(announced.body)).toBe(200);
  const done = await api.waitStatus(signer.wallet, execution.id, "SUCCESS");
  expect(done.details.messageSigned).toBe(true);
  const vault = f.chain(B).contracts.DemoVault as Address;
  const assets = await f.client(B).readContract({
    address: vault,
    abi: demoVaultAbi,
    functionName: "convertToAssets",
    args: [await vaultShares(receiver)],
  });
  expect(assets).toBe(BigInt(quote.minAmountOut));
  expect((await f.balance(B, usdcB, collector)) - collectorBefore).toBe(BigInt(details.networkFee));
  // Everything delivered was used: the steps' amount and the fee.
  expect(await f.balance(B, usdcB, details.intermediaryAddress)).toBe(0n);
  return execution;
}

describe("Intents Connect bridge-in: a deposit on chain A ends as vault shares on chain B", () => {
  it("1. an EVM wallet (erc191)", async () => {
    const wallet = privateKeyToAccount(devnetAccount(3).privateKey);
    const execution = await bridgeIn(evmSigner(wallet), 3);
    expect(execution.details.signingStandard).toBe("erc191");
    expect(execution.details.payload.payload_json).toBe(execution.details.messageToSign);
    const intermediary = await api.call("GET", `/executions/${wallet.address}/intermediary`);
    expect(intermediary.body.result).toEqual({
      originAccount: wallet.address,
      originType: "evm",
      evm: execution.details.intermediaryAddress,
      solana: null,
    });
  });

  it("2a. a NEAR implicit wallet (nep413)", async () => {
    const execution = await bridgeIn(nearSigner(seed("implicit wallet")), FUNDER);
    expect(execution.details.signingStandard).toBe("nep413");
  });

  it("2b. a NEAR named wallet (nep413, key from the devnet registry)", async () => {
    const signer = nearSigner(devnetNearAccount.secretKey, devnetNearAccount.accountId);
    const execution = await bridgeIn(signer, FUNDER);
    expect(execution.details.signingStandard).toBe("nep413");
  });

  it("2c. a Solana wallet (raw_ed25519)", async () => {
    const execution = await bridgeIn(solanaSigner(seed("solana wallet")), FUNDER);
    expect(execution.details.signingStandard).toBe("raw_ed25519");
  });

  it("2d. a Stellar wallet (sep53), which can also cancel with its signature", async () => {
    const signer = stellarSigner(seed("stellar wallet"));
    expect(signer.wallet).toMatch(/^G[A-Z2-7]{55}$/);
    const execution = await bridgeIn(signer, FUNDER);
    expect(execution.details.signingStandard).toBe("sep53");
    expect(execution.details.payload.standard).toBe("sep53");
    const intermediary = await api.call("GET", `/executions/${signer.wallet}/intermediary`);
    expect(intermediary.body.result).toMatchObject({
      originAccount: signer.wallet,
      originType: "stellar",
      evm: execution.details.intermediaryAddress,
    });
    // A second execution, cancelled with a SEP-53 signature over delete_execution:<id>.
    const created = await api.create(signer.wallet, bridgeInBody(freshAddress()));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.result.id;
    const forged = await api.remove(signer.wallet, id, await stellarSigner(seed("another")).signDelete(id));
    expect(forged.status).toBe(400);
    const removed = await api.remove(signer.wallet, id, await signer.signDelete(id));
    expect(removed.body).toEqual({ result: { status: "DELETED", executionId: id } });
  });
});

describe("deposit/submit as a wallet calls it: right after the broadcast", () => {
  const unmined = async (run: () => Promise<void>) => {
    await setAutomine(f.client(A), false);
    try {
      await run();
    } finally {
      await setAutomine(f.client(A), true);
    }
  };

  it("a hash not mined yet is accepted, followed, and acted on once mined", async () => {
    const signer = evmSigner(privateKeyToAccount(devnetAccount(5).privateKey));
    const execution = await api.createSigned(signer, bridgeInBody(freshAddress()));
    const { depositAddress, amountIn } = execution.quote;
    await unmined(async () => {
      const hash = await f.wallet(A, 5).writeContract({
        address: f.token(A, "USDC"),
        abi: devTokenAbi,
        functionName: "transfer",
        args: [depositAddress, BigInt(amountIn)],
      });
      // Pending in the pool: announced as the client does, at once.
      const announced = await api.depositSubmit({ txHash: hash, depositAddress });
      expect(announced.status, JSON.stringify(announced.body)).toBe(200);
      expect(announced.body.result.status).toBe("DEPOSIT_PENDING");
      const followed = await t.db.selectFrom("deposit_announcements").selectAll().execute();
      expect(followed.map((a) => a.tx_hash)).toContain(hash.toLowerCase());
      await mine(f.client(A));
    });
    await api.waitStatus(signer.wallet, execution.id, "SUCCESS");
    // Acted on and forgotten.
    await until(
      () => t.db.selectFrom("deposit_announcements").selectAll().execute(),
      (rows) => rows.length === 0,
      "the announcement to be forgotten once mined",
    );
  });

  it("a hash the node has never seen is accepted, a few per address, and forgotten without harm after an hour", async () => {
    const signer = evmSigner(privateKeyToAccount(devnetAccount(6).privateKey));
    const execution = await api.createSigned(signer, bridgeInBody(freshAddress()));
    const hash = `0x${"5e".repeat(32)}`;
    const depositAddress = execution.quote.depositAddress;
    const announced = await api.depositSubmit({ txHash: hash, depositAddress });
    expect(announced.status, JSON.stringify(announced.body)).toBe(200);
    // Made-up hashes cannot pile up: a few are followed per address, the same one again is fine.
    for (let i = 1; i < MAX_FOLLOWED_PER_ADDRESS; i++) {
      const more = await api.depositSubmit({
        txHash: `0x${String(i).padStart(2, "0").repeat(32)}`,
        depositAddress,
      });
      expect(more.status).toBe(200);
    }
    expect((await api.depositSubmit({ txHash: hash, depositAddress })).status).toBe(200);
    const refused = await api.depositSubmit({ txHash: `0x${"77".repeat(32)}`, depositAddress });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/^txHash: 4 transactions not mined yet are already announced/);
    t.advanceClock(ANNOUNCEMENT_TTL_MS + 1_000);
    try {
      await f.transfer(B, 6, f.token(B, "USDC"), freshAddress(), 1n); // a new block on chain B
      await f.transfer(A, 6, f.token(A, "USDC"), freshAddress(), 1n); // and on chain A, which follows it
      await until(
        () =>
          t.db
            .selectFrom("deposit_announcements")
            .selectAll()
            .where("deposit_address", "=", depositAddress)
            .execute(),
        (rows) => rows.length === 0,
        "the unmined announcement to be forgotten",
      );
    } finally {
      t.advanceClock(-(ANNOUNCEMENT_TTL_MS + 1_000));
    }
    // Nothing was acted on: the execution waited for a deposit that never came (its own deadline,
    // passed with the clock moved on, decides the rest).
    const [listed] = (await api.list(signer.wallet, `?id=${execution.id}`)).body.result;
    expect(["DEPOSIT_PENDING", "EXPIRED"]).toContain(listed.status);
  });

  it("refuses at once what can be judged now, naming its own fields only", async () => {
    const signer = evmSigner(privateKeyToAccount(devnetAccount(7).privateKey));
    const execution = await api.createSigned(signer, bridgeInBody(freshAddress()));
    const { depositAddress } = execution.quote;
    // Mined, and pays someone else.
    const elsewhere = await f.transfer(A, 7, f.token(A, "USDC"), freshAddress(), 1_000_000n);
    const refused = await api.depositSubmit({ txHash: elsewhere, depositAddress });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/^txHash: .* transfers nothing to the deposit address/);
    for (const bad of [
      { txHash: "0x1234", depositAddress },
      { txHash: elsewhere, depositAddress: freshAddress() },
    ]) {
      const res = await api.depositSubmit(bad);
      expect([400, 404]).toContain(res.status);
      expect(res.body.error).not.toMatch(/ExecuteIntent|depositTransactionHash|intentId/);
    }
    expect(refused.body.error).not.toMatch(/ExecuteIntent|depositTransactionHash/);
  });
});
