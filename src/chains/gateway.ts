import type { Logger } from "pino";
import {
  type Address,
  BaseError,
  type Block,
  type Chain,
  ContractFunctionRevertedError,
  ExecutionRevertedError,
  type Hex,
  HttpRequestError,
  keccak256,
  type Log,
  parseAbiItem,
  parseEventLogs,
  type StateOverride,
  TimeoutError,
  type Transaction,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  type TypedDataDomain,
  toHex,
  zeroAddress,
} from "viem";
import { JunctionError } from "../core/errors.ts";
import type { ChainRecord } from "../core/reconcile.ts";
import {
  depositFactoryAbi,
  devTokenAbi,
  intentEntrypointAbi,
  intermediaryAccountFactoryAbi,
  settlementAbi,
} from "./abi.gen.ts";
import type { EngineClient, publicClientFor } from "./clients.ts";
import { PERMIT_DEPOSIT_GAS_FALLBACK, withHeadroom } from "./gas.ts";
import { permitDomain } from "./gasless.ts";
import { type HeadFollower, pollingHeads, SubscribedHeads } from "./heads.ts";
import { readLedger } from "./ledger.ts";
import { estimatePermitDepositGas } from "./permit-gas.ts";
import type { ChainRegistry, RuntimeChain } from "./registry.ts";
import { tokenBalanceOverride } from "./state-override.ts";
import { TtlCache } from "./ttl-cache.ts";

type Client = ReturnType<typeof publicClientFor>;

const transferEvent = parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)");

/** ERC-20 `Transfer` events among `logs` (a receipt's, or a range's), as transfers. */
export function transfersIn(logs: readonly Log[]): TransferLog[] {
  return parseEventLogs({ abi: [transferEvent], eventName: "Transfer", logs: [...logs] }).flatMap(
    (log): TransferLog[] =>
      log.blockHash === null || log.transactionHash === null || log.blockNumber === null
        ? []
        : [
            {
              token: log.address,
              from: log.args.from,
              to: log.args.to,
              value: log.args.value,
              blockNumber: log.blockNumber,
              blockHash: log.blockHash,
              transactionHash: log.transactionHash,
              logIndex: log.logIndex,
            },
          ],
  );
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

/**
 * Why a call would revert, from an eth_estimateGas or eth_call failure: the failure's first line.
 * Null for any other failure (a transport error, a node that is down or behind, funds for gas
 * missing), which says nothing about the call itself.
 */
export function revertReasonOf(err: unknown): string | null {
  if (!(err instanceof BaseError)) return null;
  const reverted = err.walk(
    (e) => e instanceof ExecutionRevertedError || e instanceof ContractFunctionRevertedError,
  );
  // viem files Geth's "gas required exceeds allowance" (the sender cannot pay for the gas) under
  // reverts too: that is the key's balance, not the call.
  if (!reverted || GAS_FUNDS.test(`${reverted.message} ${err.message}`)) return null;
  return err.message.split("\n")[0] ?? err.shortMessage;
}

const GAS_FUNDS = /gas required exceeds allowance|insufficient funds/i;

/** A call as eth_estimateGas sees it. */
export interface CallRequest {
  from: Address;
  to: Address;
  data: Hex;
  value?: bigint;
  stateOverride?: StateOverride;
}

/** A destination call's shape, for the gas estimate of a fill that makes it. */
export interface FillCallShape {
  target: Address;
  data: Hex;
  amountOffset: bigint;
}

export interface TransferLog {
  token: Address;
  from: Address;
  to: Address;
  value: bigint;
  blockNumber: bigint;
  blockHash: Hex;
  transactionHash: Hex;
  logIndex: number;
}

/**
 * Everything Junction reads from or sends to the chains, by chain id: the one door to the nodes,
 * so that a test (or a chaos run) can put another in its place. Values that are expensive and fine
 * to be a little old (gas prices, inventory, gas estimates of a shape) are cached.
 */
export interface Chains {
  head(chainId: number): Promise<bigint>;
  /** Waits for the chain's new blocks: announced by the node where it can, else polled. Close it after. */
  followHeads(chainId: number): HeadFollower;
  /** The newest block's number and timestamp (seconds): how fresh the node's view is. */
  latestBlock(chainId: number): Promise<{ number: bigint; timestamp: bigint }>;
  /** ERC-20 balance, or native balance for the zero address, at `blockNumber` (default latest). */
  balanceOf(chainId: number, token: Address, holder: Address, blockNumber?: bigint): Promise<bigint>;
  /** Whether Settlement records `intentId` as filled. */
  /** Whether Settlement records the intent as filled (at `blockNumber`, else the latest block). */
  isFilled(chainId: number, intentId: Hex, blockNumber?: bigint): Promise<boolean>;
  /** The native coin `address` holds (a signer's gas money); a few seconds old at most. */
  signerBalance(chainId: number, address: Address): Promise<bigint>;
  /** Settlement's balance of `token`; `fresh` bypasses the cache. */
  settlementBalance(chainId: number, token: Address, fresh?: boolean): Promise<bigint>;
  gasPrice(chainId: number): Promise<bigint>;
  feesPerGas(chainId: number): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }>;
  /** eth_estimateGas; throws with the revert reason when the call would revert. */
  estimateGas(chainId: number, call: CallRequest): Promise<bigint>;
  /** The account's transaction count at a block tag, or as of a block number. */
  transactionCount(chainId: number, address: Address, at: "pending" | "latest" | bigint): Promise<number>;
  sendRawTransaction(chainId: number, raw: Hex): Promise<void>;
  /** The receipt of a mined transaction, or null if the node has none. */
  receipt(chainId: number, hash: Hex): Promise<TransactionReceipt | null>;
  transaction(chainId: number, hash: Hex): Promise<Transaction>;
  /** ERC-20 `Transfer` logs of `tokens` in a block range. */
  transferLogs(chainId: number, tokens: readonly Address[], from: bigint, to: bigint): Promise<TransferLog[]>;
  blockWithTransactions(chainId: number, blockNumber: bigint): Promise<Block<bigint, true>>;
  /** A block's hash and its parent's: enough to see that the chain changed under a cursor. */
  blockLink(chainId: number, blockNumber: bigint): Promise<{ hash: Hex; parentHash: Hex }>;
  /** What Settlement and the DepositFactory recorded between two blocks (the ledger check's facts). */
  ledger(chainId: number, fromBlock: bigint, toBlock: bigint): Promise<ChainRecord>;
  /** A state override giving `holder` `amount` of `token`, or null if its balances cannot be found. */
  balanceOverride(
    chainId: number,
    token: Address,
    holder: Address,
    amount: bigint,
  ): Promise<StateOverride | null>;
  verifyTypedData(chainId: number, params: TypedDataCheck): Promise<boolean>;
  /** Whether `address` signed `message` (EIP-191), as an EOA or through ERC-1271. */
  verifyMessage(
    chainId: number,
    check: { address: Address; message: string; signature: Hex },
  ): Promise<boolean>;
  /** The IntentEntrypoint's next nonce for `owner`. */
  entrypointNonce(chainId: number, owner: Address): Promise<bigint>;
  allowance(chainId: number, token: Address, owner: Address, spender: Address): Promise<bigint>;
  /** The token's ERC-2612 nonce of `owner`. */
  permitNonce(chainId: number, token: Address, owner: Address): Promise<bigint>;
  /** The token's ERC-2612 permit domain, or null if it takes no permits. */
  permitDomain(chainId: number, token: Address): Promise<TypedDataDomain | null>;
  /** Gas of a relayed permit deposit of `token`. */
  permitDepositGas(chainId: number, token: Address): Promise<bigint>;
  /** Gas for a fill (with the destination call, when there is one). */
  fillGas(chainId: number, token: Address, call: FillCallShape | null): Promise<bigint>;
  /** The DepositFactory's sweeper init-code hash, which with the salt fixes each deposit address. */
  sweeperCodeHash(chainId: number): Promise<Hex>;
  /** A wallet identity's IntermediaryAccount address (known before the account exists). */
  intermediary(chainId: number, identity: Hex): Promise<Address>;
}

/** A typed-data signature to check (an EOA's, or an ERC-1271 contract wallet's). */
export interface TypedDataCheck {
  address: Address;
  domain: unknown;
  types: unknown;
  primaryType: string;
  message: unknown;
  signature: Hex;
}

/** The accounts whose gas the gateway estimates: the solver's fills, the relayer's permit deposits. */
export interface GatewayAccounts {
  solver: Address;
  relayer: Address;
  feeCollector: Address;
}

/** `Chains` over viem clients, one per configured chain. */
export class ChainGateway implements Chains {
  private readonly clients = new Map<number, EngineClient>();
  private readonly gasPrices = new TtlCache<bigint>(2_000);
  private readonly balances = new TtlCache<bigint>(2_000);
  private readonly estimates = new TtlCache<bigint>(10 * 60_000);
  private readonly codeHashes = new TtlCache<Hex>(Number.POSITIVE_INFINITY);
  private readonly permitDomains = new TtlCache<TypedDataDomain | null>(Number.POSITIVE_INFINITY);
  private readonly intermediaries = new TtlCache<Address>(Number.POSITIVE_INFINITY);
  private closed = false;

  constructor(
    private readonly registry: ChainRegistry,
    private readonly accounts: GatewayAccounts,
    private readonly log: Logger,
    private readonly clientFor: (chain: Chain) => EngineClient,
  ) {}

  private client(chainId: number): Client {
    let client = this.clients.get(chainId);
    if (!client) {
      client = this.clientFor(this.chain(chainId).viem);
      this.clients.set(chainId, client);
      // Asked after the engine stopped (a request still finishing): HTTP only, nothing left open.
      if (this.closed) void client.close();
    }
    return client.client;
  }

  /** Lets go of the nodes' connections (the engine stopped); a later request goes over HTTP. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }

  private chain(chainId: number): RuntimeChain {
    const chain = this.registry.chain(chainId);
    if (!chain) throw new Error(`chain ${chainId} is not configured`);
    return chain;
  }

  head(chainId: number): Promise<bigint> {
    return this.client(chainId).getBlockNumber();
  }

  followHeads(chainId: number): HeadFollower {
    const { wsUrl, blockPollMs } = this.chain(chainId);
    return wsUrl ? new SubscribedHeads(wsUrl, chainId, blockPollMs, this.log) : pollingHeads(blockPollMs);
  }

  async latestBlock(chainId: number): Promise<{ number: bigint; timestamp: bigint }> {
    const block = await this.client(chainId).getBlock({ blockTag: "latest" });
    return { number: block.number, timestamp: block.timestamp };
  }

  balanceOf(chainId: number, token: Address, holder: Address, blockNumber?: bigint): Promise<bigint> {
    return balanceOf(this.client(chainId), token, holder, blockNumber);
  }

  isFilled(chainId: number, intentId: Hex, blockNumber?: bigint): Promise<boolean> {
    return this.client(chainId).readContract({
      address: this.chain(chainId).contracts.Settlement,
      abi: settlementAbi,
      functionName: "filled",
      args: [intentId],
      ...(blockNumber === undefined ? {} : { blockNumber }),
    });
  }

  settlementBalance(chainId: number, token: Address, fresh = false): Promise<bigint> {
    const key = `${chainId}:${token}`;
    if (fresh) this.balances.delete(key);
    return this.balances.get(key, () =>
      this.balanceOf(chainId, token, this.chain(chainId).contracts.Settlement),
    );
  }

  signerBalance(chainId: number, address: Address): Promise<bigint> {
    return this.balances.get(`${chainId}:gas:${address}`, () =>
      this.balanceOf(chainId, zeroAddress, address),
    );
  }

  gasPrice(chainId: number): Promise<bigint> {
    return this.gasPrices.get(String(chainId), () => this.client(chainId).getGasPrice());
  }

  feesPerGas(chainId: number) {
    return this.client(chainId).estimateFeesPerGas();
  }

  estimateGas(chainId: number, call: CallRequest): Promise<bigint> {
    return this.client(chainId).estimateGas({
      account: call.from,
      to: call.to,
      data: call.data,
      ...(call.value ? { value: call.value } : {}),
      ...(call.stateOverride ? { stateOverride: call.stateOverride } : {}),
    });
  }

  transactionCount(chainId: number, address: Address, at: "pending" | "latest" | bigint): Promise<number> {
    return this.client(chainId).getTransactionCount(
      typeof at === "bigint" ? { address, blockNumber: at } : { address, blockTag: at },
    );
  }

  async sendRawTransaction(chainId: number, raw: Hex): Promise<void> {
    await this.client(chainId).sendRawTransaction({ serializedTransaction: raw });
  }

  async receipt(chainId: number, hash: Hex): Promise<TransactionReceipt | null> {
    try {
      return await this.client(chainId).getTransactionReceipt({ hash });
    } catch (err) {
      if (err instanceof TransactionReceiptNotFoundError) return null;
      throw err;
    }
  }

  transaction(chainId: number, hash: Hex): Promise<Transaction> {
    return this.client(chainId).getTransaction({ hash });
  }

  async transferLogs(chainId: number, tokens: readonly Address[], from: bigint, to: bigint) {
    const logs = await this.client(chainId).getLogs({
      address: [...tokens],
      event: transferEvent,
      fromBlock: from,
      toBlock: to,
    });
    return transfersIn(logs);
  }

  ledger(chainId: number, fromBlock: bigint, toBlock: bigint): Promise<ChainRecord> {
    const chain = this.chain(chainId);
    const erc20s = chain.tokens.filter((t) => !t.native).map((t) => t.address);
    return readLedger(this.client(chainId), chainId, chain.contracts, erc20s, fromBlock, toBlock);
  }

  async blockLink(chainId: number, blockNumber: bigint) {
    const block = await this.client(chainId).getBlock({ blockNumber });
    if (!block.hash) throw new Error(`chain ${chainId}: block ${blockNumber} has no hash yet`);
    return { hash: block.hash, parentHash: block.parentHash };
  }

  blockWithTransactions(chainId: number, blockNumber: bigint) {
    return this.client(chainId).getBlock({ blockNumber, includeTransactions: true });
  }

  balanceOverride(chainId: number, token: Address, holder: Address, amount: bigint) {
    return tokenBalanceOverride(this.client(chainId), token, holder, amount);
  }

  verifyTypedData(chainId: number, check: TypedDataCheck): Promise<boolean> {
    // viem's parameter type ties the message to the types generically; each comes from one place.
    const params = check as Parameters<Client["verifyTypedData"]>[0];
    return signatureVerdict(chainId, () => this.client(chainId).verifyTypedData({ ...params, mode: "eoa" }));
  }

  verifyMessage(chainId: number, check: { address: Address; message: string; signature: Hex }) {
    return signatureVerdict(chainId, () => this.client(chainId).verifyMessage({ ...check, mode: "eoa" }));
  }

  entrypointNonce(chainId: number, owner: Address): Promise<bigint> {
    return this.client(chainId).readContract({
      address: this.chain(chainId).contracts.IntentEntrypoint,
      abi: intentEntrypointAbi,
      functionName: "nonces",
      args: [owner],
    });
  }

  allowance(chainId: number, token: Address, owner: Address, spender: Address): Promise<bigint> {
    return this.client(chainId).readContract({
      address: token,
      abi: devTokenAbi,
      functionName: "allowance",
      args: [owner, spender],
    });
  }

  permitNonce(chainId: number, token: Address, owner: Address): Promise<bigint> {
    return this.client(chainId).readContract({
      address: token,
      abi: devTokenAbi,
      functionName: "nonces",
      args: [owner],
    });
  }

  sweeperCodeHash(chainId: number): Promise<Hex> {
    return this.codeHashes.get(String(chainId), () =>
      this.client(chainId).readContract({
        address: this.chain(chainId).contracts.DepositFactory,
        abi: depositFactoryAbi,
        functionName: "SWEEPER_CODE_HASH",
      }),
    );
  }

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

  /**
   * From a real eth_estimateGas by the solver, cached per shape: chain, token, and the call's
   * target and selector.
   */
  fillGas(chainId: number, token: Address, call: FillCallShape | null): Promise<bigint> {
    const shape = call ? `${call.target}:${call.data.slice(0, 10)}` : "plain";
    return this.estimates.get(`${chainId}:${token}:${shape}`, async () => {
      const probeId = keccak256(toHex(`junction-estimate-${Date.now()}-${Math.random()}`));
      const client = this.client(chainId);
      const settlement = this.chain(chainId).contracts.Settlement;
      const gas = call
        ? await client.estimateContractGas({
            account: this.accounts.solver,
            address: settlement,
            abi: settlementAbi,
            functionName: "fillWithCall",
            args: [probeId, token, 1n, this.accounts.solver, call.target, call.data, call.amountOffset],
          })
        : await client.estimateContractGas({
            account: this.accounts.solver,
            address: settlement,
            abi: settlementAbi,
            functionName: "fill",
            // A fresh recipient: paying a new holder costs most.
            args: [probeId, token, 1n, `0x${probeId.slice(26)}` as Address],
          });
      return withHeadroom(gas);
    });
  }

  permitDomain(chainId: number, token: Address): Promise<TypedDataDomain | null> {
    return this.permitDomains.get(`${chainId}:${token}`, () => permitDomain(this.client(chainId), token));
  }

  /**
   * From a real eth_estimateGas (see `estimatePermitDepositGas`), cached per token like the fill
   * estimates. A token whose balances cannot be overridden for the probe is priced at the
   * measured first-deposit cost instead.
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

/**
 * A signature check's verdict. An EOA's signature is checked locally first (`mode: "eoa"`); only a
 * contract wallet's (ERC-1271/6492) needs the node. A node that cannot be reached gives no verdict:
 * the caller hears the service is unavailable, not that the signature is wrong.
 */
async function signatureVerdict(chainId: number, check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check();
  } catch (err) {
    const unreachable =
      err instanceof BaseError &&
      err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError) !== null;
    if (!unreachable) return false;
    throw new JunctionError(
      "upstream_unavailable",
      `chain ${chainId}'s node could not be reached to check a contract wallet's signature; try again`,
    );
  }
}
