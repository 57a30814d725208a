import type { FastifyPluginAsync } from "fastify";
import type { AppContext, TestAccount } from "./context.ts";

/** `GET /devnet`: chains, tokens, contracts and test accounts; tests and the web UI rely on this shape. */
export function devnetRoute(ctx: AppContext, devnet: { accounts: TestAccount[] }): FastifyPluginAsync {
  const body = {
    chains: ctx.registry.chains.map((chain) => ({
      chainId: chain.chainId,
      name: chain.name,
      slug: chain.slug,
      rpcUrl: chain.rpcUrl,
      tokens: chain.tokens.map((t) => ({ symbol: t.symbol, address: t.address, decimals: t.decimals })),
      contracts: chain.contracts,
    })),
    accounts: devnet.accounts.map((a) => ({ address: a.address, privateKey: a.privateKey })),
    // The devnet's pages use its keys, which `npm start` prints anyway.
    ...(ctx.config.adminKey ? { adminKey: ctx.config.adminKey } : {}),
    ...(ctx.config.connect.apiKeys[0] ? { connectApiKey: ctx.config.connect.apiKeys[0] } : {}),
  };
  return async (app) => {
    app.get("/devnet", async () => body);
  };
}
