import {
  type Account,
  type Address,
  type Chain,
  concat,
  getContractAddress,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";

/**
 * The well-known deterministic deployment proxy (Arachnid's): one CREATE2 factory at the same
 * address on every EVM chain, put there by a presigned transaction from a one-time key whose
 * private key nobody has. Called with `salt ‖ initCode`, it deploys the init code with CREATE2, so
 * a contract's address depends only on its init code and the salt, never on who deploys it or on
 * which chain.
 */
export const DEPLOYER_PROXY: Address = "0x4e59b44847b379578588920ca78fbf26c0b4956c";
/** The one-time key that signed the proxy's deployment (the transaction has no chain id: EIP-155 predates it). */
export const DEPLOYER_PROXY_SIGNER: Address = "0x3fAB184622Dc19b6109349B94811493BF2a45362";
export const DEPLOYER_PROXY_TRANSACTION: Hex =
  "0xf8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba02222222222222222222222222222222222222222222222222222222222222222a02222222222222222222222222222222222222222222222222222222222222222";
/** What the presigned transaction pays: 100,000 gas at 100 gwei. */
export const DEPLOYER_PROXY_GAS_COST = 100_000n * 100_000_000_000n;

type Client = PublicClient<Transport, Chain>;
type Wallet = WalletClient<Transport, Chain, Account>;

const hasCode = async (client: Client, address: Address) =>
  ((await client.getCode({ address })) ?? "0x") !== "0x";

/** The address `initCode` gets through the proxy with `salt`. */
export function deterministicAddress(initCode: Hex, salt: Hex): Address {
  return getContractAddress({ opcode: "CREATE2", from: DEPLOYER_PROXY, salt, bytecode: initCode });
}

/**
 * Puts the proxy on the chain if it lacks it: `wallet` pays the one-time key its gas, then the
 * presigned transaction is sent. Returns whether it was deployed now.
 */
export async function ensureDeployerProxy(client: Client, wallet: Wallet): Promise<boolean> {
  if (await hasCode(client, DEPLOYER_PROXY)) return false;
  const balance = await client.getBalance({ address: DEPLOYER_PROXY_SIGNER });
  if (balance < DEPLOYER_PROXY_GAS_COST) {
    const hash = await wallet.sendTransaction({
      to: DEPLOYER_PROXY_SIGNER,
      value: DEPLOYER_PROXY_GAS_COST - balance,
    });
    await client.waitForTransactionReceipt({ hash });
  }
  let hash: Hex;
  try {
    hash = await client.sendRawTransaction({ serializedTransaction: DEPLOYER_PROXY_TRANSACTION });
  } catch (err) {
    throw new Error(
      `the chain refused the deployment proxy's presigned transaction (${(err as Error).message.split("\n")[0]}): ` +
        `it carries no chain id (EIP-155), which some nodes refuse; deploy ${DEPLOYER_PROXY} there another way (most public chains already have it)`,
    );
  }
  await client.waitForTransactionReceipt({ hash });
  if (!(await hasCode(client, DEPLOYER_PROXY)))
    throw new Error(`the deployment proxy is not at ${DEPLOYER_PROXY} after its transaction ${hash}`);
  return true;
}

/**
 * Deploys `initCode` through the proxy with `salt`, unless code is already at its address.
 * Returns the address and whether it was deployed now.
 */
export async function deployDeterministic(
  client: Client,
  wallet: Wallet,
  initCode: Hex,
  salt: Hex,
): Promise<{ address: Address; deployed: boolean }> {
  const address = deterministicAddress(initCode, salt);
  if (await hasCode(client, address)) return { address, deployed: false };
  const hash = await wallet.sendTransaction({ to: DEPLOYER_PROXY, data: concat([salt, initCode]) });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !(await hasCode(client, address))) {
    throw new Error(`deploying to ${address} failed (transaction ${hash})`);
  }
  return { address, deployed: true };
}

/**
 * Whether the code at `address` is `expected` (runtime code as compiled), ignoring the byte ranges
 * where the constructor wrote immutables, which the compiler leaves zero.
 */
export async function codeMatches(
  client: Client,
  address: Address,
  expected: { deployedBytecode: Hex; immutableRanges: readonly { start: number; length: number }[] },
): Promise<boolean> {
  const onChain = (await client.getCode({ address })) ?? "0x";
  if (onChain.length !== expected.deployedBytecode.length) return false;
  const mask = (code: Hex) => {
    const chars = code.slice(2).split("");
    for (const { start, length } of expected.immutableRanges)
      chars.fill("0", start * 2, (start + length) * 2);
    return chars.join("").toLowerCase();
  };
  return mask(onChain) === mask(expected.deployedBytecode);
}
