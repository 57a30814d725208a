import { ed25519 } from "@noble/curves/ed25519";
import { sha256 } from "@noble/hashes/sha2";
import { base58, base64 } from "@scure/base";
import { type Address, bytesToHex, zeroAddress } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { expect } from "vitest";
import { assetIdOf } from "../../src/core/connect/assets.ts";
import { nep413Hash } from "../../src/core/connect/signing.ts";
import { stellarAccountId } from "../../src/core/connect/stellar.ts";
import { vaultDepositSteps } from "../../src/core/connect/steps.ts";
import type { TestJunction } from "./junction.ts";

/** A wallet of one of the three kinds, able to sign what the Connect API hands it. */
export interface ConnectSigner {
  /** The wallet id in the URL path. */
  wallet: string;
  /** Signs an execution's payload, as the wallet would from `details.payload`. */
  sign(payload: Payload): Promise<{ signature: string; publicKey?: string }>;
  /** The DELETE body: a signature over `delete_execution:<id>`. */
  signDelete(id: string): Promise<Record<string, unknown>>;
}

export interface Payload {
  standard: string;
  payload_json: string;
  payload_bytes_base64: string;
}

const ed25519Wire = (bytes: Uint8Array) => `ed25519:${base58.encode(bytes)}`;

export function evmSigner(account: PrivateKeyAccount): ConnectSigner {
  return {
    wallet: account.address,
    sign: async (p) => ({ signature: await account.signMessage({ message: p.payload_json }) }),
    signDelete: async (id) => ({
      signature: await account.signMessage({ message: `delete_execution:${id}` }),
    }),
  };
}

/** A NEAR wallet (implicit when `accountId` is omitted: the hex of its public key) signing NEP-413 messages. */
export function nearSigner(secretKey: Uint8Array, accountId?: string): ConnectSigner {
  const publicKey = ed25519.getPublicKey(secretKey);
  const wallet = accountId ?? bytesToHex(publicKey).slice(2);
  const signNep413 = (message: string, recipient: string, nonce: Uint8Array) => ({
    signature: ed25519Wire(ed25519.sign(nep413Hash({ message, recipient, nonce }), secretKey)),
    publicKey: ed25519Wire(publicKey),
  });
  return {
    wallet,
    async sign(p) {
      const request = JSON.parse(p.payload_json) as { message: string; recipient: string; nonce: string };
      return signNep413(request.message, request.recipient, base64.decode(request.nonce));
    },
    async signDelete(id) {
      const nonce = crypto.getRandomValues(new Uint8Array(32));
      return {
        ...signNep413(`delete_execution:${id}`, "junction", nonce),
        nep413: { recipient: "junction", nonce: base64.encode(nonce) },
      };
    },
  };
}

/** A Stellar wallet: SEP-53, ed25519 over SHA-256 of "Stellar Signed Message:\n" and the text. */
export function stellarSigner(secretKey: Uint8Array): ConnectSigner {
  const publicKey = ed25519.getPublicKey(secretKey);
  const sign = (text: string) => ({
    signature: ed25519Wire(
      ed25519.sign(sha256(new TextEncoder().encode(`Stellar Signed Message:\n${text}`)), secretKey),
    ),
    publicKey: ed25519Wire(publicKey),
  });
  return {
    wallet: stellarAccountId(publicKey),
    sign: async (p) => sign(p.payload_json),
    signDelete: async (id) => sign(`delete_execution:${id}`),
  };
}

/** A Solana wallet: raw ed25519 over the payload's bytes; its id is its base58 public key. */
export function solanaSigner(secretKey: Uint8Array): ConnectSigner {
  const publicKey = ed25519.getPublicKey(secretKey);
  return {
    wallet: base58.encode(publicKey),
    sign: async (p) => ({
      signature: ed25519Wire(ed25519.sign(base64.decode(p.payload_bytes_base64), secretKey)),
    }),
    signDelete: async (id) => ({
      signature: ed25519Wire(ed25519.sign(new TextEncoder().encode(`delete_execution:${id}`), secretKey)),
    }),
  };
}

export interface ApiAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field in the tests
  body: any;
}

/** Where a Connect API runs: its base URL and the chains it serves (slug and tokens). */
export interface ConnectSite {
  url: string;
  chains: readonly {
    slug: string;
    tokens: readonly { symbol: string; address: Address }[];
    contracts: Partial<Record<string, Address>>;
  }[];
}

/** The Connect REST API of a test Junction (or any Junction at `site`), over plain HTTP. */
export function connectApi(target: TestJunction | ConnectSite, apiKey = "devnet") {
  const site: ConnectSite =
    "junction" in target ? { url: target.url, chains: target.junction.ctx.registry.chains } : target;
  return connectApiAt(site, apiKey);
}

function connectApiAt(t: ConnectSite, apiKey: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}/api/v1${path}`, {
      method,
      headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() } as ApiAnswer;
  };
  const chainAt = (i: number) => {
    const chain = t.chains[i];
    if (!chain) throw new Error(`no chain ${i}`);
    return chain;
  };
  const asset = (i: number, symbol: string) => {
    const chain = chainAt(i);
    const token = chain.tokens.find((t) => t.symbol === symbol);
    if (!token) throw new Error(`no ${symbol} on chain ${i}`);
    return {
      id: assetIdOf({ slug: chain.slug, address: token.address, native: token.address === zeroAddress }),
      address: token.address,
      chain,
    };
  };
  const api = {
    call,
    asset,
    create: (wallet: string, body: unknown, key = apiKey) =>
      call("POST", `/executions/${wallet}`, body, { "x-api-key": key }),
    steps: (wallet: string, body: unknown) => call("POST", `/executions/${wallet}/steps`, body),
    submit: (wallet: string, body: unknown) => call("POST", `/executions/${wallet}/submit`, body),
    list: (wallet: string, query = "") => call("GET", `/executions/${wallet}${query}`),
    remove: (wallet: string, id: string, body: unknown) =>
      call("DELETE", `/executions/${wallet}/${id}`, body),
    depositSubmit: (body: unknown) => call("POST", "/executions/deposit/submit", body),
    /** Creates and signs; returns the created execution. */
    async createSigned(signer: ConnectSigner, body: unknown, path: "quote" | "steps" = "quote") {
      const created =
        path === "quote" ? await api.create(signer.wallet, body) : await api.steps(signer.wallet, body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const execution = created.body.result;
      const signed = await api.submit(signer.wallet, {
        executionId: execution.id,
        ...(await signer.sign(execution.details.payload)),
      });
      expect(signed.status, JSON.stringify(signed.body)).toBe(200);
      // Aurora's client asks the wallet for a deposit on any answer but SIGNING.
      const outOperation = (body as { outOperation?: boolean }).outOperation === true;
      expect(signed.body.result.status).toBe(
        path === "steps" || outOperation ? "SIGNING" : "SIGNED_PENDING_DEPOSIT",
      );
      return execution;
    },
    /** Polls until the execution reaches `status`; returns it. */
    async waitStatus(wallet: string, id: string, status: string, timeoutMs = 45_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await api.list(wallet, `?id=${id}`);
        const execution = res.body.result?.[0];
        if (execution?.status === status) return execution;
        if (Date.now() > deadline)
          throw new Error(
            `execution ${id} is ${execution?.status} (${execution?.statusReason ?? ""}), not ${status}`,
          );
        await new Promise((r) => setTimeout(r, 150));
      }
    },
  };
  return api;
}

/** A bridge-in into chain `to`'s DemoVault: approve it, then deposit what arrives for `receiver`. */
export const vaultSteps = (token: Address, vault: Address, receiver: Address) =>
  vaultDepositSteps(token, vault, receiver);
