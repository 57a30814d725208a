import { sql } from "kysely";
import type { Address } from "viem";
import type { MinedFill } from "../core/activity.ts";
import type { IntentPlan } from "../core/intent/plan.ts";
import { fromJson } from "../core/json.ts";
import type { Db } from "./database.ts";
import { depositConfirmedTypes } from "./events.ts";

/**
 * Every fill mined since `since`, with its intent's plan; what had arrived at the deposit address
 * by then; when the deposit was confirmed; and a gasless deposit's relayer fee (its transaction may
 * not be recorded mined yet when the fill is, but a fill means the deposit arrived).
 */
export async function fillsMinedSince(db: Db, since: Date): Promise<MinedFill[]> {
  const rows = await db
    .selectFrom("events as e")
    .innerJoin("intents as i", "i.id", "e.intent_id")
    .select(["i.plan", "e.at as mined_at"])
    .select((eb) => [
      eb
        .selectFrom("events as c")
        .select((c) => c.fn.max("c.at").as("at"))
        .whereRef("c.intent_id", "=", "i.id")
        .where("c.type", "in", depositConfirmedTypes)
        .as("confirmed_at"),
      // The intent's own token on its origin chain, each transfer once (a reorg records it again
      // under the new block's hash); strays and other chains are returned, not kept.
      sql<string>`(select coalesce(sum(u.amount::numeric), 0)::text from (
        select distinct d.tx_hash, d.log_index, d.amount from deposits d
        where d.intent_id = i.id and d.chain_id = i.origin_chain_id
          and lower(d.token) = lower(i.origin_token) and d.at <= e.at) u)`.as("deposited"),
      eb
        .selectFrom("chain_txs as x")
        .select("x.detail")
        .whereRef("x.intent_id", "=", "i.id")
        .where("x.kind", "=", "deposit")
        .where("x.status", "in", ["pending", "mined"])
        .orderBy("x.id", "desc")
        .limit(1)
        .as("relayed"),
    ])
    .where("e.type", "=", "fill.mined")
    .where("e.at", ">=", since)
    .where("i.plan", "is not", null)
    .execute();
  return rows.map((row) => {
    const relayed = row.relayed ? fromJson<{ feeAmount: bigint; feeToken: Address }>(row.relayed) : null;
    return {
      plan: fromJson<IntentPlan>(row.plan),
      deposited: BigInt(row.deposited ?? "0"),
      confirmedAt: row.confirmed_at ? new Date(row.confirmed_at) : null,
      minedAt: new Date(row.mined_at),
      relayFee: relayed ? { token: relayed.feeToken, amount: relayed.feeAmount } : null,
    };
  });
}
