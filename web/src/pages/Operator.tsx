import { type FormEvent, useCallback, useEffect, useState } from "react";
import { Link } from "wouter";
import {
  ApiError,
  admin,
  type Chain,
  devnetAdminKey,
  getChains,
  type Overview,
  type ParkedRow,
} from "../api.ts";
import { Hex, Status } from "../components.tsx";
import { chainName, formatAmount, formatTime } from "../format.ts";

const KEY = "junction-admin-key";

/** The operator's view: inventory, signers' gas, statuses, and parked rows with a retry each. */
export function Operator() {
  const [key, setKey] = useState<string | undefined>(() => sessionStorage.getItem(KEY) ?? undefined);
  const [chains, setChains] = useState<Chain[]>();
  const [overview, setOverview] = useState<Overview>();
  const [parked, setParked] = useState<ParkedRow[]>([]);
  const [error, setError] = useState<string>();

  useEffect(() => {
    getChains().then(setChains, () => {});
    if (!key) devnetAdminKey().then((k) => k && setKey(k));
  }, [key]);

  const refresh = useCallback(async () => {
    if (!key) return;
    try {
      const [o, p] = await Promise.all([
        admin<Overview>("/overview", key),
        admin<{ parked: ParkedRow[] }>("/parked", key),
      ]);
      setOverview(o);
      setParked(p.parked);
      setError(undefined);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        sessionStorage.removeItem(KEY);
        setKey(undefined);
      }
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [key]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(refresh, 3_000);
    return () => clearInterval(timer);
  }, [refresh]);

  const remember = (k: string) => {
    sessionStorage.setItem(KEY, k);
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
              </tr>
            </thead>
            <tbody>
              {overview.inventory.map((line) => (
                <tr key={`${line.chainId}-${line.token}`} data-chain={line.chainId} data-token={line.symbol}>
                  <td>{chainName(chains, line.chainId)}</td>
                  <td>{line.symbol}</td>
                  <td className="amount">{formatAmount(line.balance, line.decimals, line.symbol)}</td>
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
