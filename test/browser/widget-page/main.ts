import { TrailsWidget } from "0xtrails/widget";
import { createElement } from "react";
import { createRoot } from "react-dom/client";
import type { Hex } from "viem";
import { installWallet } from "./wallet.ts";

/**
 * The official Trails widget, unmodified, in pay mode, with every URL option pointing at one
 * Junction. The page's query names the Junction, the wallet's key and the payment.
 */
const query = new URLSearchParams(location.search);
const param = (name: string): string => {
  const value = query.get(name);
  if (!value) throw new Error(`the page needs ?${name}=`);
  return value;
};
const junction = param("junction");
const apiKey = param("apiKey");

installWallet(
  param("key") as Hex,
  (chainId) => `${junction}/nodes/${chainId}/${apiKey}`,
  Number(param("walletChain")),
);

/** What the widget reports through its callbacks, for the test to read (`window.widgetEvents`). */
const widgetEvents: { event: string; data: unknown }[] = [];
Object.assign(window, { widgetEvents });
const record = (event: string) => (data: unknown) => {
  widgetEvents.push({
    event,
    data: JSON.parse(JSON.stringify(data, (_k, v) => (typeof v === "bigint" ? String(v) : v))),
  });
};

const root = document.getElementById("root");
if (!root) throw new Error("the page has no #root");
createRoot(root).render(
  createElement(TrailsWidget, {
    apiKey,
    trailsApiUrl: junction,
    sequenceIndexerUrl: `${junction}/indexer`,
    sequenceNodeGatewayUrl: `${junction}/nodes`,
    sequenceApiUrl: junction,
    mode: "pay",
    renderInline: true,
    toAddress: param("to"),
    toAmount: param("amount"),
    toChainId: Number(param("toChain")),
    toToken: param("toToken"),
    // ?debug: the widget logs its every step to the console.
    debug: query.has("debug"),
    onCheckoutStatusUpdate: record("statusUpdate"),
    onCheckoutComplete: record("complete"),
    onCheckoutError: record("error"),
  }),
);
