import type { Address, Hex } from "viem";
import { startPriceFeeds } from "../chains/price-feeds.ts";
import type { Activity, ActivityWindow } from "../core/activity.ts";
import type { ExecutionStatus } from "../core/connect/execution-status.ts";
import type { ExecutionPlan } from "../core/connect/plan.ts";
import { parseWallet, walletIdentity } from "../core/connect/wallet.ts";
import { JunctionError } from "../core/errors.ts";
import type { EventFilter } from "../core/events.ts";
import type { IntentPlan } from "../core/intent/plan.ts";
import type { CheckName, ReconcileReport } from "../core/reconcile.ts";
import type { DatabaseTarget } from "../store/database.ts";
import { pingDatabase } from "../store/database.ts";
import { lastSequence } from "../store/events.ts";
import {
  type ExecutionRow,
  executionById,
  executionPlanOf,
  findExecution,
  latestExecutions,
  listExecutions,
} from "../store/executions.ts";
import { type IntentSearch, intentPage, searchIntents } from "../store/intents.ts";
import {
  type ParkedRow,
  parkedRows,
  type QueueCounts,
  type QueueTable,
  queueCounts,
} from "../store/queue.ts";
import type { DeliveryRow } from "../store/webhooks.ts";
import type { IntentChanges } from "./changes.ts";
import {
  deleteExecution,
  type Signature,
  submitSignature,
  type WalletSignature,
} from "./executions/authorize.ts";
import {
  createQuoteExecution,
  createStepsExecution,
  type QuoteExecutionRequest,
  type StepsExecutionRequest,
} from "./executions/create.ts";
import { announceExecutionDeposit } from "./executions/deposit-announcements.ts";
import { fillCalldata, sweepCalldata } from "./intents/calls.ts";
import { type GaslessSubmission, relayGaslessDeposit } from "./intents/gasless.ts";
import {
  type Authority,
  abortIntent,
  announceDeposit,
  commitIntent,
  requireIntent,
} from "./intents/lifecycle.ts";
import { type QuoteRequest, quoteIntent } from "./intents/quote.ts";
import {
  type DepositView,
  type IntentRecord,
  type IntentView,
  intentRecordOf,
  intentViewById,
  intentViewOf,
  type RelayedDeposit,
  type TxView,
} from "./intents/views.ts";
import {
  type ExecutionListingCaller,
  executionListingScope,
  type IntentListingCaller,
  intentListingScope,
} from "./listing.ts";
import type { EngineMetrics } from "./metrics.ts";
import { type OperatorOverview, operatorActivity, operatorOverview } from "./overview.ts";
import type { EngineDeps } from "./ports.ts";
import {
  createEndpoint,
  endpointDeliveries,
  endpoints,
  type NewEndpoint,
  removeEndpoint,
  resumeEndpoint,
  type WebhookEndpoint,
} from "./push/endpoints.ts";
import type { FeedSink, FeedStart, Subscription } from "./push/feed.ts";
import type { PushHub } from "./push/hub.ts";
import type { RenderEvent } from "./push/webhooks.ts";
import { type ReadyCheck, type ReadyLimits, readiness } from "./readiness.ts";
import { reconcileLedger } from "./reconcile.ts";
import { type EngineWorkers, startWorkers } from "./runner.ts";
import { everySignerGas, type SignerGas } from "./signer-gas.ts";
import type { WorkSignal } from "./work-signal.ts";

/** The read models and requests of the façade: what the dialects see of the engine. */
export type {
  DeliveryRow,
  DepositView,
  ExecutionListingCaller,
  FeedSink,
  FeedStart,
  GaslessSubmission,
  IntentListingCaller,
  IntentRecord,
  IntentSearch,
  IntentView,
  NewEndpoint,
  QuoteExecutionRequest,
  RelayedDeposit,
  RenderEvent,
  SignerGas,
  Subscription,
  TxView,
  WebhookEndpoint,
};

/** An execution as the Connect dialect shows it. */
export interface ExecutionRecord {
  plan: ExecutionPlan;
  status: ExecutionStatus;
  statusReason: string | null;
  signed: boolean;
  /** False for a dry run: nothing was kept, nothing can be signed. */
  stored: boolean;
}

const executionRecordOf = (row: ExecutionRow): ExecutionRecord => ({
  plan: executionPlanOf(row),
  status: row.status as ExecutionStatus,
  statusReason: row.status_reason,
  signed: row.signature !== null,
  stored: true,
});

export interface ServiceStatus {
  name: string;
  healthy: boolean;
  error?: string;
  latency: string;
}

async function probe(name: string, check: () => Promise<unknown>): Promise<ServiceStatus> {
  const started = performance.now();
  const latency = () => `${(performance.now() - started).toFixed(1)}ms`;
  try {
    await check();
    return { name, healthy: true, latency: latency() };
  } catch (err) {
    return { name, healthy: false, error: (err as Error).message.split("\n")[0], latency: latency() };
  }
}

/**
 * The engine as the API dialects see it: every operation a client can ask for, each answering
 * with a read model. Dialects translate their requests into these calls and render the answers;
 * they never reach the store, the chains or the engine's internals.
 */
export class Engine {
  constructor(
    private readonly deps: EngineDeps,
    private readonly signals: Record<QueueTable, WorkSignal>,
    private readonly changes: IntentChanges,
    private readonly push: PushHub,
    /** Every metric Junction exports; the API adds its request timings. */
    readonly metrics: EngineMetrics,
    /** Lets go of the nodes' connections, once nothing runs any more. */
    private readonly closeChains: () => Promise<void>,
  ) {}

  /** Where the engine's database is, once started. */
  private database: DatabaseTarget | null = null;

  get registry() {
    return this.deps.registry;
  }

  /**
   * Every runner in this process looks for due work now rather than at its next poll: for when
   * time moved without a commit saying so (tests move the engine's clock).
   */
  lookForWork(): void {
    for (const signal of Object.values(this.signals)) signal.wake();
    this.push.lookForWork();
  }

  /**
   * Starts the watchers and runners in this process, and the event feed; `render` gives each
   * event's data for webhooks, which are delivered from then on.
   */
  async start(database: DatabaseTarget, render: RenderEvent): Promise<EngineWorkers> {
    this.database = database;
    await this.push.start(database, (queue) => this.signals[queue].wake());
    this.push.startWebhooks(this.deps.settings.push.webhooks, render, this.deps.clock);
    const stopFeeds = await startPriceFeeds(this.registry, () => this.deps.clock.now(), this.deps.log);
    const workers = await startWorkers(this.deps, this.signals, database);
    // On PostgreSQL, long-polls hear of other processes' changes from the event log too (this
    // process's come from its commit point). Embedded, there is no other process: the feed then
    // reads only for streams, not at every commit.
    const changes =
      database.kind === "postgres"
        ? this.push.feed.subscribe(
            { all: true, intentIds: [], executionIds: [], owners: [], types: ["*"] },
            { after: await lastSequence(this.deps.store.db) },
            { event: (e) => e.intentId && this.changes.notify(e.intentId), close: () => {} },
          )
        : null;
    return {
      stop: async () => {
        try {
          changes?.unsubscribe();
          stopFeeds();
          await workers.stop();
          await this.push.stop();
        } finally {
          await this.closeChains();
        }
      },
    };
  }

  // Intents

  /** Quotes and records the intent; `accessKey`, the caller's, may change it later. */
  quote(req: QuoteRequest, accessKey: string | null): Promise<IntentPlan> {
    return this.countingRefusals("trails", () => quoteIntent(this.deps, req, accessKey));
  }

  /** Runs a quoting call, counting the engine's refusals of it by reason. */
  private async countingRefusals<T>(dialect: "trails" | "connect", work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof JunctionError) this.metrics.quoteRefused(dialect, err.kind);
      throw err;
    }
  }

  async intent(id: string): Promise<IntentRecord> {
    return intentRecordOf(await requireIntent(this.deps, id));
  }

  async intentView(id: string): Promise<IntentView> {
    return intentViewById(this.deps, id);
  }

  async commit(id: string): Promise<IntentRecord> {
    return intentRecordOf(await commitIntent(this.deps, id));
  }

  async abort(id: string, authority: Authority): Promise<IntentRecord> {
    return intentRecordOf(await abortIntent(this.deps, id, authority));
  }

  async announceDeposit(id: string, hash: Hex): Promise<IntentRecord> {
    return intentRecordOf(await announceDeposit(this.deps, id, hash));
  }

  async relayGaslessDeposit(id: string, submission: GaslessSubmission): Promise<IntentRecord> {
    return intentRecordOf(await relayGaslessDeposit(this.deps, id, submission));
  }

  /** The calls Junction makes for an intent: the sweep on the origin chain, the fill on the destination. */
  intentCalls(plan: IntentPlan): { sweep: Hex; fill: Hex } {
    return { sweep: sweepCalldata(plan, plan.quote.fromAmount), fill: fillCalldata(plan) };
  }

  /**
   * Intents matching `filter`, as far as `caller` may see them: a search by id, transaction hash
   * or deposit address is a lookup, anything else a listing.
   */
  async searchIntents(
    filter: IntentSearch,
    limit: number,
    caller: IntentListingCaller,
  ): Promise<IntentRecord[]> {
    const lookup = Boolean(filter.id || filter.txHash || filter.depositAddress);
    const scope = await intentListingScope(this.deps, { lookup, ...pickOwner(filter) }, caller);
    return (await searchIntents(this.deps.store.db, { ...filter, scope }, limit)).map(intentRecordOf);
  }

  /** A page of intents with everything their receipts need, newest first, as far as `caller` may see. */
  async intentHistory(
    filter: { owner?: string; before?: number },
    size: number,
    caller: IntentListingCaller,
  ): Promise<{ views: IntentView[]; more: boolean }> {
    const scope = await intentListingScope(this.deps, { lookup: false, ...pickOwner(filter) }, caller);
    const { rows, more } = await intentPage(this.deps.store.db, { ...filter, scope }, size);
    return { views: await Promise.all(rows.map((row) => intentViewOf(this.deps, row))), more };
  }

  /** Resolves when `intentId` changes in this process, after `timeoutMs`, or when `signal` aborts. */
  waitForChange(intentId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.changes.next(intentId, timeoutMs, signal);
  }

  // Executions

  /** A quote-backed execution, created with (and listed to) the integrator's `apiKey`. */
  async createExecution(
    wallet: string,
    req: QuoteExecutionRequest,
    apiKey: string,
  ): Promise<ExecutionRecord> {
    const plan = await this.countingRefusals("connect", () =>
      createQuoteExecution(this.deps, wallet, req, apiKey),
    );
    if (req.dry) return { plan, status: "CREATED", statusReason: null, signed: false, stored: false };
    return this.execution(plan.wallet.id, plan.id);
  }

  async createStepsExecution(wallet: string, req: StepsExecutionRequest): Promise<ExecutionRecord> {
    const plan = await createStepsExecution(this.deps, wallet, req);
    return this.execution(plan.wallet.id, plan.id);
  }

  private async execution(wallet: string, id: string): Promise<ExecutionRecord> {
    const row = await findExecution(this.deps.store.db, wallet, id);
    if (!row) throw new JunctionError("not_found", `executionId: wallet ${wallet} has no execution ${id}`);
    return executionRecordOf(row);
  }

  async submitSignature(wallet: string, id: string, signature: Signature): Promise<ExecutionRecord> {
    return executionRecordOf(await submitSignature(this.deps, wallet, id, signature));
  }

  async announceExecutionDeposit(
    depositAddress: string,
    hash: Hex,
  ): Promise<ExecutionRecord & { id: string }> {
    const row = await announceExecutionDeposit(this.deps, depositAddress, hash);
    return { ...executionRecordOf(row), id: row.id };
  }

  deleteExecution(wallet: string, id: string, auth: WalletSignature): Promise<void> {
    return deleteExecution(this.deps, wallet, id, auth);
  }

  /**
   * The wallet's executions, newest first, optionally only these ids and statuses, as far as
   * `caller` may see them: naming the ids is a lookup, anything else a listing.
   */
  async executions(
    rawWallet: string,
    filter: { ids?: readonly string[]; statuses?: readonly string[] },
    limit: number,
    caller: ExecutionListingCaller,
  ): Promise<ExecutionRecord[]> {
    const wallet = parseWallet(rawWallet);
    const lookup = (filter.ids?.length ?? 0) > 0;
    const scope = await executionListingScope(this.deps, wallet, { lookup }, caller);
    // A restricted scope without a key (only a signed owner gets "all") matches no execution.
    const createdBy = scope === "all" ? {} : { createdBy: scope.createdBy ?? "" };
    return (await listExecutions(this.deps.store.db, wallet.id, { ...filter, ...createdBy }, limit)).map(
      executionRecordOf,
    );
  }

  /** The wallet's IntermediaryAccount: one CREATE2 address on every chain that shares the factory's deployment. */
  async intermediaryOf(rawWallet: string): Promise<{ wallet: ReturnType<typeof parseWallet>; evm: Address }> {
    const wallet = parseWallet(rawWallet);
    const first = this.registry.chains[0];
    if (!first) throw new Error("no chains configured");
    return { wallet, evm: await this.deps.chains.intermediary(first.chainId, walletIdentity(wallet)) };
  }

  /** Any execution by id (for the event stream, which knows no wallet); deleted ones too. */
  async executionById(id: string): Promise<ExecutionRecord> {
    const row = await executionById(this.deps.store.db, id);
    if (!row) throw new JunctionError("not_found", `executionId: no execution ${id}`);
    return executionRecordOf(row);
  }

  // Events

  /** Subscribes `sink` to the events `filter` matches, from `start` (see EventFeed). */
  subscribe(filter: EventFilter, start: FeedStart, sink: FeedSink): Subscription {
    return this.push.feed.subscribe(filter, start, sink);
  }

  /** Ends a subscription the feed still holds, telling its sink why. */
  dropSubscriber(sink: FeedSink, reason: string): void {
    this.push.feed.drop(sink, reason);
  }

  /** The sequence number of the newest committed event. */
  lastEventSequence(): Promise<bigint> {
    return lastSequence(this.deps.store.db);
  }

  async createWebhook(req: NewEndpoint): Promise<WebhookEndpoint & { secret: string }> {
    const endpoint = await createEndpoint(this.deps, req);
    this.push.endpointsChanged();
    return endpoint;
  }

  webhooks(): Promise<WebhookEndpoint[]> {
    return endpoints(this.deps);
  }

  deleteWebhook(id: string): Promise<void> {
    return removeEndpoint(this.deps, id);
  }

  webhookDeliveries(id: string, limit: number): Promise<DeliveryRow[]> {
    return endpointDeliveries(this.deps, id, limit);
  }

  /** A replay from `fromSequence`, or without one the resumption of a disabled endpoint. */
  async resumeWebhook(id: string, fromSequence?: bigint): Promise<WebhookEndpoint> {
    const endpoint = await resumeEndpoint(this.deps, id, fromSequence);
    this.push.endpointsChanged();
    return endpoint;
  }

  // Operations

  /** Every signer's gas money on every chain, against the chain's floor. */
  signers(): Promise<SignerGas[]> {
    return everySignerGas(this.deps);
  }

  /** The database and every chain's RPC, each with its round-trip time. */
  services(): Promise<ServiceStatus[]> {
    return Promise.all([
      probe("database", () => pingDatabase(this.deps.store.db)),
      ...this.registry.chains.map((chain) =>
        probe(`chain:${chain.slug}`, () => this.deps.chains.head(chain.chainId)),
      ),
    ]);
  }

  /** Whether this process should be sent traffic (GET /ready); not before it has started. */
  async readiness(limits: ReadyLimits): Promise<ReadyCheck[]> {
    if (!this.database) return [{ name: "engine", ok: false, detail: "starting" }];
    return readiness(this.deps, this.database, limits);
  }

  /** How many rows each queue has parked for an operator, and how many are failing but retried. */
  queueCounts(): Promise<Record<QueueTable, QueueCounts>> {
    return queueCounts(this.deps.store.db, this.deps.clock.now());
  }

  /** The ledger check: the database against the chains (see core/reconcile.ts). */
  reconcile(only?: readonly CheckName[]): Promise<ReconcileReport> {
    return reconcileLedger(this.deps, only);
  }

  /** Inventory, signers' gas, statuses and queues: the operator page's view. */
  overview(): Promise<OperatorOverview> {
    return operatorOverview(this.deps);
  }

  /** Fees earned, volume and fill latency over a recent window: the operator page's charts. */
  activity(window: ActivityWindow): Promise<Activity> {
    return operatorActivity(this.deps, window);
  }

  /** Every wallet's newest executions, for the operator. */
  latestExecutions(limit: number) {
    return latestExecutions(this.deps.store.db, limit);
  }

  parked(limit: number): Promise<ParkedRow[]> {
    return parkedRows(this.deps.store.db, limit);
  }

  /**
   * An operator's retry of parked rows (`ids`, or every parked row of the queue): due now, their
   * failure counts cleared. Returns the ids resumed (a row that is not parked is not).
   */
  retry(table: QueueTable, ids: readonly string[] | "all"): Promise<string[]> {
    return this.deps.store.commit(this.deps.clock.now(), (uow) => uow.retry(table, ids));
  }
}

const pickOwner = (filter: { owner?: string }) => (filter.owner ? { owner: filter.owner } : {});
