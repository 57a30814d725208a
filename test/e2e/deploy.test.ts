import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type Address, defineChain } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settlementAbi } from "../../src/chains/abi.gen.ts";
import { publicClientFor } from "../../src/chains/clients.ts";
import { DEPLOYER_PROXY } from "../../src/chains/deterministic-deployer.ts";
import { devnetAccount, roleIndex } from "../../src/devnet/accounts.ts";
import { type AnvilProcess, startAnvil } from "../../src/devnet/anvil.ts";
import { projectRoot } from "../../src/paths.ts";

const run = promisify(execFile);
const deployer = devnetAccount(7);

/** `junction deploy` as an operator runs it; resolves with its exit code and output. */
async function deploy(
  args: string[],
  env: Record<string, string> = { JUNCTION_DEPLOYER_KEY: deployer.privateKey },
) {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, ["bin/junction.mjs", "deploy", ...args], {
      cwd: projectRoot,
      env: { ...inherited, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const chainOf = (anvil: AnvilProcess) =>
  defineChain({
    id: anvil.chainId,
    name: "deploy test",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
  });

describe("junction deploy, on chains Junction did not start", () => {
  const anvils: AnvilProcess[] = [];
  beforeAll(async () => {
    anvils.push(await startAnvil({ chainId: 777_001, port: 0, accounts: 10, balance: 1000 }));
    anvils.push(await startAnvil({ chainId: 777_002, port: 0, accounts: 10, balance: 1000 }));
    // The second chain lacks the deployment proxy (anvil has it from genesis): deploy puts it there.
    const client = publicClientFor(chainOf(anvils[1] as AnvilProcess));
    await client.request({ method: "anvil_setCode" as never, params: [DEPLOYER_PROXY, "0x"] as never });
  }, 60_000);
  afterAll(() => Promise.all(anvils.map((a) => a.stop())));

  it("deploys once at the same addresses on every chain, verifies them, and a second run deploys nothing", async () => {
    const [a, b] = anvils as [AnvilProcess, AnvilProcess];
    const first = await deploy(["--rpc-url", a.rpcUrl, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const onA = JSON.parse(first.stdout) as { chainId: number; contracts: Record<string, Address> };
    expect(onA.chainId).toBe(777_001);
    expect(Object.keys(onA.contracts).sort()).toEqual([
      "DepositFactory",
      "Executor",
      "IntentEntrypoint",
      "IntermediaryAccountFactory",
      "Settlement",
    ]);

    const onB = await deploy(["--rpc-url", b.rpcUrl, "--chain-id", "777002"]);
    expect(onB.code, onB.stderr).toBe(0);
    expect(onB.stdout).toContain("deployment proxy deployed");
    for (const address of Object.values(onA.contracts)) expect(onB.stdout).toContain(address);

    const again = await deploy(["--rpc-url", a.rpcUrl]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/already there, code verified/g)).toHaveLength(5);
    expect(again.stdout).not.toMatch(/ deployed,/);

    // The roles: the configured solver fills, the deployer owns.
    const client = publicClientFor(chainOf(b));
    const read = (functionName: "solver" | "owner") =>
      client.readContract({ address: onA.contracts.Settlement as Address, abi: settlementAbi, functionName });
    expect(await read("solver")).toBe(devnetAccount(roleIndex.solver).address);
    expect(await read("owner")).toBe(deployer.address);
  }, 120_000);

  it("refuses bad usage with a message naming what to fix, and exit code 2 or 3", async () => {
    const [a] = anvils as [AnvilProcess];
    const cases: [string[], Record<string, string> | undefined, number, RegExp][] = [
      [["--rpc-url", a.rpcUrl], {}, 2, /JUNCTION_DEPLOYER_KEY/],
      [[], undefined, 2, /--rpc-url: required/],
      [["--rpc-url", "ftp://x"], undefined, 2, /--rpc-url/],
      [["--rpc-url", a.rpcUrl, "--chain-id", "5"], undefined, 2, /is chain 777001, not 5/],
      [["--rpc-url", a.rpcUrl, "--bogus"], undefined, 2, /bogus/],
      [["--rpc-url", "http://127.0.0.1:1"], undefined, 3, /does not answer/],
    ];
    for (const [args, env, code, message] of cases) {
      const result = await deploy(args, env);
      expect(result.code, args.join(" ")).toBe(code);
      expect(result.stderr).toMatch(message);
    }
  }, 120_000);
});
