import type { FastifyBaseLogger, FastifyPluginAsync } from "fastify";
import { type Address, erc20Abi, type Hex, multicall3Abi } from "viem";
import { z } from "zod";
import { publicClientFor } from "../chains/clients.ts";
import type { RuntimeChain, Token } from "../chains/registry.ts";
import { wellKnownAddresses } from "../chains/well-known.ts";
import { knownChains } from "../config/known-chains.ts";
import { addressField, chainIdField } from "../core/fields.ts";
import type { Admission } from "./admission.ts";
import type { AppContext } from "./context.ts";
import { describeIssues } from "./issues.ts";
import { WebrpcError, webrpcErrorHandler } from "./trails/errors.ts";
import { authorize } from "./trails/plugin.ts";

type Client = ReturnType<typeof publicClientFor>;

const MAX_ACCOUNTS = 50;

/**
 * A chain that has not answered by then is reported in its entries' `error` and the others are
 * answered: the widget asks again every 5 s, and one slow node must not empty its token picker.
 */
const READ_TIMEOUT_MS = 5_000;

const accountsMessage = `expected 1 to ${MAX_ACCOUNTS} account addresses`;

/**
 * `GetTokenBalancesSummaryArgs` of `@0xsequence/indexer` 3.0.0-beta.4, as far as Junction acts on
 * it. `contractStatus` and `page` are accepted and ignored: every token Junction lists is one its
 * operator chose, and all balances fit one page.
 */
const summaryRequest = z.object(
  {
    chainIds: z.array(chainIdField).optional(),
    networks: z.array(z.string()).optional(),
    filter: z.object(
      {
        accountAddresses: z
          .array(addressField, { error: accountsMessage })
          .min(1, accountsMessage)
          .max(MAX_ACCOUNTS, accountsMessage),
        contractTypes: z.array(z.string()).optional(),
        contractWhitelist: z.array(addressField).optional(),
        contractBlacklist: z.array(addressField).optional(),
        omitNativeBalances: z.boolean().optional(),
      },
      { error: "expected an object {accountAddresses, omitNativeBalances, …}" },
    ),
    omitMetadata: z.boolean().optional(),
  },
  { error: "the request body must be a JSON object" },
);

type SummaryRequest = z.output<typeof summaryRequest>;

/** What one chain holds for the accounts asked about, at one block; zero balances left out. */
interface ChainBalances {
  blockNumber: bigint;
  blockHash: Hex;
  tokens: { token: Token; account: Address; balance: bigint }[];
  native: { account: Address; balance: bigint }[];
}

/** A chain Junction serves and the client its balances are read with. */
interface Source {
  chain: RuntimeChain;
  client: Client;
}

/** The chains asked for by id or by name (Junction's slug or Sequence's); all when neither is given. */
function sourcesAsked(sources: readonly Source[], req: SummaryRequest): readonly Source[] {
  const ids = req.chainIds ?? [];
  const names = req.networks ?? [];
  if (ids.length === 0 && names.length === 0) return sources;
  return sources.filter(({ chain }) => {
    const gatewaySlug = knownChains[chain.chainId]?.gatewaySlug;
    return (
      ids.includes(chain.chainId) ||
      names.includes(chain.slug) ||
      (!!gatewaySlug && names.includes(gatewaySlug))
    );
  });
}

/** The chain's listed ERC-20 tokens the filter lets through (native coins are read apart). */
function tokensAsked(chain: RuntimeChain, filter: SummaryRequest["filter"]): Token[] {
  const types = filter.contractTypes ?? [];
  if (types.length > 0 && !types.includes("ERC20")) return [];
  const lower = (list: readonly string[] = []) => list.map((a) => a.toLowerCase());
  const only = lower(filter.contractWhitelist);
  const not = lower(filter.contractBlacklist);
  return chain.tokens.filter((t) => {
    const address = t.address.toLowerCase();
    return !t.native && (only.length === 0 || only.includes(address)) && !not.includes(address);
  });
}

/**
 * Every balance asked for on one chain: the head block, then one Multicall3 call (at its usual
 * address: one eth_call for every balance, its `getEthBalance` for native ones) pinned to it, so
 * that `blockNumber` and `blockHash` are those of the block the balances were read at.
 */
async function readChain(
  client: Client,
  tokens: Token[],
  accounts: Address[],
  withNative: boolean,
): Promise<ChainBalances> {
  const pairs = tokens.flatMap((token) => accounts.map((account) => ({ token, account })));
  const nativeOf = withNative ? accounts : [];
  const block = await client.getBlock({ blockTag: "latest" });
  const results = (await client.multicall({
    contracts: [
      ...pairs.map(({ token, account }) => ({
        address: token.address,
        abi: erc20Abi,
        functionName: "balanceOf" as const,
        args: [account] as const,
      })),
      ...nativeOf.map((account) => ({
        address: wellKnownAddresses.Multicall3,
        abi: multicall3Abi,
        functionName: "getEthBalance" as const,
        args: [account] as const,
      })),
    ],
    allowFailure: false,
    multicallAddress: wellKnownAddresses.Multicall3,
    blockNumber: block.number,
    // One eth_call whatever the number of balances (viem would otherwise split it by size).
    batchSize: 0,
  })) as bigint[];
  const balanceAt = (i: number) => results[i] ?? 0n;
  return {
    blockNumber: block.number,
    blockHash: block.hash,
    tokens: pairs.map((p, i) => ({ ...p, balance: balanceAt(i) })).filter((b) => b.balance > 0n),
    native: nativeOf
      .map((account, i) => ({ account, balance: balanceAt(pairs.length + i) }))
      .filter((b) => b.balance > 0n),
  };
}

/** `work`'s outcome, or a rejection once `ms` have passed without one. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The token's `ContractInfo` from Junction's own listing. No `logoURI`: the configuration has
 * none, and the widget then picks an image by chain and address itself.
 */
function contractInfo(token: Token, updatedAt: Date) {
  return {
    chainId: token.chainId,
    address: token.address,
    source: "junction",
    name: token.name,
    type: "ERC20",
    symbol: token.symbol,
    decimals: token.decimals,
    logoURI: "",
    deployed: true,
    bytecodeHash: "",
    extensions: {
      link: "",
      description: "",
      categories: [],
      ogImage: "",
      ogName: "",
      originChainId: token.chainId,
      originAddress: token.address,
      blacklist: false,
      verified: true,
      verifiedBy: "junction",
      featured: true,
      featureIndex: 0,
    },
    updatedAt: updatedAt.toISOString(),
    status: "AVAILABLE",
  };
}

/** One chain's `TokenBalance`s, with `contractInfo` unless `omitMetadata`. */
function tokenBalances(chainId: number, read: ChainBalances, metadataSince: Date | null) {
  return read.tokens.map(({ token, account, balance }) => ({
    contractType: "ERC20",
    contractAddress: token.address,
    accountAddress: account,
    balance: balance.toString(),
    blockHash: read.blockHash,
    blockNumber: Number(read.blockNumber),
    chainId,
    uniqueCollectibles: "0",
    isSummary: true,
    ...(metadataSince ? { contractInfo: contractInfo(token, metadataSince) } : {}),
  }));
}

/** One chain's `NativeTokenBalance`s. */
function nativeBalances(chainId: number, read: ChainBalances) {
  return read.native.map(({ account, balance }) => ({
    accountAddress: account,
    chainId,
    balance: balance.toString(),
    error: "",
  }));
}

/**
 * Each chain's balances, or why they could not be read. A chain that fails is logged and reported
 * in its entries, as the real gateway answers a partial result; the other chains are answered.
 */
function readAll(sources: readonly Source[], req: SummaryRequest, log: FastifyBaseLogger) {
  const accounts = [...new Set(req.filter.accountAddresses)];
  const withNative = !req.filter.omitNativeBalances;
  return Promise.all(
    sources.map(async ({ chain, client }) => {
      const read = readChain(client, tokensAsked(chain, req.filter), accounts, withNative);
      try {
        return { chainId: chain.chainId, read: await within(READ_TIMEOUT_MS, read) };
      } catch (err) {
        // viem's message runs to dozens of lines (the whole call); its first says what failed.
        const first = (err as Error).message.split("\n")[0];
        log.warn({ chainId: chain.chainId, err: first }, "indexer: a chain's balances could not be read");
        return { chainId: chain.chainId, error: `${chain.slug}: the balances could not be read: ${first}` };
      }
    }),
  );
}

/**
 * `GetTokenBalancesSummaryReturn`: per chain asked, a `GatewayTokenBalance` and (unless omitted) a
 * `GatewayNativeTokenBalances`, all on one page.
 */
async function summary(
  ctx: AppContext,
  sources: readonly Source[],
  req: SummaryRequest,
  log: FastifyBaseLogger,
) {
  const reads = await readAll(sourcesAsked(sources, req), req, log);
  const metadataSince = req.omitMetadata ? null : ctx.startedAt;
  const entry = <T>(r: (typeof reads)[number], results: (read: ChainBalances) => T[]) => ({
    chainId: r.chainId,
    error: r.error ?? "",
    results: r.read ? results(r.read) : [],
  });
  return {
    page: { page: 1, more: false },
    nativeBalances: req.filter.omitNativeBalances
      ? []
      : reads.map((r) => entry(r, (read) => nativeBalances(r.chainId, read))),
    balances: reads.map((r) => entry(r, (read) => tokenBalances(r.chainId, read, metadataSince))),
  };
}

/**
 * `POST /indexer/rpc/IndexerGateway/GetTokenBalancesSummary`: the balances of the tokens Junction
 * lists, and of each chain's native coin, read from the chains themselves, in the shape of
 * Sequence's indexer gateway (webrpc, `@0xsequence/indexer` 3.0.0-beta.4), so the Trails widget
 * configured with `sequenceIndexerUrl = <junction>/indexer` fills its token picker from Junction.
 * The key in `X-Access-Key` must be one of the configured access keys when any are.
 *
 * `Indexer/GetTransactionHistory` is not served: the widget sends it to a host of its own per
 * chain (`<chain slug>-indexer.<host of sequenceIndexerUrl>`, without its path and port), which
 * this one URL cannot answer.
 */
export function indexerRoute(ctx: AppContext, admission: Admission): FastifyPluginAsync {
  const sources = ctx.registry.chains.map((chain) => ({ chain, client: publicClientFor(chain.viem) }));
  return async (app) => {
    app.addHook(
      "onRequest",
      admission.limitRequests((message) => new WebrpcError("RateLimited", message).toBody(), "x-access-key"),
    );
    app.setErrorHandler(webrpcErrorHandler("indexer"));
    app.setNotFoundHandler((request, reply) => {
      const error = new WebrpcError(
        "WebrpcBadRoute",
        `no such route: ${request.method} ${request.url}; Junction's indexer serves POST /indexer/rpc/IndexerGateway/GetTokenBalancesSummary`,
      );
      reply.status(error.status).send(error.toBody());
    });

    app.post<{ Params: { method: string } }>("/rpc/IndexerGateway/:method", async (request) => {
      const name = request.params.method;
      if (name !== "GetTokenBalancesSummary") {
        throw new WebrpcError(
          "WebrpcBadRoute",
          `unknown method ${name}: Junction's indexer gateway serves GetTokenBalancesSummary only`,
        );
      }
      authorize(ctx, request.headers["x-access-key"]);
      const parsed = summaryRequest.safeParse(request.body ?? {});
      // Not InvalidArgument: its code is 2000 in Trails' schema but 2001 in the indexer's, while
      // webrpc's own -4 reads as WebrpcBadRequestError in both clients.
      if (!parsed.success) throw new WebrpcError("WebrpcBadRequest", describeIssues(parsed.error));
      return summary(ctx, sources, parsed.data, request.log);
    });

    app.route({
      method: ["GET", "PUT", "PATCH", "DELETE"],
      url: "/rpc/IndexerGateway/:method",
      handler: async () => {
        throw new WebrpcError("WebrpcBadMethod", "webrpc methods are called with POST");
      },
    });
  };
}
