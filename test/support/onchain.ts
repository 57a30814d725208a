import { randomBytes } from "node:crypto";
import { type Abi, type Address, BaseError, bytesToHex, decodeErrorResult, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { expect } from "vitest";
import { type publicClientFor, walletClientFor } from "../../src/chains/clients.ts";
import { setBalance } from "../../src/devnet/anvil-rpc.ts";

/** ERC-20 balance, or native balance for the zero address: the engine's own reader. */
export { balanceOf } from "../../src/chains/gateway.ts";

/** Assertions about real chain state shared by the contract tests. */
export type Client = ReturnType<typeof publicClientFor>;
export type Wallet = ReturnType<typeof walletClientFor>;

export const newIntentId = (): Hex => bytesToHex(randomBytes(32));
export const freshAddress = (): Address => privateKeyToAccount(generatePrivateKey()).address;

function revertData(err: unknown): Hex | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const inner = err.walk() as { data?: Hex | { data?: Hex } };
  return typeof inner?.data === "object" ? inner.data?.data : inner?.data;
}

/**
 * Asserts the call reverts with `errorName` (decoded with `errors`) when simulated, then sends it
 * anyway with fixed gas so the revert also happens on-chain in a mined transaction; callers then
 * check that balances did not move. Returns the error's arguments.
 */
export async function expectRevert(
  client: Client,
  errors: Abi,
  wallet: Wallet,
  tx: { to: Address; data: Hex; value?: bigint },
  errorName: string,
): Promise<readonly unknown[] | undefined> {
  const err = await client.call({ account: wallet.account, ...tx }).then(
    () => null,
    (e: unknown) => e,
  );
  const data = revertData(err);
  expect(data, `expected ${errorName}, call did not revert`).toBeDefined();
  const decoded = decodeErrorResult({ abi: errors, data: data as Hex });
  expect(decoded.errorName).toBe(errorName);
  const hash = await wallet.sendTransaction({ ...tx, gas: 1_000_000n });
  expect((await client.waitForTransactionReceipt({ hash })).status).toBe("reverted");
  return decoded.args;
}

/** Waits for the transaction and asserts it succeeded. */
export async function mined(client: Client, hash: Hex) {
  const receipt = await client.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe("success");
  return receipt;
}

/** A wallet nobody else holds the key to, with `wei` of gas money: the attacker in guard tests. */
export async function fundedStranger(client: Client, wei: bigint): Promise<Wallet> {
  const wallet = walletClientFor(client.chain, privateKeyToAccount(generatePrivateKey()));
  await setBalance(client, wallet.account.address, wei);
  return wallet;
}
