import { z } from "zod";
import { parseEd25519PublicKey } from "../core/connect/verify.ts";

/** The keys that may sign for a NEAR named account (an implicit account's key is its id). */
export interface NearKeyResolver {
  keysOf(accountId: string): Promise<Uint8Array[]>;
}

/**
 * The devnet's configured registry: account id → its `ed25519:<base58>` public keys. Keys are
 * decoded up front, so a bad entry stops startup instead of failing some later signature check.
 */
export function registryKeyResolver(registry: Record<string, string[]>): NearKeyResolver {
  const keys = new Map(
    Object.entries(registry).map(([account, wires]) => [
      account,
      wires.map((wire) =>
        keyFrom(wire, () => new Error(`NEAR key registry: account ${account}: ${badKey(wire)}`)),
      ),
    ]),
  );
  return { keysOf: async (accountId) => keys.get(accountId) ?? [] };
}

/** A stalled RPC must not hold an API request open; past this the lookup fails (and the API says 502). */
const RPC_TIMEOUT_MS = 10_000;

/** One entry of `keys`: permission is "FullAccess" or `{ FunctionCall: { … } }`. */
const accessKeyEntry = z.object({
  public_key: z.string(),
  access_key: z.object({ permission: z.unknown() }),
});
const accessKeyListAnswer = z.union([
  z.object({ result: z.object({ keys: z.array(accessKeyEntry) }) }),
  z.object({
    error: z.object({ name: z.string().optional(), cause: z.object({ name: z.string() }).optional() }),
  }),
]);
type AccessKeyListAnswer = z.infer<typeof accessKeyListAnswer>;

/**
 * A NEAR network's keys, through JSON-RPC `view_access_key_list` at final finality. Only
 * FullAccess keys count: a FunctionCall key can be added by any dapp the user visits, so it must
 * not authorise an execution (NEP-413 likewise requires a full-access key). An account that does
 * not exist has no keys. Anything else that goes wrong throws; the message leaves out the URL,
 * which may carry a provider's API key.
 */
export function nearRpcKeyResolver(rpcUrl: string, fetchFn: typeof fetch = fetch): NearKeyResolver {
  return {
    async keysOf(accountId) {
      const answer = await queryAccessKeyList(rpcUrl, accountId, fetchFn);
      if ("result" in answer) return fullAccessKeys(answer.result.keys);
      if (answer.error.cause?.name === "UNKNOWN_ACCOUNT") return [];
      throw rpcFailure(`${answer.error.name ?? "error"}/${answer.error.cause?.name ?? "no cause"}`);
    },
  };
}

async function queryAccessKeyList(
  rpcUrl: string,
  accountId: string,
  fetchFn: typeof fetch,
): Promise<AccessKeyListAnswer> {
  const request = {
    jsonrpc: "2.0",
    id: "junction",
    method: "query",
    params: { request_type: "view_access_key_list", finality: "final", account_id: accountId },
  };
  const { status, text } = await fetchFn(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
  })
    .then(async (response) => ({ status: response.status, text: await response.text() }))
    .catch((error: unknown) => {
      throw rpcFailure(errorText(error));
    });
  const answer = accessKeyListAnswer.safeParse(parseJson(text));
  if (answer.success) return answer.data;
  throw rpcFailure(`HTTP ${status} with no JSON-RPC answer to view_access_key_list`);
}

/** fetch says only "fetch failed"; the reason (refused, timed out, DNS) is in its cause. */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The FullAccess ed25519 keys; keys of other curves cannot sign NEP-413 here, so they are left out. */
function fullAccessKeys(keys: z.infer<typeof accessKeyEntry>[]): Uint8Array[] {
  return keys
    .filter((key) => key.access_key.permission === "FullAccess" && key.public_key.startsWith("ed25519:"))
    .map((key) => keyFrom(key.public_key, () => rpcFailure(badKey(key.public_key))));
}

/** A configured or fetched key; a bad one is the source's fault, never the client's. */
function keyFrom(wire: string, failure: () => Error): Uint8Array {
  try {
    return parseEd25519PublicKey(wire);
  } catch {
    throw failure();
  }
}

function badKey(wire: string): string {
  return `${JSON.stringify(wire)} is not ed25519:<base58 of 32 bytes>`;
}

function rpcFailure(detail: string): Error {
  return new Error(`NEAR RPC could not be reached: ${detail}`);
}
