import type { Logger } from "pino";
import { type Address, type Hex, keccak256, type TypedDataDomain, toHex, zeroAddress } from "viem";
import {
  depositFactoryAbi,
  devTokenAbi,
  intermediaryAccountFactoryAbi,
  settlementAbi,
} from "../chains/abi.gen.ts";
import { publicClientFor } from "../chains/clients.ts";
import { permitDomain } from "../chains/gasless.ts";
import type { ChainRegistry, RuntimeChain } from "../chains/registry.ts";
import type { DestinationCall } from "../core/plan.ts";
import { PERMIT_DEPOSIT_GAS_FALLBACK, withHeadroom } from "./gas.ts";
import { estimatePermitDepositGas } from "./permit-gas.ts";
import { TtlCache } from "./ttl-cache.ts";

type Client = ReturnType<typeof publicClientFor>;

/** The accounts whose gas the market prices: the solver's fills, the relayer's permit deposits. */
export interface MarketAccounts {
  solver: Address;
  relayer: Address;
  feeCollector: Address;
}

/**
 * What quoting needs from the chains, cached so a quote costs no RPC round trip once warm: gas
 * prices, the solver's inventory in each Settlement, eth_estimateGas results per fill shape and
 * per permit-deposit token, and which tokens take permits.
 */
export class Market {
  private readonly clients = new Map<number, Client>();
  private readonly gasPrices = new TtlCache<bigint>(2_000);
  private readonly balances = new TtlCache<bigint>(2_000);
  private readonly estimates = new TtlCache<bigint>(10 * 60_000);
  private readonly codeHashes = new TtlCache<Hex>(Number.POSITIVE_INFINITY);
  private readonly permitDomains = new TtlCache<TypedDataDomain | null>(Number.POSITIVE_INFINITY);
  private readonly intermediaries = new TtlCache<Address>(Number.POSITIVE_INFINITY);

  constructor(
    private readonly registry: ChainRegistry,
    private readonly accounts: MarketAccounts,
    private readonly log: Logger,
  ) {}

  client(chainId: number): Client {
    let client = this.clients.get(chainId);
    if (!client) {
      client = publicClientFor(this.chain(chainId).viem);
      this.clients.set(chainId, client);
    }
    return client;
  }

  private chain(chainId: number): RuntimeChain {
    const chain = this.registry.chain(chainId);
    if (!chain) throw new Error(`chain ${chainId} is not configured`);
    return chain;
  }

  gasPrice(chainId: number): Promise<bigint> {
    return this.gasPrices.get(String(chainId), () => this.client(chainId).getGasPrice());
  }

  /** Settlement's balance of `token`; `fresh` bypasses the cache (commit-time checks). */
  settlementBalance(chainId: number, token: Address, fresh = false): Promise<bigint> {
    const key = `${chainId}:${token}`;
    if (fresh) this.balances.delete(key);
    return this.balances.get(key, () => balanceOf(this.client(chainId), token, this.settlement(chainId)));
  }

  /** The DepositFactory's sweeper init-code hash, which with the salt fixes each deposit address. */
  sweeperCodeHash(chainId: number): Promise<Hex> {
    return this.codeHashes.get(String(chainId), () =>
      this.client(chainId).readContract({
        address: this.chain(chainId).contracts.DepositFactory,
        abi: depositFactoryAbi,
        functionName: "SWEEPER_CODE_HASH",
      }),
    );
  }

  /**
   * A wallet's IntermediaryAccount on `chainId`: the factory's CREATE2 clone address for its
   * identity, known (and usable as a recipient) before the account exists.
   */
  intermediary(chainId: number, identity: Hex): Promise<Address> {
    return this.intermediaries.get(`${chainId}:${identity}`, () =>
      this.client(chainId).readContract({
        address: this.chain(chainId).contracts.IntermediaryAccountFactory,
        abi: intermediaryAccountFactoryAbi,
        functionName: "accountOf",
        args: [identity],
      }),
    );
  }

  depositFactory(chainId: number): Address {
    return this.chain(chainId).contracts.DepositFactory;
  }

  settlement(chainId: number): Address {
    return this.chain(chainId).contracts.Settlement;
  }

  /**
   * Gas for the fill (with the destination call, when there is one), from a real eth_estimateGas
   * by the solver, cached per shape: chain, token, and the call's target and selector.
   */
  fillGas(chainId: number, token: Address, call: DestinationCall | null): Promise<bigint> {
    const shape = call ? `${call.target}:${call.data.slice(0, 10)}` : "plain";
    return this.estimates.get(`${chainId}:${token}:${shape}`, async () => {
      const probeId = keccak256(toHex(`junction-estimate-${Date.now()}-${Math.random()}`));
      const client = this.client(chainId);
      const gas = call
        ? await client.estimateContractGas({
            account: this.accounts.solver,
            address: this.settlement(chainId),
            abi: settlementAbi,
            functionName: "fillWithCall",
            args: [
              probeId,
              token,
              1n,
              this.accounts.solver,
              call.target,
              call.data as Hex,
              call.amountOffset,
            ],
          })
        : await client.estimateContractGas({
            account: this.accounts.solver,
            address: this.settlement(chainId),
            abi: settlementAbi,
            functionName: "fill",
            // A fresh recipient: paying a new holder costs most.
            args: [probeId, token, 1n, `0x${probeId.slice(26)}` as Address],
          });
      return withHeadroom(gas);
    });
  }

  /** The token's ERC-2612 permit domain, or null if it takes no permits (a token's code does not change). */
  permitDomain(chainId: number, token: Address): Promise<TypedDataDomain | null> {
    return this.permitDomains.get(`${chainId}:${token}`, () => permitDomain(this.client(chainId), token));
  }

  /**
   * Gas of a relayed permit deposit of `token`, from a real eth_estimateGas (see
   * `estimatePermitDepositGas`), cached per token like the fill estimates. A token whose balances
   * cannot be overridden for the probe is priced at the measured first-deposit cost instead.
   */
  permitDepositGas(chainId: number, token: Address): Promise<bigint> {
    return this.estimates.get(`${chainId}:${token}:permit-deposit`, async () => {
      const gas = await estimatePermitDepositGas(this.client(chainId), {
        entrypoint: this.chain(chainId).contracts.IntentEntrypoint,
        token,
        feeCollector: this.accounts.feeCollector,
        relayer: this.accounts.relayer,
      }).catch((err: unknown) => {
        this.log.warn({ chainId, token, err }, "estimating a permit deposit failed");
        return null;
      });
      if (gas !== null) return gas;
      this.log.warn({ chainId, token }, "pricing permit deposits of this token at the measured cost");
      return PERMIT_DEPOSIT_GAS_FALLBACK;
    });
  }
}

/** ERC-20 balance, or native balance for the zero address, at `blockNumber` (default latest). */
export function balanceOf(client: Client, token: Address, holder: Address, blockNumber?: bigint) {
  const at = blockNumber === undefined ? {} : { blockNumber };
  return token === zeroAddress
    ? client.getBalance({ address: holder, ...at })
    : client.readContract({
        address: token,
        abi: devTokenAbi,
        functionName: "balanceOf",
        args: [holder],
        ...at,
      });
}
