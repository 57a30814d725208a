import type { PushEvent } from "../../core/events.ts";
import type { IntentView } from "../../engine/engine.ts";
import { renderExecution } from "../connect/render.ts";
import type { AppContext } from "../context.ts";
import { renderReceipt } from "../trails/render.ts";

/** Rendered events kept, so a thousand streams of one event render it once. */
const CACHE = 2_048;

/** The chain transaction an event is about, when it names one; its block once it is mined. */
function transactionOf(
  event: PushEvent,
  view: IntentView | null,
): { chainId: number; hash: string; blockNumber?: string } | null {
  const { hash, sweep, chainId, blockNumber } = event.details as Record<string, unknown>;
  const txHash = typeof hash === "string" ? hash : typeof sweep === "string" ? sweep : null;
  if (!txHash) return null;
  const known = view?.txs.find((t) => t.hash === txHash);
  // Otherwise a transfer into the deposit address (its event names its block), on the origin chain.
  const chain = typeof chainId === "number" ? chainId : (known?.chainId ?? view?.plan.from.chainId);
  if (chain === undefined) return null;
  const block = typeof blockNumber === "string" ? blockNumber : known?.blockNumber?.toString();
  return { chainId: chain, hash: txHash, ...(block ? { blockNumber: block } : {}) };
}

/**
 * An event's `data`, the same on the stream and in webhooks: what happened (type, sequence,
 * subjects, status at the time, when, the engine's details, the transaction concerned), and the
 * subject as its dialect shows it now: the Trails IntentReceipt for an intent's event, the Intents
 * Connect execution for an execution's. The object is read when the event is first sent, so a
 * late reader of an old event sees the subject's newer state there (and the event's own `status`).
 */
export function eventRenderer(ctx: AppContext): (event: PushEvent) => Promise<Record<string, unknown>> {
  const cache = new Map<string, Promise<Record<string, unknown>>>();
  const render = async (event: PushEvent): Promise<Record<string, unknown>> => {
    const execution = event.type.startsWith("execution.") && event.executionId;
    const view =
      !execution && event.intentId ? await ctx.engine.intentView(event.intentId).catch(() => null) : null;
    const subject = execution
      ? { execution: await ctx.engine.executionById(execution).then(renderExecution, () => null) }
      : { intentReceipt: view ? renderReceipt(ctx, view).receipt : null };
    const transaction = transactionOf(event, view);
    return {
      type: event.type,
      sequence: event.sequence,
      ...(event.intentId ? { intentId: event.intentId } : {}),
      ...(event.executionId ? { executionId: event.executionId } : {}),
      status: event.status,
      occurredAt: event.occurredAt.toISOString(),
      details: event.details,
      ...(transaction ? { transaction } : {}),
      ...subject,
    };
  };
  return (event) => {
    const hit = cache.get(event.sequence);
    if (hit) return hit;
    const rendered = render(event);
    cache.set(event.sequence, rendered);
    // A failed render is not kept: the next reader tries again.
    rendered.catch(() => cache.delete(event.sequence));
    if (cache.size > CACHE) cache.delete(cache.keys().next().value as string);
    return rendered;
  };
}
