import { useEffect, useState } from "react";
import { Link } from "wouter";
import { type Chain, getChains } from "../api.ts";
import { Hex, Status, Timeline } from "../components.tsx";
import { useEvents } from "../useEvents.ts";

/** The Intents Connect execution object, as the push stream carries it. */
interface Execution {
  id: string;
  status: string;
  statusReason?: string;
  steps: { to: string; functionSignature?: string; value?: string }[];
  quote?: {
    amountIn: string;
    amountOut: string;
    depositAddress?: string;
    originAsset: string;
    destinationAsset: string;
    recipient: string;
    deadline: string;
  };
  details: { intermediaryAddress?: string };
}

const executionWords: Record<string, string> = {
  PENDING_SIGNATURE: "Waiting for the wallet's signature",
  DEPOSIT_PENDING: "Waiting for the deposit",
  PROCESSING: "The swap is under way",
  OPERATION_PENDING: "The swap delivered to the intermediary account; the steps are queued",
  OPERATION_PROCESSING: "The steps' transaction was sent",
  SUCCESS: "Succeeded: every step ran",
  OPERATION_FAILED: "A step failed: the funds stay in the intermediary account, the owner's to move",
  DEPOSIT_FAILED: "The deposit could not be used and went back to its owner",
  EXPIRED: "Expired: no signature or deposit by the deadline",
};

export function ExecutionPage({ id }: { id: string }) {
  const [chains, setChains] = useState<Chain[]>();
  const events = useEvents(`executionId=${encodeURIComponent(id)}`);
  useEffect(() => {
    getChains().then(setChains, () => {});
  }, []);
  const latest = [...events].reverse().find((e) => e.execution)?.execution as Execution | undefined;
  const intentId = events.find((e) => e.intentId)?.intentId;
  if (!latest) {
    return (
      <section>
        <h1>Execution {id}</h1>
        <p className="nothing">Nothing recorded for this execution yet (or no such execution).</p>
      </section>
    );
  }
  return (
    <section>
      <h1>
        Execution <Hex value={latest.id} />
      </h1>
      <p className="status-line">
        <Status status={latest.status} /> {executionWords[latest.status] ?? latest.status}
        {latest.statusReason && `: ${latest.statusReason}`}
      </p>
      <dl className="facts">
        {latest.quote && (
          <>
            <dt>Swap</dt>
            <dd>
              {latest.quote.amountIn} {latest.quote.originAsset} → {latest.quote.amountOut}{" "}
              {latest.quote.destinationAsset}
            </dd>
            {latest.quote.depositAddress && (
              <>
                <dt>Deposit address</dt>
                <dd>
                  <Hex value={latest.quote.depositAddress} />
                </dd>
              </>
            )}
          </>
        )}
        {latest.details.intermediaryAddress && (
          <>
            <dt>Intermediary account</dt>
            <dd>
              <Hex value={latest.details.intermediaryAddress} />
            </dd>
          </>
        )}
        {intentId && (
          <>
            <dt>Cross-chain swap</dt>
            <dd>
              <Link href={`/intents/${intentId}`}>intent {intentId.slice(0, 10)}…</Link>
            </dd>
          </>
        )}
      </dl>
      <h2>Steps</h2>
      <ol className="steps">
        {latest.steps.map((step, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: steps are a fixed list; the same call may repeat.
          <li key={i}>
            <code>{step.functionSignature ?? "call"}</code> on <Hex value={step.to} />
          </li>
        ))}
      </ol>
      <h2>Timeline</h2>
      <Timeline events={events} chains={chains} subject="execution" />
    </section>
  );
}
