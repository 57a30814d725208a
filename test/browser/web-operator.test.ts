import { TradeType } from "@0xtrails/api";
import type { Browser } from "playwright-core";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetAccount } from "../../src/devnet/accounts.ts";
import { formatAmount } from "../../web/src/format.ts";
import { launchBrowser, screenshot } from "../support/browser.ts";
import { poisonedBalanceReads } from "../support/faults.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";

/**
 * The operator page in Chromium: the inventory it shows is the chain's, beside its low-water mark;
 * a row the work queue parked (its node kept failing) goes on after the page's Retry; and once it
 * is filled, its fees appear among those earned and the charts draw.
 */
const MAX_ATTEMPTS = 2;
const faults = poisonedBalanceReads();
const poisoned = faults.poisoned;
const USER = 6;

let t: TestJunction;
let f: ReturnType<typeof flows>;
let browser: Browser;
beforeAll(async () => {
  t = await startTestJunction(
    {
      JUNCTION_QUEUE_RETRY_BASE_MS: "40",
      JUNCTION_QUEUE_RETRY_MAX_MS: "200",
      JUNCTION_QUEUE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    },
    "",
    faults.ports,
  );
  f = flows(t);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe("the operator page", () => {
  it("shows the inventory the chain holds, a parked intent goes on after Retry, and its fees count", async () => {
    const usdc = f.token(0, "USDC");
    const { intent } = await t.trails.quoteIntent({
      ownerAddress: devnetAccount(USER).address,
      originChainId: f.chain(0).chainId,
      originTokenAddress: usdc,
      destinationChainId: f.chain(1).chainId,
      destinationTokenAddress: f.token(1, "USDC"),
      tradeType: TradeType.EXACT_INPUT,
      originTokenAmount: 5_000_000n,
    });
    await t.trails.commitIntent({ intent });
    poisoned.add((intent.originIntentAddress as string).toLowerCase());
    const hash = await f.transfer(0, USER, usdc, intent.originIntentAddress as Address, 5_000_000n);
    await t.trails.executeIntent({ intentId: intent.intentId, depositTransactionHash: hash });

    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    await page.goto(`${t.url}/operator`);
    const parkedRow = page.getByTestId("parked").locator("li", { hasText: intent.intentId.slice(0, 10) });
    await parkedRow.waitFor({ timeout: 30_000 });
    await expect(parkedRow.textContent()).resolves.toContain("connection reset by peer");

    const settlement = f.chain(0).contracts.Settlement;
    const held = await f.balance(0, usdc, settlement);
    const row = page.locator(
      `[data-testid="inventory"] tr[data-chain="${f.chain(0).chainId}"][data-token="USDC"]`,
    );
    await expect(row.getByTestId("held").textContent()).resolves.toBe(formatAmount(held, 6, "USDC"));
    // config/devnet.json's mark; the devnet's inventory is far above it.
    await expect(row.getByTestId("low-water").textContent()).resolves.toBe("1,000,000 USDC");
    await screenshot(page, "web-operator");

    poisoned.clear();
    await parkedRow.getByRole("button", { name: "Retry" }).click();
    await page.getByText("Nothing is parked.").waitFor({ timeout: 20_000 });
    expect((await f.waitFinal(t.trails, intent.intentId)).status).toBe("SUCCEEDED");

    // The only fill of this Junction: its quote's fees are what was earned.
    const fee = BigInt(intent.fees.provider.totalFeeAmount);
    const earned = page.locator(
      `[data-testid="fees"] tr[data-chain="${f.chain(0).chainId}"][data-token="USDC"]`,
    );
    await earned.waitFor({ timeout: 10_000 });
    await expect(earned.getByTestId("earned").textContent()).resolves.toContain(formatAmount(fee, 6, "USDC"));
    await expect(page.getByTestId("activity-summary").textContent()).resolves.toMatch(/^1 fill,/);
    await expect(page.locator(".chart canvas").count()).resolves.toBe(2);
    await page.getByLabel("over the last").selectOption("24h");
    await page
      .getByTestId("activity-summary")
      .filter({ hasText: /^1 fill,/ })
      .waitFor();
    await screenshot(page, "web-operator-activity");
    await page.close();
  });
});
