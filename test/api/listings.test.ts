import { type SearchIntentsRequest, TrailsApi } from "@0xtrails/api";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executionListingMessage, intentListingMessage } from "../../src/core/listing.ts";
import { connectApi, vaultSteps } from "../support/connect.ts";
import { startTestJunction, type TestJunction } from "../support/junction.ts";
import { flows } from "../support/trails-flow.ts";

/**
 * `listings: own`: a listing shows the caller's own (what its key created, or a signed owner's);
 * a lookup by id, hash or deposit address stays public.
 */
let t: TestJunction;
beforeAll(async () => {
  t = await startTestJunction({
    JUNCTION_LISTINGS: "own",
    JUNCTION_ACCESS_KEYS: "key-alice-app,key-bob-app",
    JUNCTION_CONNECT_API_KEYS: "devnet,other-connect-key",
  });
});
afterAll(() => t?.stop());

const unix = (offsetSeconds: number) => Math.floor(Date.now() / 1000) + offsetSeconds;

describe("Trails listings restricted to the caller's own", () => {
  const alice = () => new TrailsApi("key-alice-app", { hostname: t.url });
  const bob = () => new TrailsApi("key-bob-app", { hostname: t.url });
  const owner = privateKeyToAccount(generatePrivateKey());
  const stranger = privateKeyToAccount(generatePrivateKey());
  const ids = { alice: "", bob: "" };

  beforeAll(async () => {
    ids.alice = (await flows(t).quotePayment(alice(), owner.address)).intentId;
    ids.bob = (await flows(t).quotePayment(bob(), owner.address)).intentId;
  });

  const idsOf = (intents: { intentId: string }[]) => intents.map((i) => i.intentId).sort();
  const signed = async (account = owner, deadline = unix(600)) => ({
    ownerSignature: await account.signMessage({ message: intentListingMessage(owner.address, deadline) }),
    ownerSignatureDeadline: deadline,
  });

  it("an unfiltered search or history shows each integrator only the intents its key quoted", async () => {
    expect(idsOf((await alice().searchIntents({})).intents)).toEqual([ids.alice]);
    expect(idsOf((await bob().searchIntents({ byOwnerAddress: owner.address })).intents)).toEqual([ids.bob]);
    const history = await alice().getIntentHistory({});
    expect(idsOf(history.intents)).toEqual([ids.alice]);
  });

  it("a lookup by intent id or deposit address stays public", async () => {
    expect(idsOf((await alice().searchIntents({ byIntentId: ids.bob })).intents)).toEqual([ids.bob]);
    const bobs = (await bob().getIntent({ intentId: ids.bob })).intent;
    const byAddress = await alice().searchIntents({ byOriginIntentAddress: bobs.originIntentAddress });
    expect(idsOf(byAddress.intents)).toEqual([ids.bob]);
  });

  it("the owner's signature lists all of the owner's intents, through any key", async () => {
    const both = [ids.alice, ids.bob].sort();
    const search = await alice().searchIntents({ byOwnerAddress: owner.address, ...(await signed()) });
    expect(idsOf(search.intents)).toEqual(both);
    const history = await bob().getIntentHistory({ byOwnerAddress: owner.address, ...(await signed()) });
    expect(idsOf(history.intents)).toEqual(both);
  });

  it("a stranger's signature, an expired or far deadline, or a signature without its owner is refused", async () => {
    const base = { byOwnerAddress: owner.address };
    await expect(alice().searchIntents({ ...base, ...(await signed(stranger)) })).rejects.toMatchObject({
      code: 1000,
      status: 401,
      message: expect.stringMatching(/ownerSignature: not 0x[0-9a-fA-F]{40}'s signature/),
    });
    await expect(
      alice().searchIntents({ ...base, ...(await signed(owner, unix(-5))) }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/ownerSignatureDeadline: .* has passed/),
    });
    await expect(
      alice().searchIntents({ ...base, ...(await signed(owner, unix(3 * 86_400))) }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/more than 86400 s ahead/) });
    // Junction's extra fields pass through the client unchanged; its request type does not name them.
    const search = (req: Record<string, unknown>) => alice().searchIntents(req as SearchIntentsRequest);
    await expect(search(await signed())).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^byOwnerAddress: /),
    });
    const { ownerSignature } = await signed();
    await expect(search({ ...base, ownerSignature })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/ownerSignatureDeadline: required with ownerSignature/),
    });
  });
});

describe("Connect execution lists restricted to the caller's own", () => {
  const wallet = privateKeyToAccount(generatePrivateKey());
  let executionId = "";

  beforeAll(async () => {
    const api = connectApi(t);
    const usdcB = api.asset(1, "USDC");
    const created = await api.create(wallet.address, {
      version: "1.0",
      type: "evm",
      quote: {
        originAsset: api.asset(0, "USDC").id,
        destinationAsset: usdcB.id,
        amount: "20000000",
        swapType: "EXACT_INPUT",
        slippageTolerance: 50,
        deadline: new Date(Date.now() + 10 * 60_000).toISOString(),
      },
      steps: vaultSteps(usdcB.address, usdcB.chain.contracts.DemoVault as Address, wallet.address),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    executionId = created.body.result.id;
  });

  const list = (headers: Record<string, string>, query = "") =>
    connectApi(t).call("GET", `/executions/${wallet.address}${query}`, undefined, headers);
  const walletHeaders = async (deadline = unix(600), account = wallet) => ({
    "x-signature": await account.signMessage({ message: executionListingMessage(wallet.address, deadline) }),
    "x-signature-deadline": String(deadline),
  });

  it("without a key or the wallet's signature, a listing is refused, saying what to send", async () => {
    const answer = await list({});
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatch(/list_executions:<wallet>:<deadline/);
  });

  it("a polling lookup by id stays public", async () => {
    const answer = await list({}, `?id=${executionId}`);
    expect(answer.status).toBe(200);
    expect(answer.body.result.map((e: { id: string }) => e.id)).toEqual([executionId]);
  });

  it("the creating key sees the execution; another integrator's key does not; an unknown key is refused", async () => {
    expect((await list({ "x-api-key": "devnet" })).body.result.map((e: { id: string }) => e.id)).toEqual([
      executionId,
    ]);
    expect((await list({ "x-api-key": "other-connect-key" })).body.result).toEqual([]);
    expect((await list({ "x-api-key": "made-up" })).status).toBe(401);
  });

  it("the wallet's signature lists all of its executions; another's signature or a stale one is refused", async () => {
    const mine = await list(await walletHeaders());
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect(mine.body.result.map((e: { id: string }) => e.id)).toEqual([executionId]);
    const other = privateKeyToAccount(generatePrivateKey());
    expect((await list(await walletHeaders(unix(600), other))).status).toBe(400);
    const stale = await list(await walletHeaders(unix(-1)));
    expect(stale.status).toBe(400);
    expect(stale.body.error).toMatch(/x-signature-deadline: .* has passed/);
    const noDeadline = await list({ "x-signature": (await walletHeaders())["x-signature"] });
    expect(noDeadline.status).toBe(400);
    expect(noDeadline.body.error).toMatch(/x-signature-deadline/);
  });
});
