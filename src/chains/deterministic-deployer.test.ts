import {
  getContractAddress,
  parseTransaction,
  recoverTransactionAddress,
  type TransactionSerializedLegacy,
} from "viem";
import { describe, expect, it } from "vitest";
import {
  DEPLOYER_PROXY,
  DEPLOYER_PROXY_GAS_COST,
  DEPLOYER_PROXY_SIGNER,
  DEPLOYER_PROXY_TRANSACTION,
} from "./deterministic-deployer.ts";

describe("the deterministic deployment proxy's constants", () => {
  it("hang together: the presigned transaction's signer, at nonce 0, creates the proxy's address", async () => {
    const serializedTransaction = DEPLOYER_PROXY_TRANSACTION as TransactionSerializedLegacy;
    const signer = await recoverTransactionAddress({ serializedTransaction });
    expect(signer).toBe(DEPLOYER_PROXY_SIGNER);
    expect(getContractAddress({ from: signer, nonce: 0n }).toLowerCase()).toBe(DEPLOYER_PROXY);
    const tx = parseTransaction(DEPLOYER_PROXY_TRANSACTION);
    expect(tx.nonce ?? 0).toBe(0);
    expect(tx.chainId).toBeUndefined();
    expect((tx.gas ?? 0n) * (tx.gasPrice ?? 0n)).toBe(DEPLOYER_PROXY_GAS_COST);
  });
});
