/** The public APIs the app is built on, called from the page's own origin. */

export interface Leg {
  status: string;
  chainId: number;
  fromAddress: string;
  toAddress: string;
  tokenAddress: string;
  tokenAmount: string;
  txnHash?: string;
  statusReason?: string;
}

export interface TokenMetadata {
  symbol?: string;
  decimals?: number;
}

export interface IntentReceipt {
  intentId: string;
  status: string;
  ownerAddress: string;
  originChainId: number;
  destinationChainId: number;
  depositTransaction: Leg;
  originTransaction: Leg;
  destinationTransaction: Leg;
  /** Junction's sweep of the deposit address into Settlement, after delivery. */
  sweepTransaction?: Leg;
  summary: {
    originIntentAddress: string;
    originTokenAmount: string;
    originTokenMetadata?: TokenMetadata;
    destinationTokenAmount: string;
    destinationToAddress: string;
    destinationTokenMetadata?: TokenMetadata;
    destinationHasCallData: boolean;
    memo?: string;
    createdAt: string;
    expiresAt?: string;
    finishedAt?: string;
  };
  createdAt: string;
  updatedAt: string;
}

/** The fees of a quote, each in the fee token's base units with its US dollar value. */
export interface IntentFees {
  feeTokenAddress: string;
  gasFeeTotal: string;
  gasFeeUsd: number;
  trailsFeeTotal: string;
  trailsFeeUsd: number;
  totalFeeAmount: string;
  totalFeeUsd: number;
}

export interface Intent {
  intentId: string;
  status: string;
  ownerAddress: string;
  originChainId: number;
  destinationChainId: number;
  originIntentAddress: string;
  depositTransaction: { toAddress: string; tokenAddress: string; decimals?: number; amount: string };
  quote: { fromAmount: string; fromAmountUsd: number; toAmount: string; toAmountUsd: number };
  fees: IntentFees;
  expiresAt: string;
  createdAt?: string;
}

export interface Chain {
  id: number;
  name: string;
  blockExplorerUrl?: string;
}

/** An event of the push stream (`GET /events`), as it arrives. */
export interface PushEvent {
  type: string;
  sequence: string;
  intentId?: string;
  executionId?: string;
  status: string;
  occurredAt: string;
  details?: Record<string, unknown>;
  /** `blockNumber` once the transaction is mined. */
  transaction?: { chainId: number; hash: string; blockNumber?: string };
  intentReceipt?: IntentReceipt;
  execution?: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls a Trails RPC method; webrpc errors become `ApiError`s with the server's message. */
export async function trails<T>(method: string, body: unknown): Promise<T> {
  const res = await fetch(`/rpc/Trails/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as T & { msg?: string };
  if (!res.ok) throw new ApiError(res.status, answer.msg ?? `${method} failed (${res.status})`);
  return answer;
}

export const getChains = () => trails<{ chains: Chain[] }>("GetChains", {}).then((r) => r.chains);

export const getReceipt = (intentId: string) =>
  trails<{ intentReceipt: IntentReceipt }>("GetIntentReceipt", { intentId }).then((r) => r.intentReceipt);

export const getIntent = (intentId: string) =>
  trails<{ intent: Intent }>("GetIntent", { intentId }).then((r) => r.intent);

export const searchIntents = (filter: Record<string, string>) =>
  trails<{ intents: Intent[] }>("SearchIntents", filter).then((r) => r.intents);

export interface Overview {
  inventory: {
    chainId: number;
    token: string;
    symbol: string;
    decimals: number;
    balance: string;
    lowWater: string | null;
    low: boolean;
  }[];
  signers: {
    role: string;
    chainId: number;
    address: string;
    balanceWei: string;
    floorWei: string;
    low: boolean;
  }[];
  statuses: { intents: Record<string, number>; executions: Record<string, number> };
  queues: Record<"intents" | "executions", { parked: number; failing: number; due: number }>;
}

/** GET /admin/activity: amounts in base units as decimal strings. */
export interface Activity {
  since: string;
  bucketSeconds: number;
  fees: {
    chainId: number;
    token: string;
    symbol: string;
    decimals: number;
    protocol: string;
    gas: string;
    slippageKept: string;
    earned: string;
    earnedUsd: number;
  }[];
  buckets: {
    start: string;
    fills: number;
    volumeUsd: number;
    latencyP50Ms: number | null;
    latencyMaxMs: number | null;
  }[];
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface ParkedRow {
  kind: "intents" | "executions";
  id: string;
  status: string;
  attempts: number;
  lastError: string | null;
  parkedAt: string;
  retry: string;
}

export interface ExecutionSummary {
  id: string;
  status: string;
  wallet: string;
  walletType: string;
  chainId: number;
  createdAt: string;
}

/** The devnet hands its admin key to its own pages; elsewhere the operator types it. */
export async function devnetAdminKey(): Promise<string | undefined> {
  const res = await fetch("/devnet").catch(() => undefined);
  if (!res?.ok) return undefined;
  return ((await res.json()) as { adminKey?: string }).adminKey;
}

/** Calls an operator endpoint with the admin key; 401 becomes an `ApiError` the page asks a key for. */
export async function admin<T>(path: string, key: string, method = "GET"): Promise<T> {
  const res = await fetch(`/admin${path}`, { method, headers: { authorization: `Bearer ${key}` } });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new ApiError(res.status, body.error ?? `${path} failed (${res.status})`);
  return body;
}
