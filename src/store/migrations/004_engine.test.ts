import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { databaseTargets, discard } from "../../../test/support/databases.ts";
import { testPlan } from "../../../test/support/plans.ts";
import { toJsonText } from "../../core/json.ts";
import { type Database, migrate, openDatabase } from "../database.ts";
import { findIntent, planOf } from "../intents.ts";

/** A database written before the redesign keeps its history and reads the same after 004. */
describe.each(databaseTargets())("migration 004 on $name", ({ target }) => {
  let database: Database | null = null;

  afterEach(async () => {
    if (database) await discard(database);
    database = null;
  });

  it("moves both event logs into one in time order, and fills the new columns from them", async () => {
    database = await openDatabase(target(), "003_executions");
    const { db } = database;
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    // Prices as JSON numbers, as plans were written before.
    const plan = { ...testPlan(), originNativeUsd: 3000.25, destinationNativeUsd: 1 } as unknown as Record<
      string,
      unknown
    >;
    (plan.from as Record<string, unknown>).priceUsd = 0.00000001;
    const id = plan.intentId as string;
    await sql`insert into intents (id, status, stage, owner, trade_type, origin_chain_id, origin_token,
        deposit_address, destination_chain_id, destination_token, recipient, from_amount, from_amount_min,
        to_amount, to_amount_min, plan, quote_expires_at, created_at, updated_at)
      values (${id}, 'EXECUTING', 'sweep', 'o', 'EXACT_INPUT', 1, 't', 'd', 2, 't', 'r', '1', '1', '1', '1',
        ${toJsonText(plan)}::jsonb, ${t(0)}, ${t(0)}, ${t(0)})`.execute(db);
    await sql`insert into executions (id, wallet, wallet_type, identity, intermediary, mode, direction,
        chain_id, intent_id, status, plan, deadline, created_at, updated_at)
      values ('x1', 'w', 'evm', 'i', 'm', 'quote_with_steps', 'in', 2, ${id}, 'DEPOSIT_PROCESSING', '{}'::jsonb,
        ${t(99)}, ${t(0)}, ${t(0)})`.execute(db);
    await sql`insert into intent_events (intent_id, type, status, data, at) values
      (${id}, 'intent.committed', 'COMMITTED', '{}'::jsonb, ${t(1)}),
      (${id}, 'fill.mined', 'EXECUTING', '{"callSucceeded": false}'::jsonb, ${t(4)})`.execute(db);
    await sql`insert into execution_events (execution_id, type, status, data, at) values
      ('x1', 'execution.signed', 'DEPOSIT_PENDING', '{}'::jsonb, ${t(2)}),
      ('x1', 'execution.deposit_seen', 'DEPOSIT_PROCESSING', '{}'::jsonb, ${t(3)})`.execute(db);

    await migrate(db, database.target);

    const events = await db.selectFrom("events").selectAll().orderBy("seq").execute();
    expect(events.map((e) => [e.type, e.intent_id, e.execution_id])).toEqual([
      ["intent.committed", id, null],
      ["execution.signed", id, "x1"],
      ["execution.deposit_seen", id, "x1"],
      ["fill.mined", id, null],
    ]);
    const row = await findIntent(db, id);
    expect(row).toMatchObject({
      destination_call_succeeded: false,
      execution_id: "x1",
      attempts: 0,
      parked_at: null,
    });
    const migrated = planOf(row as NonNullable<typeof row>);
    expect(migrated.from.priceUsd).toBe("0.00000001");
    expect(migrated.to.priceUsd).toBe("1");
    expect(migrated.originNativeUsd).toBe("3000.25");
    expect(migrated.quote.fromAmount).toBe(100n);
  });
});
