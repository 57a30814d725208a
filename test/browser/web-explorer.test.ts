import type { Browser, Page } from "playwright-core";
import type { Address, Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { mine, setAutomine } from "../../src/devnet/anvil-rpc.ts";
import { launchBrowser, recordPageProblems, screenshot } from "../support/browser.ts";
import { testJunctionFixture } from "../support/junction.ts";
import { freshAddress } from "../support/onchain.ts";

/**
 * The web app's explorer and intent pages in Chromium, against a real Junction on the devnet:
 * payments made through the API, then found and followed in the browser.
 */
const fx = testJunctionFixture();
let browser: Browser;
const A = 0;
const B = 1;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

async function open(path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = recordPageProblems(page);
  await page.goto(`${fx.t.url}${path}`);
  return { page, problems };
}

/** A committed 10 USDC payment from chain A to chain B by test account `payer`. */
async function committedPayment(payer: number, recipient: Address = freshAddress()) {
  const intent = await fx.f.quotePayment(fx.t.trails, devnetAccount(payer).address, { recipient });
  await fx.t.trails.commitIntent({ intent });
  return intent;
}

async function pay(payer: number, intent: Awaited<ReturnType<typeof committedPayment>>): Promise<Hex> {
  const usdc = fx.f.token(A, "USDC");
  const hash = await fx.f.transfer(A, payer, usdc, intent.originIntentAddress as Address, 10_000_000n);
  await fx.t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });
  return hash;
}

async function search(page: Page, term: string): Promise<void> {
  await page.goto(`${fx.t.url}/`);
  await page.getByLabel("Intent id, execution id, address or transaction hash").fill(term);
  await page.getByRole("button", { name: "Search" }).click();
}

describe("the explorer", () => {
  it("lists a payment made through the API and finds it by its id, its deposit address and its deposit transaction", async () => {
    const intent = await committedPayment(2);
    const depositHash = await pay(2, intent);
    const receipt = await fx.f.waitFinal(fx.t.trails, intent.intentId);
    const fill = receipt.destinationTransaction?.txnHash as string;

    const { page, problems } = await open("/");
    await page.locator(`a[href="/intents/${intent.intentId}"]`).waitFor();
    await screenshot(page, "web-explorer");
    for (const term of [intent.intentId, intent.originIntentAddress, depositHash]) {
      await search(page, term);
      await page.waitForURL(`${fx.t.url}/intents/${intent.intentId}`);
      await expect.poll(() => page.getByTestId("where").textContent()).toMatch(/^Delivered: 9\.\d+ USDC to/);
    }
    await expect(page.locator(".status-line").textContent()).resolves.toContain("SUCCEEDED");
    await expect(page.locator(`code[title="${fill}"]`).count()).resolves.toBeGreaterThan(0);
    // The block the fill was mined in, as the chain says, in the answer and on the timeline.
    const { blockNumber } = await fx.f.client(1).getTransactionReceipt({ hash: fill as `0x${string}` });
    await expect.poll(() => page.getByTestId("where").textContent()).toContain(`in block ${blockNumber}.`);
    await expect(page.locator("ol.timeline li", { hasText: "fill mined" }).textContent()).resolves.toContain(
      `in block ${blockNumber}`,
    );
    await screenshot(page, "web-intent-succeeded");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("says plainly when nothing matches, and answers an unknown page with its own not-found page", async () => {
    const { page } = await open("/");
    await search(page, freshAddress());
    await expect(page.getByText(/^Nothing found for 0x/).textContent()).resolves.toBeTruthy();
    const res = await page.goto(`${fx.t.url}/no/such/page`);
    expect(res?.status()).toBe(404);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    // The APIs keep their own errors.
    const api = await fetch(`${fx.t.url}/api/v1/no-such-thing`, { headers: { accept: "text/html" } });
    expect(api.status).toBe(404);
    expect(await api.json()).toHaveProperty("error");
    await page.close();
  });
});

describe("an intent's page", () => {
  it("updates from EXECUTING to SUCCEEDED while it is open, without a reload", async () => {
    const chainB = fx.f.client(B);
    const intent = await committedPayment(3);
    // Chain B holds its blocks: the fill waits in its pool, so the intent stays EXECUTING.
    await setAutomine(chainB, false);
    try {
      await pay(3, intent);
      const { page, problems } = await open(`/intents/${intent.intentId}`);
      await expect
        .poll(() => page.locator(".status-line").textContent(), { timeout: 20_000 })
        .toContain("EXECUTING");
      await screenshot(page, "web-intent-executing");
      let reloaded = false;
      page.on("load", () => {
        reloaded = true;
      });
      await setAutomine(chainB, true);
      await mine(chainB);
      await expect
        .poll(() => page.locator(".status-line").textContent(), { timeout: 20_000 })
        .toContain("SUCCEEDED");
      expect(reloaded).toBe(false);
      await expect.poll(() => page.locator("ol.timeline").textContent()).toContain("fill mined");
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await setAutomine(chainB, true);
    }
  });

  it("says where a refunded deposit went, with the refund transaction", async () => {
    const owner = devnetAccount(4).address;
    const intent = await committedPayment(4);
    fx.t.advanceClock((fx.t.junction.ctx.config.commitLifetimeSeconds + 1) * 1000);
    await fx.f.waitStatus(fx.t.trails, intent.intentId, "FAILED");
    // A deposit after the intent failed goes back to its owner.
    await fx.f.transfer(A, 4, fx.f.token(A, "USDC"), intent.originIntentAddress as Address, 10_000_000n);
    const refunded = await fx.f.waitStatus(fx.t.trails, intent.intentId, "REFUNDED");
    const refund = refunded.originTransaction.txnHash as string;
    const { page } = await open(`/intents/${intent.intentId}`);
    await expect
      .poll(() => page.getByTestId("where").textContent())
      .toBe(
        `Refunded to ${owner.slice(0, 6)}…${owner.slice(-4)} on ${fx.f.chain(A).name} in transaction ${refund.slice(0, 6)}…${refund.slice(-4)}.`,
      );
    await expect(page.locator(`code[title="${refund}"]`).count()).resolves.toBeGreaterThan(0);
    await screenshot(page, "web-intent-refunded");
    await page.close();
  });
});
