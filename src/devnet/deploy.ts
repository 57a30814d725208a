import {
  type Abi,
  type Address,
  type Chain,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  parseUnits,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { devTokenAbi } from "../chains/abi.gen.ts";
import { isNative, toViemChain } from "../chains/chain.ts";
import { publicClientFor, walletClientFor } from "../chains/clients.ts";
import { wellKnownAddresses } from "../chains/well-known.ts";
import type { ChainConfig, ChainContractName, Config, TokenConfig } from "../config/schema.ts";
import { testAccounts } from "./accounts.ts";
import { setBalance, setCode } from "./anvil-rpc.ts";
import type { Artifacts } from "./compile.ts";

export interface ChainDeployment {
  chainId: number;
  contracts: Record<ChainContractName, Address>;
  /** Token symbol → address (zero address for the native coin). */
  tokens: Record<string, Address>;
}

/** What the devnet funds, in US dollars of each token. */
const inventoryUsd = "10000000";
const testAccountUsd = "1000000";

/** Whole-token amount worth `usd` at the token's configured price, in base units. */
export function amountForUsd(token: TokenConfig, usd: string): bigint {
  // A token priced by a feed is funded as if worth a dollar: the feed is not read before the
  // chains exist, and the devnet needs only plenty of it.
  const price = token.price.source === "fixed" ? token.price.usd : "1";
  const whole = parseUnits(usd, 18) / parseUnits(price, 18);
  return whole * 10n ** BigInt(token.decimals);
}

/**
 * Sends the deployment's transactions back to back with explicit nonces (anvil automines each
 * on arrival), predicting contract addresses from the nonce, and waits for all receipts once.
 */
class Batch {
  private nonce = 0;
  private readonly hashes: Hex[] = [];
  constructor(
    private readonly wallet: ReturnType<typeof walletClientFor>,
    private readonly client: ReturnType<typeof publicClientFor>,
  ) {}

  async start(): Promise<void> {
    this.nonce = await this.client.getTransactionCount({
      address: this.wallet.account.address,
      blockTag: "pending",
    });
  }

  async deploy(artifact: { abi: Abi; bytecode: Hex }, args: readonly unknown[] = []): Promise<Address> {
    const nonce = this.nonce++;
    const hash = await this.wallet.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args,
      nonce,
    });
    this.hashes.push(hash);
    return getContractAddress({ from: this.wallet.account.address, nonce: BigInt(nonce) });
  }

  async send(to: Address, data?: Hex, value?: bigint): Promise<void> {
    const hash = await this.wallet.sendTransaction({ to, data, value, nonce: this.nonce++ });
    this.hashes.push(hash);
  }

  async confirm(): Promise<void> {
    const receipts = await Promise.all(
      this.hashes.map((hash) => this.client.waitForTransactionReceipt({ hash })),
    );
    const failed = receipts.filter((r) => r.status !== "success");
    if (failed.length > 0)
      throw new Error(`deployment transactions reverted: ${failed.map((r) => r.transactionHash).join(", ")}`);
    this.hashes.length = 0;
  }
}

export interface DeployOptions {
  chain: ChainConfig;
  rpcUrl: string;
  artifacts: Artifacts;
  config: Pick<Config, "keys">;
}

/** Deploys Junction's contracts and the devnet tokens on one chain and funds solver and test accounts. */
export async function deployChain({
  chain,
  rpcUrl,
  artifacts,
  config,
}: DeployOptions): Promise<ChainDeployment> {
  const viemChain: Chain = toViemChain(chain, rpcUrl);
  const solver = privateKeyToAccount(config.keys.solver.reveal());
  const client = publicClientFor(viemChain);
  const batch = new Batch(walletClientFor(viemChain, solver), client);
  await fundRoles(client, config);
  await batch.start();

  const executor = await batch.deploy(artifacts.Executor);
  const settlement = await batch.deploy(artifacts.Settlement, [executor, solver.address, solver.address]);
  const depositFactory = await batch.deploy(artifacts.DepositFactory, [settlement, solver.address]);
  const intentEntrypoint = await batch.deploy(artifacts.IntentEntrypoint);
  const executorKey = privateKeyToAccount(config.keys.executor.reveal()).address;
  const intermediaryAccountFactory = await batch.deploy(artifacts.IntermediaryAccountFactory, [
    executorKey,
    solver.address,
  ]);

  const tokens: Record<string, Address> = {};
  for (const token of chain.tokens) {
    tokens[token.symbol] =
      token.address ??
      (await batch.deploy(artifacts.DevToken, [token.name ?? token.symbol, token.symbol, token.decimals]));
  }
  const usdc = tokens.USDC;
  if (!usdc) throw new Error(`chain ${chain.chainId}: the devnet needs a USDC token for the DemoVault`);
  const demoVault = await batch.deploy(artifacts.DemoVault, [usdc]);

  const holders = testAccounts().map((a) => a.address);
  for (const token of chain.tokens) {
    const address = tokens[token.symbol] as Address;
    if (isNative(token)) {
      await batch.send(settlement, undefined, amountForUsd(token, inventoryUsd));
      continue; // anvil funds the test accounts with native coin
    }
    if (token.address) continue; // a token the devnet did not deploy cannot be minted
    const mint = (to: Address, usd: string) =>
      batch.send(
        address,
        encodeFunctionData({ abi: devTokenAbi, functionName: "mint", args: [to, amountForUsd(token, usd)] }),
      );
    await mint(settlement, inventoryUsd);
    for (const holder of holders) await mint(holder, testAccountUsd);
  }
  await batch.confirm();
  // The entrypoint's code is copied from a deployment because its constructor writes immutables
  // (its EIP-712 name and version); its domain follows the address it runs at.
  const entrypointCode = await client.getCode({ address: intentEntrypoint });
  if (!entrypointCode) throw new Error(`chain ${chain.chainId}: IntentEntrypoint has no code`);
  await setCode(client, wellKnownAddresses.IntentEntrypoint, entrypointCode);
  await setCode(client, wellKnownAddresses.Multicall3, artifacts.Multicall3.deployedBytecode);

  return {
    chainId: chain.chainId,
    contracts: {
      DepositFactory: depositFactory,
      Settlement: settlement,
      Executor: executor,
      IntentEntrypoint: wellKnownAddresses.IntentEntrypoint,
      IntermediaryAccountFactory: intermediaryAccountFactory,
      DemoVault: demoVault,
    },
    tokens,
  };
}

/** Keys given through the environment are not among anvil's funded accounts: give them gas money. */
async function fundRoles(
  client: ReturnType<typeof publicClientFor>,
  config: Pick<Config, "keys">,
): Promise<void> {
  const minimum = parseUnits("1000", 18);
  for (const key of Object.values(config.keys)) {
    const address = privateKeyToAccount(key.reveal()).address;
    if ((await client.getBalance({ address })) >= minimum) continue;
    await setBalance(client, address, minimum * 100n);
  }
}
