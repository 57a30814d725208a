import { createWalletClient, defineChain, type Hex, http, type TypedDataDefinition } from "viem";
import { privateKeyToAccount } from "viem/accounts";

type Listener = (...args: unknown[]) => void;
interface RequestArguments {
  method: string;
  params?: unknown[];
}
interface TransactionRequest {
  to?: Hex;
  data?: Hex;
  value?: Hex;
  gas?: Hex;
}

/**
 * A browser wallet (EIP-1193, announced by EIP-6963 and as `window.ethereum`) holding one private
 * key: what an extension wallet does for a page, without the extension. It signs locally and
 * sends everything else to `rpcUrl(chainId)`, so the page's wallet talks to the same chains as
 * the widget.
 */
export function installWallet(key: Hex, rpcUrl: (chainId: number) => string, startChainId: number): void {
  const account = privateKeyToAccount(key);
  let chainId = startChainId;
  const listeners = new Map<string, Set<Listener>>();
  const emit = (event: string, ...args: unknown[]) => {
    for (const listener of listeners.get(event) ?? []) listener(...args);
  };
  const chain = () =>
    defineChain({
      id: chainId,
      name: `chain ${chainId}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl(chainId)] } },
    });
  const forward = async (method: string, params: unknown[] = []) => {
    const res = await fetch(rpcUrl(chainId), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
    if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code });
    return body.result;
  };
  const sendTransaction = (tx: TransactionRequest) =>
    createWalletClient({ account, chain: chain(), transport: http() }).sendTransaction({
      to: tx.to,
      data: tx.data,
      value: tx.value ? BigInt(tx.value) : undefined,
      gas: tx.gas ? BigInt(tx.gas) : undefined,
    });
  const hexChainId = () => `0x${chainId.toString(16)}`;

  const provider = {
    async request({ method, params = [] }: RequestArguments): Promise<unknown> {
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [account.address];
        case "eth_chainId":
          return hexChainId();
        case "wallet_switchEthereumChain":
          chainId = Number((params[0] as { chainId: string }).chainId);
          emit("chainChanged", hexChainId());
          return null;
        case "wallet_addEthereumChain":
          return null;
        case "wallet_requestPermissions":
        case "wallet_getPermissions":
          return [{ parentCapability: "eth_accounts" }];
        case "eth_sendTransaction":
          return sendTransaction(params[0] as TransactionRequest);
        case "personal_sign":
          return account.signMessage({ message: { raw: params[0] as Hex } });
        case "eth_signTypedData_v4": {
          const { types, ...typedData } = JSON.parse(params[1] as string) as TypedDataDefinition & {
            types: Record<string, unknown>;
          };
          const { EIP712Domain: _domain, ...messageTypes } = types;
          return account.signTypedData({ ...typedData, types: messageTypes } as TypedDataDefinition);
        }
        default:
          return forward(method, params);
      }
    },
    on(event: string, listener: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)?.add(listener);
      return provider;
    },
    removeListener(event: string, listener: Listener) {
      listeners.get(event)?.delete(listener);
      return provider;
    },
  };

  Object.assign(window, { ethereum: provider });
  const info = {
    uuid: "0b5a6b34-7e2c-4d2e-9a51-6a1d7c7f0001",
    name: "Devnet Wallet",
    icon: "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>",
    rdns: "dev.junction.wallet",
  };
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
    );
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
}
