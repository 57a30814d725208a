import { type FormEvent, useEffect, useState } from "react";
import { Link, useLocation } from "wouter";
import { knownAdminKey } from "../admin-key.ts";
import { admin, type Chain, type ExecutionSummary, getChains, type Intent, searchIntents } from "../api.ts";
import { Hex, Status } from "../components.tsx";
import { chainName, formatAmount, formatTime, shortHex } from "../format.ts";

const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every intent a search term can name: an id or a transaction hash, or an address in any role. */
async function intentsMatching(term: string): Promise<Intent[]> {
  const filters: Record<string, string>[] = HASH.test(term)
    ? [{ byIntentId: term }, { byTransactionHash: term }]
    : ADDRESS.test(term)
      ? [{ byOwnerAddress: term }, { byOriginIntentAddress: term }, { byQueryString: term }]
      : [{ byQueryString: term }];
  const found = (await Promise.all(filters.map((f) => searchIntents(f).catch(() => [])))).flat();
  return [...new Map(found.map((i) => [i.intentId, i])).values()];
}

export function Explorer() {
  const [, navigate] = useLocation();
  const [term, setTerm] = useState("");
  const [results, setResults] = useState<Intent[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [latest, setLatest] = useState<Intent[]>([]);
  // Listed for whoever holds the admin key (the devnet hands it to its pages): an execution
  // names its wallet and steps, which only its wallet and the operator list.
  const [executions, setExecutions] = useState<ExecutionSummary[] | null>(null);
  const [chains, setChains] = useState<Chain[]>();

  useEffect(() => {
    getChains().then(setChains, () => {});
    let stop = false;
    const key = knownAdminKey().catch(() => undefined);
    const poll = async () => {
      const [intents, listed] = await Promise.all([
        searchIntents({}).catch(() => null),
        key.then((k) =>
          k
            ? admin<{ executions: ExecutionSummary[] }>("/executions", k).then(
                (r) => r.executions,
                () => null,
              )
            : null,
        ),
      ]);
      if (stop) return;
      if (intents) setLatest(intents.slice(0, 20));
      setExecutions(listed);
      setTimeout(poll, 2_000);
    };
    void poll();
    return () => {
      stop = true;
    };
  }, []);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    const q = term.trim();
    if (!q) return;
    if (UUID.test(q)) return navigate(`/executions/${q}`);
    setSearching(true);
    const found = await intentsMatching(q);
    setSearching(false);
    if (found.length === 1 && found[0]) return navigate(`/intents/${found[0].intentId}`);
    setResults(found);
  };

  return (
    <section>
      <h1>Where are my funds?</h1>
      <search>
        <form onSubmit={search} className="search">
          <label htmlFor="q">Intent id, execution id, address or transaction hash</label>
          <div>
            <input
              id="q"
              value={term}
              onChange={(e) => setTerm(e.target.value)}
              placeholder="0x… or an execution id"
              autoComplete="off"
              spellCheck={false}
            />
            <button type="submit" disabled={searching}>
              Search
            </button>
          </div>
        </form>
      </search>
      {results &&
        (results.length === 0 ? (
          <p className="nothing">Nothing found for {term.trim()}.</p>
        ) : (
          <IntentList title={`${results.length} intents match`} intents={results} chains={chains} />
        ))}
      <IntentList title="Latest intents" intents={latest} chains={chains} />
      {executions && <ExecutionList executions={executions} chains={chains} />}
    </section>
  );
}

function IntentList({ title, intents, chains }: { title: string; intents: Intent[]; chains?: Chain[] }) {
  return (
    <>
      <h2>{title}</h2>
      <ul className="intents">
        {intents.map((intent) => (
          <li key={intent.intentId}>
            <Link href={`/intents/${intent.intentId}`}>
              <Status status={intent.status} />
              <span>
                {formatAmount(intent.depositTransaction.amount, intent.depositTransaction.decimals)}{" "}
                {chainName(chains, intent.originChainId)} → {chainName(chains, intent.destinationChainId)}
              </span>
              {intent.createdAt && <time>{formatTime(intent.createdAt)}</time>}
            </Link>
            <Hex value={intent.intentId} />
          </li>
        ))}
      </ul>
    </>
  );
}

function ExecutionList({ executions, chains }: { executions: ExecutionSummary[]; chains?: Chain[] }) {
  return (
    <>
      <h2>Latest executions</h2>
      {executions.length === 0 ? (
        <p className="nothing">No execution yet.</p>
      ) : (
        <ul className="intents" data-testid="executions">
          {executions.map((e) => (
            <li key={e.id}>
              <Link href={`/executions/${e.id}`}>
                <Status status={e.status} />
                <span>
                  {e.walletType} wallet {shortHex(e.wallet)} on {chainName(chains, e.chainId)}
                </span>
                <time>{formatTime(e.createdAt)}</time>
              </Link>
              <Hex value={e.id} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
