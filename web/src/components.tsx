import { type ReactNode, useState } from "react";
import { Link } from "wouter";
import type { Chain, PushEvent } from "./api.ts";
import { chainName, formatTime, shortHex, txUrl } from "./format.ts";

export function Layout({ children }: { children: ReactNode }) {
  return (
    <>
      <header>
        <nav>
          <Link href="/" className="brand">
            Junction
          </Link>
          <Link href="/">Explorer</Link>
          <Link href="/playground">Playground</Link>
          <Link href="/operator">Operator</Link>
        </nav>
      </header>
      <main>{children}</main>
    </>
  );
}

/** A shortened hex string (address, hash, id) with its whole value on hover and a copy button. */
export function Hex({ value, href }: { value: string; href?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard?.writeText(value);
    setCopied(true);
    setTimeout(() => setCopied(false), 1200);
  };
  return (
    <span className="hex">
      {href ? (
        <a href={href} title={value}>
          {shortHex(value)}
        </a>
      ) : (
        <code title={value}>{shortHex(value)}</code>
      )}
      <button type="button" className="copy" onClick={copy} aria-label={`copy ${value}`}>
        {copied ? "copied" : "copy"}
      </button>
    </span>
  );
}

/** A transaction: its hash, linked to the chain's explorer when the chain has one. */
export function Tx({ chains, chainId, hash }: { chains?: Chain[]; chainId: number; hash: string }) {
  return <Hex value={hash} href={txUrl(chains, chainId, hash)} />;
}

export function Status({ status }: { status: string }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}

/** Every event of a subject in order, each with its time and the transaction it is about. */
export function Timeline(p: { events: PushEvent[]; chains?: Chain[]; subject: "intent" | "execution" }) {
  return (
    <ol className="timeline">
      {p.events.map((e) => (
        <li key={e.sequence}>
          <time>{formatTime(e.occurredAt)}</time>{" "}
          <strong>{e.type.replace(`${p.subject}.`, "").replaceAll("_", " ")}</strong>
          {e.transaction && (
            <>
              {" "}
              on {chainName(p.chains, e.transaction.chainId)}:{" "}
              <Tx chains={p.chains} chainId={e.transaction.chainId} hash={e.transaction.hash} />
              {e.transaction.blockNumber && <> in block {e.transaction.blockNumber}</>}
            </>
          )}
        </li>
      ))}
    </ol>
  );
}
