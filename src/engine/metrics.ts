import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { executionStatuses } from "../core/connect/execution-status.ts";
import { intentStatuses } from "../core/intent/status.ts";
import type { Committed } from "../store/commit.ts";
import { depositConfirmedAt } from "../store/events.ts";
import { countByStatus, queueCounts } from "../store/queue.ts";
import type { EngineDeps } from "./ports.ts";
import { everySigner, signerGas } from "./signer-gas.ts";

/**
 * Every metric Junction exports (`GET /metrics`, Prometheus text format), in one place. Counters
 * count what this process did (Prometheus sums them over processes); gauges read the shared
 * state (database, chains) when scraped, so every process reports the same values for them.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  private readonly quotes = new Counter({
    name: "junction_quotes_total",
    help: "Quotes recorded, by the API dialect that asked (trails: QuoteIntent; connect: an execution's quote)",
    labelNames: ["dialect"] as const,
    registers: [this.registry],
  });
  private readonly refused = new Counter({
    name: "junction_quotes_refused_total",
    help: "Quotes refused, by reason (insufficient_inventory, unavailable: a signer short of gas or a stale price, …)",
    labelNames: ["dialect", "reason"] as const,
    registers: [this.registry],
  });
  private readonly transitions = new Counter({
    name: "junction_intent_transitions_total",
    help: "Intent status changes committed by this process",
    labelNames: ["from", "to"] as const,
    registers: [this.registry],
  });
  /** Fill latencies still being read: a scrape waits for them, so it counts every fill committed before it. */
  private readonly measuring = new Set<Promise<void>>();
  private readonly fillLatency = new Histogram({
    name: "junction_fill_latency_seconds",
    help: "From an intent's deposit confirmed to its fill mined",
    buckets: [0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 300],
    registers: [this.registry],
    collect: async () => {
      await Promise.all(this.measuring);
    },
  });
  private readonly rpcErrors = new Counter({
    name: "junction_rpc_errors_total",
    help: "Requests to a chain's RPC that failed (no answer, an HTTP error, a timeout), after the transport's retries",
    labelNames: ["chain"] as const,
    registers: [this.registry],
  });
  private readonly http = new Histogram({
    name: "junction_http_request_duration_seconds",
    help: "HTTP requests answered, by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    // The event-loop lag histogram samples on a timer; at prom-client's default (every 10 ms) that
    // timer alone woke an idle server 100 times a second. A stall still shows at 100 ms.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
  }

  /** The gauges, read from the database and the chains at each scrape. */
  observe(deps: EngineDeps): void {
    const registers = [this.registry];
    new Gauge({
      name: "junction_intents",
      help: "Intents by status",
      labelNames: ["status"] as const,
      registers,
      async collect() {
        const counts = await countByStatus(deps.store.db, "intents");
        for (const status of intentStatuses) this.set({ status }, counts.get(status) ?? 0);
      },
    });
    new Gauge({
      name: "junction_executions",
      help: "Intents Connect executions by status",
      labelNames: ["status"] as const,
      registers,
      async collect() {
        const counts = await countByStatus(deps.store.db, "executions");
        for (const status of executionStatuses) this.set({ status }, counts.get(status) ?? 0);
      },
    });
    const queues = async () => queueCounts(deps.store.db, deps.clock.now());
    new Gauge({
      name: "junction_queue_due",
      help: "Rows of a work queue due now and not parked",
      labelNames: ["queue"] as const,
      registers,
      async collect() {
        for (const [queue, c] of Object.entries(await queues())) this.set({ queue }, c.due);
      },
    });
    new Gauge({
      name: "junction_queue_parked",
      help: "Rows of a work queue parked for an operator (GET /admin/parked)",
      labelNames: ["queue"] as const,
      registers,
      async collect() {
        for (const [queue, c] of Object.entries(await queues())) this.set({ queue }, c.parked);
      },
    });
    new Gauge({
      name: "junction_inventory",
      help: "The solver's inventory: Settlement's balance of each listed token, in the token's smallest unit",
      labelNames: ["chain", "token"] as const,
      registers,
      async collect() {
        const reads = deps.registry.chains.flatMap((chain) =>
          chain.tokens.map(async (token) => {
            const balance = await deps.chains.settlementBalance(chain.chainId, token.address, true);
            this.set({ chain: chain.slug, token: token.symbol }, Number(balance));
          }),
        );
        await Promise.allSettled(reads);
      },
    });
    new Gauge({
      name: "junction_signer_balance_wei",
      help: "Each signer's native balance (gas money) on each chain",
      labelNames: ["chain", "role"] as const,
      registers,
      async collect() {
        const reads = everySigner(deps).map(async (need) => {
          const gas = await signerGas(deps, need);
          this.set(
            { chain: deps.registry.requireChain(need.chainId, "chainId").slug, role: need.role },
            Number(gas.balanceWei),
          );
        });
        await Promise.allSettled(reads);
      },
    });
  }

  /** What a commit did: quotes and status changes counted, fill latencies measured. */
  committed(committed: Committed, deps: Pick<EngineDeps, "store" | "log">): void {
    for (const event of committed.events) {
      if (event.type === "intent.quoted") {
        this.quotes.inc({ dialect: event.data.executionId === undefined ? "trails" : "connect" });
      }
      const from = event.data.from;
      if (event.type.startsWith("intent.") && typeof from === "string") {
        this.transitions.inc({ from, to: event.status });
      }
      if (event.type === "fill.mined" && event.intentId) {
        const minedAt = event.at;
        const measured = depositConfirmedAt(deps.store.db, event.intentId).then(
          (confirmedAt) => {
            if (confirmedAt) this.fillLatency.observe((minedAt.getTime() - confirmedAt.getTime()) / 1000);
          },
          (err: unknown) => deps.log.debug({ err }, "fill latency not measured"),
        );
        this.measuring.add(measured);
        void measured.finally(() => this.measuring.delete(measured));
      }
    }
  }

  quoteRefused(dialect: "trails" | "connect", reason: string): void {
    this.refused.inc({ dialect, reason });
  }

  rpcError(chainSlug: string): void {
    this.rpcErrors.inc({ chain: chainSlug });
  }

  httpRequest(labels: { method: string; route: string; status: number }, seconds: number): void {
    this.http.observe({ ...labels, status: String(labels.status) }, seconds);
  }
}
