import type { Browser, Page } from "playwright-core";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoVaultAbi } from "../../src/chains/abi.gen.ts";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { launchBrowser, recordPageProblems, screenshot } from "../support/browser.ts";
import { testJunctionFixture } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";

/** The playground in Chromium: payments made by its buttons, checked on the chains. */
const fx = testJunctionFixture();
const A = 0;
const B = 1;
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

/** Fills the form: test account `payer` pays `amount` USDC from chain A to `recipient` on chain B. */
async function fillPayment(page: Page, payer: number, recipient: Address, amount: string) {
  await page.goto(`${fx.t.url}/playground`);
  await page.getByLabel("Pay with").selectOption(String(payer));
  await page.getByRole("group", { name: "From" }).getByLabel("Chain").selectOption({ index: A });
  await page.getByRole("group", { name: "To" }).getByLabel("Chain").selectOption({ index: B });
  await page.getByLabel("Amount", { exact: true }).fill(amount);
  await page.getByLabel("Recipient", { exact: true }).fill(recipient);
}

async function quoteAndPay(page: Page, button: RegExp, name: string): Promise<string> {
  const problems = recordPageProblems(page);
  await page.getByRole("button", { name: "Get a quote" }).click();
  await page.getByTestId("quote").waitFor();
  await screenshot(page, `${name}-quote`);
  await page.getByRole("button", { name: button }).click();
  // The page goes to the intent once paid, or says why it could not pay.
  await page.locator(".status-line, .error").first().waitFor({ timeout: 30_000 });
  if (await page.locator(".error").count())
    throw new Error(`the playground: ${await page.locator(".error").textContent()}`);
  const intentId = page.url().split("/").at(-1) as string;
  await expect
    .poll(() => page.locator(".status-line").textContent(), { timeout: 30_000 })
    .toContain("SUCCEEDED");
  await screenshot(page, name);
  expect(problems).toEqual([]);
  return intentId;
}

describe("the playground", () => {
  it("pays across chains with a test account: the recipient is paid on chain", async () => {
    const recipient = freshAddress();
    const page = await browser.newPage();
    await fillPayment(page, 7, recipient, "10");
    const intentId = await quoteAndPay(page, /^Pay by transfer$/, "web-playground-transfer");
    const { intent } = await fx.t.trails.getIntent({ intentId });
    expect(intent.ownerAddress).toBe(devnetAccount(7).address);
    expect(await fx.f.balance(B, fx.f.token(B, "USDC"), recipient)).toBe(intent.quote.toAmount);
    await page.close();
  });

  it("pays gaslessly into the DemoVault: a permit signed in the page, no gas spent by the payer", async () => {
    const recipient = freshAddress();
    const payer = devnetAccount(8).address;
    const gasBefore = await fx.f.balance(A, fx.f.token(A, "ETH"), payer);
    const page = await browser.newPage();
    await fillPayment(page, 8, recipient, "20");
    await page.getByLabel(/Deposit into the DemoVault/).check();
    const intentId = await quoteAndPay(page, /^Pay gasless/, "web-playground-gasless");
    const { intent } = await fx.t.trails.getIntent({ intentId });
    const vault = fx.f.chain(B).contracts.DemoVault as Address;
    const client = fx.f.client(B);
    const shares = await client.readContract({
      address: vault,
      abi: demoVaultAbi,
      functionName: "balanceOf",
      args: [recipient],
    });
    const assets = await client.readContract({
      address: vault,
      abi: demoVaultAbi,
      functionName: "convertToAssets",
      args: [shares],
    });
    expect(assets).toBe(intent.quote.toAmount);
    expect(await fx.f.balance(A, fx.f.token(A, "ETH"), payer)).toBe(gasBefore);
    await page.close();
  });

  it("bridges in through Intents Connect: signed in the page, the steps deposit into the DemoVault", async () => {
    const recipient = freshAddress();
    const page = await browser.newPage();
    const problems = recordPageProblems(page);
    await fillPayment(page, 9, recipient, "30");
    await page.getByRole("button", { name: /^Bridge in to the DemoVault/ }).click();
    await page.locator(".status-line, .error").first().waitFor({ timeout: 30_000 });
    if (await page.locator(".error").count())
      throw new Error(`the playground: ${await page.locator(".error").textContent()}`);
    expect(page.url()).toMatch(/\/executions\/[0-9a-f-]{36}$/);
    await expect
      .poll(() => page.locator(".status-line").textContent(), { timeout: 45_000 })
      .toContain("SUCCESS");
    await screenshot(page, "web-playground-connect");
    const vault = fx.f.chain(B).contracts.DemoVault as Address;
    const shares = await fx.f.client(B).readContract({
      address: vault,
      abi: demoVaultAbi,
      functionName: "balanceOf",
      args: [recipient],
    });
    expect(shares).toBeGreaterThan(0n);

    // The explorer lists it among the latest executions (the devnet hands its pages the admin key).
    const executionId = page.url().split("/").at(-1) as string;
    await page.goto(fx.t.url);
    const listed = page.getByTestId("executions").locator("li", { hasText: executionId.slice(0, 6) });
    await listed.getByText("SUCCESS").waitFor({ timeout: 10_000 });
    await listed.getByRole("link").click();
    await page.waitForURL(`**/executions/${executionId}`);
    expect(problems).toEqual([]);
    await page.close();
  });
});
