import { withHeadroom } from "../../chains/gas.ts";
import {
  decideExecution,
  type ExecutionEffect,
  type ExecutionFacts,
  type ExecutionNeed,
} from "../../core/connect/decide.ts";
import type { ExecutionStatus } from "../../core/connect/execution-status.ts";
import type { ExecutionPlan } from "../../core/connect/plan.ts";
import { encodeStep } from "../../core/connect/steps.ts";
import type { IntentStatus } from "../../core/intent/status.ts";
import { executionTxs, intentTxs, txRecordOf } from "../../store/chain-txs.ts";
import type { UnitOfWork } from "../../store/commit.ts";
import { type ExecutionRow, executionPlanOf } from "../../store/executions.ts";
import { findIntent } from "../../store/intents.ts";
import { StaleDecision } from "../errors.ts";
import { abortIntentIn } from "../intents/lifecycle.ts";
import type { EngineDeps } from "../ports.ts";
import { settleDecision, simulationFailure } from "../settle.ts";
import { executeStepsData } from "./network-fee.ts";

/**
 * One step of an execution: gather the facts `decideExecution` asks for, then perform what it
 * decides.
 */

/** The factory call that runs the execution's signed steps from the executor key. */
function stepsCall(deps: EngineDeps, plan: ExecutionPlan) {
  const executor = deps.senders.of("executor", plan.chainId);
  const data = executeStepsData(
    plan.identity,
    plan.steps.map((s, i) => encodeStep(s, {}, `steps[${i}]`)),
  );
  return { executor, to: executor.chain.contracts.IntermediaryAccountFactory, data };
}

async function factsOf(deps: EngineDeps, row: ExecutionRow, plan: ExecutionPlan): Promise<ExecutionFacts> {
  const [intent, intentTxRows, stepsTxs] = await Promise.all([
    row.intent_id ? findIntent(deps.store.db, row.intent_id) : undefined,
    row.intent_id ? intentTxs(deps.store.db, row.intent_id) : [],
    executionTxs(deps.store.db, row.id),
  ]);
  const steps = stepsTxs.filter((t) => t.kind === "steps").at(-1);
  return {
    now: deps.clock.now(),
    execution: {
      status: row.status as ExecutionStatus,
      deleted: row.deleted_at !== null,
      deadline: row.deadline,
      direction: plan.direction,
      intermediary: plan.intermediary,
    },
    intent: intent
      ? {
          status: intent.status as IntentStatus,
          statusReason: intent.status_reason,
          delivered: intentTxRows.some((t) => t.kind === "fill" && t.status === "mined"),
        }
      : null,
    stepsTx: steps ? txRecordOf(steps) : null,
  };
}

async function gather(
  deps: EngineDeps,
  row: ExecutionRow,
  plan: ExecutionPlan,
  facts: ExecutionFacts,
  need: ExecutionNeed,
): Promise<void> {
  if (need.fact === "track") {
    const [tx] = (await executionTxs(deps.store.db, row.id)).filter((t) => t.id === need.tx.id);
    if (!tx) throw new Error(`transaction ${need.tx.id} is not the execution's`);
    facts.tracked = {
      status: (await deps.senders.of("executor", plan.chainId).track(tx, deps.clock.now())).status,
    };
    return;
  }
  const { executor, to, data } = stepsCall(deps, plan);
  facts.simulation = await deps.chains
    .estimateGas(plan.chainId, { from: executor.address, to, data })
    .then((gas) => ({ ok: true as const, gas }), simulationFailure);
}

/**
 * Runs `work` on the locked execution if it is still as the decision saw it (not deleted, same
 * status); otherwise does nothing, and the next step decides afresh. An intent to abort is locked
 * first, in the order every transaction takes its locks: inventory, intent, execution.
 */
async function onLocked(
  deps: EngineDeps,
  row: ExecutionRow,
  work: (uow: UnitOfWork, locked: ExecutionRow) => Promise<unknown>,
  before?: (uow: UnitOfWork) => Promise<unknown>,
): Promise<void> {
  await deps.store.commit(deps.clock.now(), async (uow) => {
    if (before) await before(uow);
    const locked = await uow.lockExecution(row.id);
    // Thrown, not returned: what `before` did is rolled back with it.
    if (!locked || locked.deleted_at || locked.status !== row.status) {
      throw new StaleDecision(`execution ${row.id} changed meanwhile`);
    }
    await work(uow, locked);
  });
}

async function perform(deps: EngineDeps, row: ExecutionRow, plan: ExecutionPlan, effect: ExecutionEffect) {
  switch (effect.type) {
    case "move":
      await onLocked(deps, row, (uow, locked) =>
        uow.changeExecution(locked, {
          transitions: effect.transitions,
          ...(effect.statusReason !== undefined ? { patch: { status_reason: effect.statusReason } } : {}),
        }),
      );
      return;
    case "fail": {
      const intent =
        effect.abortIntent && row.intent_id ? await findIntent(deps.store.db, row.intent_id) : undefined;
      await onLocked(
        deps,
        row,
        (uow, locked) =>
          uow.changeExecution(locked, {
            transitions: ["stepsFailed"],
            patch: { status_reason: effect.reason },
          }),
        intent ? (uow) => abortIntentIn(uow, intent) : undefined,
      );
      return;
    }
    case "sendSteps": {
      const { executor, to, data } = stepsCall(deps, plan);
      const prepared = await executor.prepare();
      let recorded: Awaited<ReturnType<typeof executor.record>> | undefined;
      await onLocked(deps, row, async (uow, locked) => {
        recorded = await executor.record(
          uow,
          { executionId: row.id, kind: "steps", to, data, gas: withHeadroom(effect.gas) },
          prepared,
        );
        await uow.changeExecution(locked, { transitions: ["stepsSent"], data: { hash: recorded.hash } });
      });
      if (recorded) await executor.broadcast(recorded);
      return;
    }
  }
}

/**
 * Runs the execution's current step once and returns when to look again (null: only when woken).
 * Each step reads the database and the chain afresh, so running it twice does the same once.
 */
export async function stepExecution(deps: EngineDeps, row: ExecutionRow): Promise<Date | null> {
  if (row.deleted_at) return null;
  const plan = executionPlanOf(row);
  const facts = await factsOf(deps, row, plan);
  const decision = await settleDecision(
    `execution ${row.id}`,
    () => decideExecution(facts),
    (need: ExecutionNeed) => gather(deps, row, plan, facts, need),
  );
  try {
    for (const effect of decision.effects) await perform(deps, row, plan, effect);
  } catch (err) {
    // Decided on a status that has since moved: decide again from fresh facts.
    if (err instanceof StaleDecision) return deps.clock.now();
    throw err;
  }
  return decision.next;
}
