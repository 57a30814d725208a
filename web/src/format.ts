import type { Chain } from "./api.ts";

/** A base-unit amount with its decimals and symbol, e.g. "1.5 USDC"; trailing zeros dropped. */
export function formatAmount(amount: string | bigint, decimals = 18, symbol = ""): string {
  const value = BigInt(amount);
  const unit = 10n ** BigInt(decimals);
  const whole = value / unit;
  const fraction = (value % unit).toString().padStart(decimals, "0").replace(/0+$/, "");
  const number = `${whole.toLocaleString("en-US")}${fraction ? `.${fraction}` : ""}`;
  return symbol ? `${number} ${symbol}` : number;
}

export const shortHex = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex);

export const chainName = (chains: Chain[] | undefined, id: number) =>
  chains?.find((c) => c.id === id)?.name ?? `chain ${id}`;

/** The chain's explorer page for a transaction, when the chain has an explorer configured. */
export function txUrl(chains: Chain[] | undefined, chainId: number, hash: string): string | undefined {
  const base = chains?.find((c) => c.id === chainId)?.blockExplorerUrl;
  return base ? `${base.replace(/\/$/, "")}/tx/${hash}` : undefined;
}

export const formatTime = (iso: string) =>
  new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" });

export const formatUsd = (usd: number) =>
  usd.toLocaleString("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 4 });
