import { type Address, type Client, type Hex, toHex } from "viem";

/**
 * Anvil's devnet-only RPC methods, which viem's typed `request` does not know: the one place that
 * steps outside viem's types to call them.
 */
function anvilRequest(client: Client, method: string, params: unknown[]): Promise<unknown> {
  return client.request({ method: method as never, params: params as never });
}

/** Sets an account's native balance outright (gas money for devnet roles and test wallets). */
export async function setBalance(client: Client, address: Address, wei: bigint): Promise<void> {
  await anvilRequest(client, "anvil_setBalance", [address, toHex(wei)]);
}

/** Puts runtime code at an address outright, as if a contract had been deployed there. */
export async function setCode(client: Client, address: Address, code: Hex): Promise<void> {
  await anvilRequest(client, "anvil_setCode", [address, code]);
}

/** Switches from a block per transaction to a block every `seconds`, like a real chain. */
export async function setIntervalMining(client: Client, seconds: number): Promise<void> {
  await anvilRequest(client, "evm_setAutomine", [false]);
  await anvilRequest(client, "evm_setIntervalMining", [seconds]);
}

/** Turns mining a block per transaction on or off (off: transactions wait until `mine`). */
export async function setAutomine(client: Client, on: boolean): Promise<void> {
  await anvilRequest(client, "evm_setAutomine", [on]);
}

/** Mines one block now, with whatever waits in the pool. */
export async function mine(client: Client): Promise<void> {
  await anvilRequest(client, "evm_mine", []);
}

/** Remembers the chain's state; `revertTo` goes back to it (blocks after it disappear, as in a reorg). */
export async function snapshot(client: Client): Promise<Hex> {
  return (await anvilRequest(client, "evm_snapshot", [])) as Hex;
}

/** Goes back to a `snapshot`: every block and transaction since is gone. */
export async function revertTo(client: Client, id: Hex): Promise<void> {
  if (!(await anvilRequest(client, "evm_revert", [id]))) throw new Error(`no snapshot ${id} to revert to`);
}
