import { type FormEvent, useCallback, useEffect, useMemo, useState } from "react";
import { Link } from "wouter";
import { type ActivityWindow, activityWindows } from "../../../src/core/activity.ts";
import { ADMIN_KEY_STORAGE } from "../admin-key.ts";
import {
  type Activity,
  ApiError,
  admin,
  type Chain,
  devnetAdminKey,
  getChains,
  type Overview,
  type ParkedRow,
} from "../api.ts";
import { Chart } from "../Chart.tsx";
import { Hex, Status } from "../components.tsx";
import { chainName, formatAmount, formatTime, formatUsd } from "../format.ts";

/**
 * The operator's view: inventory against its low-water marks, signers' gas, statuses, fees earned,
 * charts of volume and fill latency, and parked rows with a retry each.
 */
export function Operator() {
  const [key, setKey] = useState<string | undefined>(
    () => sessionStorage.getItem(ADMIN_KEY_STORAGE) ?? undefined,
  );
  const [chains, setChains] = useState<Chain[]>();
  const [overview, setOverview] = useState<Overview>();
  const [parked, setParked] = useState<ParkedRow[]>([]);
  const [span, setSpan] = useState<ActivityWindow>("1h");
  const [activity, setActivity] = useState<Activity>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    getChains().then(setChains, () => {});
    if (!key) devnetAdminKey().then((k) => k && setKey(k));
  }, [key]);

  const refresh = useCallback(async () => {
    if (!key) return;
    try {
      const [o, p, a] = await Promise.all([
        admin<Overview>("/overview", key),
        admin<{ parked: ParkedRow[] }>("/parked", key),
        admin<Activity>(`/activity?window=${span}`, key),
      ]);
      setOverview(o);
      setParked(p.parked);
      setActivity(a);
      setError(undefined);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        sessionStorage.removeItem(ADMIN_KEY_STORAGE);
        setKey(undefined);
      }
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [key, span]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(refresh, 3_000);
    return () => clearInterval(timer);
  }, [refresh]);

  const remember = (k: string) => {
    sessionStorage.setItem(ADMIN_KEY_STORAGE, k);
    setKey(k);
  };
  if (!key) return <KeyForm onKey={remember} error={error} />;
  const retry = async (row: ParkedRow) => {
    await admin(`/${row.kind}/${row.id}/retry`, key, "POST").catch((err: Error) => setError(err.message));
    await refresh();
  };
  return (
    <section>
      <h1>Operator</h1>
      {error && <p className="nothing">{error}</p>}
      {!overview ? (
        <p>Loading…</p>
      ) : (
        <>
          <h2>Solver inventory</h2>
          <table className="legs" data-testid="inventory">
            <thead>
              <tr>
                <th>Chain</th>
                <th>Token</th>
                <th>Settlement holds</th>
                <th>Low-water mark</th>
              </tr>
            </thead>
            <tbody>
              {overview.inventory.map((line) => (
                <tr key={`${line.chainId}-${line.token}`} data-chain={line.chainId} data-token={line.symbol}>
                  <td>{chainName(chains, line.chainId)}</td>
                  <td>{line.symbol}</td>
                  <td className="amount" data-testid="held">
                    {formatAmount(line.balance, line.decimals, line.symbol)}
                    {line.low && (
                      <>
                        {" "}
                        <Status status="LOW" />
                      </>
                    )}
                  </td>
                  <td className="amount" data-testid="low-water">
                    {line.lowWater === null
                      ? "none set"
                      : formatAmount(line.lowWater, line.decimals, line.symbol)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Signers' gas</h2>
          <table className="legs">
            <thead>
              <tr>
                <th>Role</th>
                <th>Chain</th>
                <th>Address</th>
                <th>Balance</th>
                <th>Floor</th>
              </tr>
            </thead>
            <tbody>
              {overview.signers.map((s) => (
                <tr key={`${s.role}-${s.chainId}`}>
                  <td>{s.role}</td>
                  <td>{chainName(chains, s.chainId)}</td>
                  <td>
                    <Hex value={s.address} />
                  </td>
                  <td>
                    {formatAmount(s.balanceWei, 18, "ETH")} {s.low && <Status status="LOW" />}
                  </td>
                  <td>{formatAmount(s.floorWei, 18, "ETH")}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>By status</h2>
          <Counts title="Intents" counts={overview.statuses.intents} />
          <Counts title="Executions" counts={overview.statuses.executions} />
          <div className="span-picker">
            <h2>Activity</h2>
            <label>
              over the last{" "}
              <select value={span} onChange={(e) => setSpan(e.target.value as ActivityWindow)}>
                {Object.keys(activityWindows).map((w) => (
                  <option key={w}>{w}</option>
                ))}
              </select>
            </label>
          </div>
          {activity && <ActivityView activity={activity} chains={chains} />}
          <h2>Parked ({parked.length})</h2>
          {parked.length === 0 ? (
            <p className="nothing">Nothing is parked.</p>
          ) : (
            <ul className="intents" data-testid="parked">
              {parked.map((row) => (
                <li key={`${row.kind}-${row.id}`}>
                  <span>
                    <Status status={row.status} />{" "}
                    <Link href={`/${row.kind}/${row.id}`}>
                      {row.kind.slice(0, -1)} {row.id.slice(0, 10)}…
                    </Link>{" "}
                    after {row.attempts} attempts, {formatTime(row.parkedAt)}: <code>{row.lastError}</code>
                  </span>
                  <button type="button" onClick={() => retry(row)}>
                    Retry
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function ActivityView({ activity, chains }: { activity: Activity; chains: Chain[] | undefined }) {
  const { buckets } = activity;
  const x = useMemo(() => buckets.map((b) => Date.parse(b.start) / 1000), [buckets]);
  const volume = useMemo(
    () => [{ label: "Volume (USD)", values: buckets.map((b) => b.volumeUsd), color: "--accent", bars: true }],
    [buckets],
  );
  const latency = useMemo(
    () => [
      { label: "p50", values: buckets.map((b) => seconds(b.latencyP50Ms)), color: "--ok" },
      { label: "slowest", values: buckets.map((b) => seconds(b.latencyMaxMs)), color: "--wait" },
    ],
    [buckets],
  );
  const fills = buckets.reduce((n, b) => n + b.fills, 0);
  const usd = buckets.reduce((n, b) => n + b.volumeUsd, 0);
  const earned = activity.fees.reduce((n, f) => n + f.earnedUsd, 0);
  return (
    <>
      <p data-testid="activity-summary">
        {fills} {fills === 1 ? "fill" : "fills"}, {formatUsd(usd)} delivered, {formatUsd(earned)} earned in
        fees; deposit confirmed → fill mined: median {formatSeconds(activity.latencyP50Ms)}, 95th percentile{" "}
        {formatSeconds(activity.latencyP95Ms)}.
      </p>
      <h3>Fees earned</h3>
      {activity.fees.length === 0 ? (
        <p className="nothing">No fill in this window.</p>
      ) : (
        <table className="legs" data-testid="fees">
          <thead>
            <tr>
              <th>Chain</th>
              <th>Protocol fee</th>
              <th>Gas charged</th>
              <th>Slippage kept</th>
              <th>Earned</th>
            </tr>
          </thead>
          <tbody>
            {activity.fees.map((f) => (
              <tr key={`${f.chainId}-${f.token}`} data-chain={f.chainId} data-token={f.symbol}>
                <td>{chainName(chains, f.chainId)}</td>
                <td className="amount">{formatAmount(f.protocol, f.decimals, f.symbol)}</td>
                <td className="amount">{formatAmount(f.gas, f.decimals, f.symbol)}</td>
                <td className="amount">{formatAmount(f.slippageKept, f.decimals, f.symbol)}</td>
                <td className="amount" data-testid="earned">
                  {formatAmount(f.earned, f.decimals, f.symbol)} ({formatUsd(f.earnedUsd)})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Volume</h3>
      <Chart
        label={`Volume delivered per ${activity.bucketSeconds / 60} minutes, in USD`}
        x={x}
        series={volume}
        unit="USD"
      />
      <h3>Fill latency</h3>
      <Chart
        label={`Deposit confirmed to fill mined, per ${activity.bucketSeconds / 60} minutes, in seconds`}
        x={x}
        series={latency}
        unit="seconds"
      />
    </>
  );
}

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
const formatSeconds = (ms: number | null) => (ms === null ? "–" : `${(ms / 1000).toFixed(1)} s`);

function Counts({ title, counts }: { title: string; counts: Record<string, number> }) {
  const entries = Object.entries(counts);
  return (
    <p>
      {title}:{" "}
      {entries.length === 0
        ? "none yet"
        : entries.map(([status, n]) => (
            <span key={status} className="count">
              <Status status={status} /> {n}{" "}
            </span>
          ))}
    </p>
  );
}

function KeyForm({ onKey, error }: { onKey: (key: string) => void; error?: string }) {
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onKey(value.trim());
  };
  return (
    <section>
      <h1>Operator</h1>
      {error && <p className="nothing">{error}</p>}
      <form onSubmit={submit} className="search">
        <label htmlFor="key">Admin key (adminKey in the configuration, JUNCTION_ADMIN_KEY)</label>
        <div>
          <input id="key" type="password" value={value} onChange={(e) => setValue(e.target.value)} />
          <button type="submit">Open</button>
        </div>
      </form>
    </section>
  );
}
