import { type Address, type Client, type Log, parseAbiItem, parseEventLogs } from "viem";
import { getLogs } from "viem/actions";
import type { ChainRecord } from "../core/reconcile.ts";
import { depositFactoryAbi, settlementAbi } from "./abi.gen.ts";

const transferEvent = parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)");

/** Blocks per eth_getLogs request: nodes refuse ranges much larger. */
const LOG_RANGE = 5_000n;

/**
 * What one chain's Settlement and DepositFactory recorded between two blocks, for the ledger
 * check: fills, sweeps, refunds, withdrawals, and the ERC-20 transfers out of Settlement.
 */
export async function readLedger(
  client: Client,
  chainId: number,
  contracts: { Settlement: Address; DepositFactory: Address },
  tokens: readonly Address[],
  fromBlock: bigint,
  toBlock: bigint,
): Promise<ChainRecord> {
  const record: ChainRecord = {
    filled: [],
    swept: [],
    refunded: [],
    settlementOutflows: [],
    withdrawals: [],
  };
  for (let from = fromBlock; from <= toBlock; from += LOG_RANGE) {
    const to = from + LOG_RANGE - 1n < toBlock ? from + LOG_RANGE - 1n : toBlock;
    const [own, outflows] = await Promise.all([
      getLogs(client, {
        address: [contracts.Settlement, contracts.DepositFactory],
        fromBlock: from,
        toBlock: to,
      }),
      tokens.length === 0
        ? Promise.resolve([])
        : getLogs(client, {
            address: [...tokens],
            event: transferEvent,
            args: { from: contracts.Settlement },
            fromBlock: from,
            toBlock: to,
          }),
    ]);
    add(record, chainId, own, outflows);
  }
  return record;
}

function add(record: ChainRecord, chainId: number, own: Log[], outflows: Log[]): void {
  for (const log of parseEventLogs({ abi: settlementAbi, logs: own })) {
    const hash = log.transactionHash ?? "";
    if (log.eventName === "Filled") {
      record.filled.push({
        intentId: log.args.intentId,
        chainId,
        hash,
        amount: log.args.amount,
        recipient: log.args.recipient,
      });
    } else if (log.eventName === "Withdrawn") {
      record.withdrawals.push({ chainId, hash });
    }
  }
  for (const log of parseEventLogs({ abi: depositFactoryAbi, logs: own })) {
    const hash = log.transactionHash ?? "";
    if (log.eventName === "Swept") {
      record.swept.push({ intentId: log.args.intentId, chainId, hash, amount: log.args.amount });
    } else if (log.eventName === "Refunded") {
      record.refunded.push({ intentId: log.args.intentId, chainId, hash });
    }
  }
  for (const log of parseEventLogs({ abi: [transferEvent], logs: outflows })) {
    record.settlementOutflows.push({
      chainId,
      token: log.address,
      hash: log.transactionHash ?? "",
      amount: log.args.value,
    });
  }
}
