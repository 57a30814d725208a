import { useEffect, useState } from "react";
import {
  ApiError,
  type Chain,
  getChains,
  getIntent,
  getReceipt,
  type Intent,
  type IntentReceipt,
  type Leg,
} from "../api.ts";
import { Hex, Status, Timeline, Tx } from "../components.tsx";
import { chainName, formatAmount, formatUsd } from "../format.ts";
import { useEvents } from "../useEvents.ts";
import { statusWords, whereAreTheFunds } from "../where.ts";

export function IntentPage({ id }: { id: string }) {
  const [chains, setChains] = useState<Chain[]>();
  const [intent, setIntent] = useState<Intent>();
  const [receipt, setReceipt] = useState<IntentReceipt>();
  const [missing, setMissing] = useState<string>();
  const events = useEvents(`intentId=${encodeURIComponent(id)}`);

  useEffect(() => {
    getChains().then(setChains, () => {});
    getIntent(id).then(setIntent, (err: unknown) =>
      setMissing(err instanceof ApiError ? err.message : "the intent could not be read"),
    );
  }, [id]);
  // Each event the stream brings is a change: read the receipt again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: events.length is the trigger.
  useEffect(() => {
    getReceipt(id).then(setReceipt, () => {});
  }, [id, events.length]);
  const fillBlock = events.find((e) => e.type === "intent.fill_mined")?.transaction?.blockNumber;

  if (missing) {
    return (
      <section>
        <h1>Intent not found</h1>
        <p className="nothing">{missing}</p>
      </section>
    );
  }
  if (!receipt) return <p>Loading…</p>;
  const from = receipt.summary.originTokenMetadata;
  const to = receipt.summary.destinationTokenMetadata;
  return (
    <section>
      <h1>
        Intent <Hex value={receipt.intentId} />
      </h1>
      <p className="status-line">
        <Status status={receipt.status} /> {statusWords[receipt.status] ?? receipt.status}
      </p>
      <p className="where" data-testid="where">
        {whereAreTheFunds(receipt, chains, fillBlock)}
      </p>

      <h2>Quoted and delivered</h2>
      <dl className="facts">
        <dt>From</dt>
        <dd>
          <Hex value={receipt.ownerAddress} /> on {chainName(chains, receipt.originChainId)}
        </dd>
        <dt>To</dt>
        <dd>
          <Hex value={receipt.summary.destinationToAddress} /> on{" "}
          {chainName(chains, receipt.destinationChainId)}
          {receipt.summary.destinationHasCallData && " (with a contract call)"}
        </dd>
        <dt>Deposit address</dt>
        <dd>
          <Hex value={receipt.summary.originIntentAddress} />
        </dd>
        <dt>Quoted deposit</dt>
        <dd>{formatAmount(receipt.summary.originTokenAmount, from?.decimals, from?.symbol)}</dd>
        <dt>Deposited</dt>
        <dd>{legAmount(receipt.depositTransaction, from?.decimals, from?.symbol)}</dd>
        <dt>Quoted delivery</dt>
        <dd>
          {formatAmount(receipt.summary.destinationTokenAmount, to?.decimals, to?.symbol)}
          {intent && ` (${formatUsd(intent.quote.toAmountUsd)})`}
        </dd>
        <dt>Delivered</dt>
        <dd>
          {receipt.destinationTransaction.txnHash
            ? legAmount(receipt.destinationTransaction, to?.decimals, to?.symbol)
            : "not yet"}
        </dd>
        {intent && <Fees intent={intent} decimals={from?.decimals} symbol={from?.symbol} />}
      </dl>

      <h2>Transactions</h2>
      <table className="legs">
        <thead>
          <tr>
            <th>Leg</th>
            <th>Status</th>
            <th>Chain</th>
            <th>Transaction</th>
          </tr>
        </thead>
        <tbody>
          {legRows(receipt).map(([name, leg]) => (
            <tr key={name}>
              <td>{name}</td>
              <td>
                <Status status={leg.status} />
              </td>
              <td>{chainName(chains, leg.chainId)}</td>
              <td>{leg.txnHash ? <Tx chains={chains} chainId={leg.chainId} hash={leg.txnHash} /> : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Timeline</h2>
      <Timeline events={events} chains={chains} subject="intent" />
    </section>
  );
}

/**
 * The receipt's transactions worth a row: the origin leg only when it is a refund (once the user is
 * paid it names the deposit again), and Junction's sweep once it is sent.
 */
function legRows(receipt: IntentReceipt): [string, Leg][] {
  const origin = receipt.originTransaction;
  const refunded =
    origin.toAddress.toLowerCase() === receipt.ownerAddress.toLowerCase() &&
    !["UNKNOWN", "ON_HOLD", "ABORTED"].includes(origin.status);
  return [
    ["Deposit", receipt.depositTransaction],
    ...(refunded ? [["Refund", origin] as [string, Leg]] : []),
    ["Delivery", receipt.destinationTransaction],
    ...(receipt.sweepTransaction ? [["Sweep", receipt.sweepTransaction] as [string, Leg]] : []),
  ];
}

const legAmount = (leg: Leg, decimals?: number, symbol?: string) =>
  formatAmount(leg.tokenAmount, decimals, symbol);

function Fees({ intent, decimals, symbol }: { intent: Intent; decimals?: number; symbol?: string }) {
  const f = intent.fees;
  const rows: [string, string, number][] = [
    ["Gas", f.gasFeeTotal, f.gasFeeUsd],
    ["Junction fee", f.trailsFeeTotal, f.trailsFeeUsd],
    ["Total fees", f.totalFeeAmount, f.totalFeeUsd],
  ];
  return (
    <>
      {rows.map(([name, amount, usd]) => (
        <FeeRow key={name} name={name} amount={amount} usd={usd} decimals={decimals} symbol={symbol} />
      ))}
    </>
  );
}

function FeeRow(p: { name: string; amount: string; usd: number; decimals?: number; symbol?: string }) {
  return (
    <>
      <dt>{p.name}</dt>
      <dd>
        {formatAmount(p.amount, p.decimals, p.symbol)} ({formatUsd(p.usd)})
      </dd>
    </>
  );
}
