import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { type Address, getAddress } from "viem";
import { build, type PreviewServer, preview } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wellKnownAddresses } from "../../src/chains/well-known.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { launchBrowser, recordPageProblems, screenshot } from "../support/browser.ts";
import { testJunctionFixture } from "../support/junction.ts";

/**
 * The official Trails widget (npm `0xtrails`, unmodified) in pay mode on a page of its own
 * origin, every URL option pointing at Junction, on a devnet under chain ids the widget knows
 * (Base 8453, Arbitrum One 42161, OP Mainnet 10), with a page-provided wallet holding a devnet
 * test account. It pays 1 USDC on Arbitrum to a test account; the chain says whether it arrived.
 */
const pageDir = join(import.meta.dirname, "widget-page");
const BASE = 0;
const ARBITRUM = 1;
const ONE_USDC = 1_000_000n;

const fx = testJunctionFixture({ JUNCTION_DEVNET_CHAIN_IDS: "8453,42161,10" });
let outDir: string;
let server: PreviewServer;
let browser: Browser;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "junction-widget-page-"));
  await build({ root: pageDir, configFile: join(pageDir, "vite.config.ts"), build: { outDir } });
  server = await preview({
    root: pageDir,
    configFile: join(pageDir, "vite.config.ts"),
    build: { outDir },
    preview: { host: "127.0.0.1", port: 0 },
  });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => server?.httpServer.close(done));
  rmSync(outDir, { recursive: true, force: true });
});

/** Opens the widget with `payer`'s wallet, paying 1 USDC on Arbitrum to `recipient`. */
async function openWidget(payer: number, recipient: Address): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 480, height: 900 } });
  const query = new URLSearchParams({
    junction: fx.t.url,
    apiKey: "devnet",
    key: devnetAccount(payer).privateKey,
    walletChain: "8453",
    to: recipient,
    amount: "1",
    toChain: "42161",
    toToken: fx.f.token(ARBITRUM, "USDC"),
  });
  const pageUrl = server.resolvedUrls?.local[0];
  if (!pageUrl) throw new Error("the preview server has no local URL");
  await page.goto(`${pageUrl}?${query}`);
  return page;
}

/** Chooses what to pay with in the widget's token picker ("USDC on Base (8453)"), then Pay. */
async function pay(page: Page, paidWith: string, name: string): Promise<void> {
  const problems = recordPageProblems(page);
  try {
    // The widget fills its picker from Junction's indexer and preselects a token it holds.
    await page.getByText("Balance:").waitFor({ timeout: 30_000 });
    await page.getByText("USDC").first().click();
    await page.locator(`[title="${paidWith}"]`).first().click();
    await page.getByRole("button", { name: "Pay", exact: true }).click({ timeout: 30_000 });
    await page.getByText("Completed", { exact: true }).first().waitFor({ timeout: 60_000 });
  } catch (err) {
    await screenshot(page, `${name}-failed`);
    throw new Error(`${(err as Error).message}\n${problems.slice(-15).join("\n")}`);
  }
  await screenshot(page, name);
}

/** The payer's one intent, as Junction's receipt tells it. */
async function onlyIntentOf(payer: Address) {
  const { intents } = await fx.t.trails.searchIntents({ byOwnerAddress: payer });
  expect(intents).toHaveLength(1);
  const { intentReceipt } = await fx.t.trails.getIntentReceipt({ intentId: intents[0]?.intentId ?? "" });
  return intentReceipt;
}

describe("the official Trails widget paying through Junction", () => {
  it("pays 1 USDC from Base to Arbitrum gaslessly: a permit and a signed intent, no gas from the payer", async () => {
    const payer = devnetAccount(3).address;
    const recipient = devnetAccount(4).address;
    const gasBefore = await fx.f.balance(BASE, fx.f.token(BASE, "ETH"), payer);
    const usdcBefore = await fx.f.balance(BASE, fx.f.token(BASE, "USDC"), payer);
    const page = await openWidget(3, recipient);
    await fx.f.expectBalanceChange(
      ARBITRUM,
      fx.f.token(ARBITRUM, "USDC"),
      recipient,
      () => pay(page, "USDC on Base (8453)", "widget-gasless"),
      ONE_USDC,
    );
    const receipt = await onlyIntentOf(payer);
    expect(receipt.status).toBe("SUCCEEDED");
    // Relayed through Junction's entrypoint at the address the widget has compiled in.
    const entry = receipt.depositTransaction.depositIntentEntry;
    expect(entry?.intentSignature).toMatch(/^0x/);
    expect(entry?.permitSignature).toMatch(/^0x/);
    const spent = BigInt(receipt.depositTransaction.tokenAmount) + BigInt(entry?.feeAmount ?? 0);
    expect(await fx.f.balance(BASE, fx.f.token(BASE, "USDC"), payer)).toBe(usdcBefore - spent);
    expect(await fx.f.balance(BASE, fx.f.token(BASE, "ETH"), payer)).toBe(gasBefore);
    expect(
      await fx.f.client(BASE).readContract({
        address: fx.f.token(BASE, "USDC"),
        abi: [
          {
            type: "function",
            name: "allowance",
            stateMutability: "view",
            inputs: [
              { name: "owner", type: "address" },
              { name: "spender", type: "address" },
            ],
            outputs: [{ type: "uint256" }],
          },
        ],
        functionName: "allowance",
        args: [payer, wellKnownAddresses.IntentEntrypoint],
      }),
    ).toBeGreaterThan(0n);
    await page.close();
  });

  it("pays 1 USDC on Arbitrum with ETH on Base: the wallet sends the deposit itself", async () => {
    const payer = devnetAccount(5).address;
    const recipient = devnetAccount(6).address;
    const page = await openWidget(5, recipient);
    await fx.f.expectBalanceChange(
      ARBITRUM,
      fx.f.token(ARBITRUM, "USDC"),
      recipient,
      () => pay(page, "ETH on Base (8453)", "widget-deposit"),
      ONE_USDC,
    );
    const receipt = await onlyIntentOf(payer);
    expect(receipt.status).toBe("SUCCEEDED");
    expect(receipt.depositTransaction.depositIntentEntry).toBeUndefined();
    expect(receipt.depositTransaction.fromAddress).toBe(payer);
    const deposit = await fx.f.client(BASE).getTransaction({
      hash: receipt.depositTransaction.txnHash as `0x${string}`,
    });
    expect(getAddress(deposit.from)).toBe(payer);
    await page.close();
  });
});
