import type { GasFeeOptions, Intent } from "@0xtrails/api";
import { type FormEvent, useEffect, useMemo, useState } from "react";
import { type Address, type Hex, isAddress, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { useLocation } from "wouter";
import { formatAmount, formatUsd } from "../format.ts";
import {
  bridgeIntoVault,
  type DevnetChain,
  type Payer,
  type PaymentForm,
  payByTransfer,
  payerAddress,
  payGasless,
  quote,
} from "../pay.ts";

interface Devnet {
  connectApiKey?: string;
  chains: DevnetChain[];
  accounts: { address: Address; privateKey: Hex }[];
}

const hasBrowserWallet = () => "ethereum" in window;

/** Pay across chains with a devnet test account (its key stays in the page) or a browser wallet. */
export function Playground() {
  const [, navigate] = useLocation();
  const [devnet, setDevnet] = useState<Devnet | null>();
  const [payerChoice, setPayerChoice] = useState("0");
  const [browserAddress, setBrowserAddress] = useState<Address>();
  const [fromChain, setFromChain] = useState(0);
  const [toChain, setToChain] = useState(1);
  const [fromSymbol, setFromSymbol] = useState("USDC");
  const [toSymbol, setToSymbol] = useState("USDC");
  const [amount, setAmount] = useState("10");
  const [tradeType, setTradeType] = useState<PaymentForm["tradeType"]>("EXACT_INPUT");
  const [recipient, setRecipient] = useState("");
  const [intoVault, setIntoVault] = useState(false);
  const [quoted, setQuoted] = useState<{ intent: Intent; gasFeeOptions?: GasFeeOptions }>();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    fetch("/devnet")
      .then((r) => (r.ok ? (r.json() as Promise<Devnet>) : null))
      .then(setDevnet, () => setDevnet(null));
  }, []);

  const payer = useMemo<Payer | undefined>(() => {
    if (payerChoice === "browser")
      return browserAddress ? { kind: "browser", address: browserAddress } : undefined;
    const key = devnet?.accounts[Number(payerChoice)]?.privateKey;
    return key ? { kind: "key", account: privateKeyToAccount(key) } : undefined;
  }, [payerChoice, browserAddress, devnet]);

  if (devnet === undefined) return <p>Loading…</p>;
  const chains = devnet?.chains ?? [];
  const from = chains[fromChain];
  const to = chains[toChain];
  const fromToken = from?.tokens.find((t) => t.symbol === fromSymbol);
  const toToken = to?.tokens.find((t) => t.symbol === toSymbol);

  const connectBrowserWallet = async () => {
    const provider = (
      window as unknown as { ethereum: { request(a: { method: string }): Promise<Address[]> } }
    ).ethereum;
    const [address] = await provider.request({ method: "eth_requestAccounts" });
    setBrowserAddress(address);
  };

  const form = (): PaymentForm => {
    if (!from || !to || !fromToken || !toToken) throw new Error("choose both chains and tokens");
    const owner = payer ? payerAddress(payer) : undefined;
    const to_ = recipient.trim() || owner;
    if (!to_ || !isAddress(to_))
      throw new Error("recipient: enter a 0x address (or leave it empty to pay yourself)");
    const decimals = tradeType === "EXACT_INPUT" ? fromToken.decimals : toToken.decimals;
    return {
      from,
      fromToken: fromToken.address,
      to,
      toToken: toToken.address,
      amount: parseUnits(amount, decimals),
      tradeType,
      recipient: to_,
      intoVault,
    };
  };

  const run = (label: string, action: () => Promise<void>) => async () => {
    setBusy(label);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err instanceof Error ? err.message.split("\n")[0] : String(err));
    } finally {
      setBusy(undefined);
    }
  };

  const getQuote = (e: FormEvent) => {
    e.preventDefault();
    void run("Quoting", async () => {
      if (!payer) throw new Error("choose who pays");
      setQuoted(await quote(form(), payerAddress(payer)));
    })();
  };
  const permitOption = quoted?.gasFeeOptions?.feeOptions.find((o) => o.is2612);

  return (
    <section className="playground">
      <h1>Playground</h1>
      {!devnet && (
        <p className="nothing">
          This Junction is not a devnet: it has no test accounts. Pay with a browser wallet holding real
          funds.
        </p>
      )}
      <form onSubmit={getQuote} className="pay-form">
        <label>
          Pay with
          <select value={payerChoice} onChange={(e) => setPayerChoice(e.target.value)}>
            {devnet?.accounts.map((a, i) => (
              <option key={a.address} value={String(i)}>
                Test account {i} ({a.address.slice(0, 8)}…)
              </option>
            ))}
            {hasBrowserWallet() && <option value="browser">Browser wallet</option>}
          </select>
        </label>
        {payerChoice === "browser" && !browserAddress && (
          <button type="button" onClick={connectBrowserWallet}>
            Connect the browser wallet
          </button>
        )}
        <ChainToken
          label="From"
          chains={chains}
          chain={fromChain}
          setChain={setFromChain}
          symbol={fromSymbol}
          setSymbol={setFromSymbol}
        />
        <ChainToken
          label="To"
          chains={chains}
          chain={toChain}
          setChain={setToChain}
          symbol={toSymbol}
          setSymbol={setToSymbol}
        />
        <fieldset>
          <legend>Amount</legend>
          <label>
            <input
              type="radio"
              checked={tradeType === "EXACT_INPUT"}
              onChange={() => setTradeType("EXACT_INPUT")}
            />{" "}
            I send exactly
          </label>
          <label>
            <input
              type="radio"
              checked={tradeType === "EXACT_OUTPUT"}
              onChange={() => setTradeType("EXACT_OUTPUT")}
            />{" "}
            The recipient gets exactly
          </label>
          <input
            aria-label="Amount"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            inputMode="decimal"
          />
        </fieldset>
        <label>
          Recipient
          <input
            value={recipient}
            onChange={(e) => setRecipient(e.target.value)}
            placeholder="0x… (empty: yourself)"
          />
        </label>
        <label>
          <input
            type="checkbox"
            checked={intoVault}
            disabled={toSymbol !== "USDC"}
            onChange={(e) => setIntoVault(e.target.checked)}
          />{" "}
          Deposit into the DemoVault on the destination chain (a destination call)
        </label>
        <button type="submit" disabled={!!busy}>
          Get a quote
        </button>
      </form>
      {devnet?.connectApiKey && (
        <div className="connect">
          <h2>Intents Connect</h2>
          <p>
            The same payment as a bridge-in: an execution whose steps deposit what arrives into the
            destination chain's DemoVault for the recipient, signed by the wallet (ERC-191), run by its
            intermediary account.
          </p>
          <button
            type="button"
            disabled={!!busy || fromSymbol !== "USDC" || toSymbol !== "USDC" || tradeType !== "EXACT_INPUT"}
            onClick={run("Bridging in", async () => {
              if (!payer) throw new Error("choose who pays");
              const apiKey = devnet.connectApiKey as string;
              navigate(`/executions/${await bridgeIntoVault(form(), payer, { apiKey })}`);
            })}
          >
            Bridge in to the DemoVault (USDC, I send exactly)
          </button>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {busy && <p aria-live="polite">{busy}…</p>}
      {quoted && payer && fromToken && toToken && (
        <div className="quote" data-testid="quote">
          <h2>Quote</h2>
          <p>
            You deposit{" "}
            {formatAmount(quoted.intent.depositTransaction.amount, fromToken.decimals, fromToken.symbol)}; the
            recipient gets {formatAmount(quoted.intent.quote.toAmount, toToken.decimals, toToken.symbol)} (
            {formatUsd(quoted.intent.quote.toAmountUsd)}). Fees: {formatUsd(quoted.intent.fees.totalFeeUsd)}.
          </p>
          <div className="actions">
            <button
              type="button"
              disabled={!!busy}
              onClick={run("Paying", async () => {
                await payByTransfer(quoted.intent, payer);
                navigate(`/intents/${quoted.intent.intentId}`);
              })}
            >
              Pay by transfer
            </button>
            {permitOption && (
              <button
                type="button"
                disabled={!!busy}
                onClick={run("Signing", async () => {
                  const entrypoint = quoted.intent.trailsContracts.trailsIntentEntrypointAddress as Address;
                  await payGasless(quoted.intent, permitOption, entrypoint, payer);
                  navigate(`/intents/${quoted.intent.intentId}`);
                })}
              >
                Pay gasless: sign a permit (fee{" "}
                {formatAmount(permitOption.amount, permitOption.tokenDecimals, permitOption.tokenSymbol)})
              </button>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

function ChainToken(p: {
  label: string;
  chains: DevnetChain[];
  chain: number;
  setChain: (i: number) => void;
  symbol: string;
  setSymbol: (s: string) => void;
}) {
  return (
    <fieldset>
      <legend>{p.label}</legend>
      <label>
        Chain
        <select value={p.chain} onChange={(e) => p.setChain(Number(e.target.value))}>
          {p.chains.map((c, i) => (
            <option key={c.chainId} value={i}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Token
        <select value={p.symbol} onChange={(e) => p.setSymbol(e.target.value)}>
          {p.chains[p.chain]?.tokens.map((t) => (
            <option key={t.symbol}>{t.symbol}</option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}
