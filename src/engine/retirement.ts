import { isRetirable, retirementCutoff } from "../core/intent/retirement.ts";
import { dropPlans, expiredQuotes, type QuotePageEnd } from "../store/retirement.ts";
import type { EngineDeps } from "./ports.ts";

/** Quotes looked at per transaction. */
const PAGE = 500;

/**
 * Retires the unused quotes past the retention (core's rule, `isRetirable`): a page of expired
 * quotes at a time, each page read, decided and retired in one transaction that locks it, so a
 * quote cannot be committed, aborted or stepped meanwhile. Returns how many were retired.
 */
export async function retireUnusedQuotes(deps: EngineDeps): Promise<number> {
  const now = deps.clock.now();
  const days = deps.settings.retention.unusedQuoteDays;
  const cutoff = retirementCutoff(now, days);
  let retired = 0;
  let after: QuotePageEnd | null = null;
  for (;;) {
    const { page, ids } = await deps.store.commit(now, async (uow) => {
      const page = await expiredQuotes(uow.trx, cutoff, after, PAGE);
      const ids = page.filter((q) => isRetirable(q, now, days)).map((q) => q.id);
      await dropPlans(uow.trx, ids);
      return { page, ids };
    });
    retired += ids.length;
    const last = page.at(-1);
    if (!last || page.length < PAGE) break;
    after = { quoteExpiresAt: last.quoteExpiresAt, seq: last.seq };
  }
  if (retired > 0) deps.log.info({ retired, days }, "retired unused quotes past their retention");
  return retired;
}
