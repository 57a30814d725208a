import { sha256 } from "@noble/hashes/sha2";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoVaultAbi } from "../../src/chains/abi.gen.ts";
import { devnetAccount, devnetNearAccount, roleIndex } from "../../src/devnet/accounts.ts";
import {
  type ConnectSigner,
  connectApi,
  evmSigner,
  nearSigner,
  solanaSigner,
  vaultSteps,
} from "../support/connect.ts";
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
});
