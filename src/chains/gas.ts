/**
 * Gas the sweep of a deposit takes (deploy the CREATE2 sweeper, move the funds, self-destruct),
 * from `npm run bench:gas` (81,641 ERC-20, 69,665 native) plus headroom for tokens whose transfer
 * costs more. A sweep cannot be estimated before the deposit exists, so these are fixed.
 */
export const SWEEP_GAS = { erc20: 100_000n, native: 85_000n } as const;

/** Headroom on eth_estimateGas results: state may change between estimate and inclusion. */
export function withHeadroom(gas: bigint): bigint {
  return (gas * 120n) / 100n;
}

/**
 * A relayed permit deposit when its gas cannot be estimated (a token whose balances the probe
 * cannot find): a user's first deposit, measured by `npm run bench:gas` at 153,244 gas.
 */
export const PERMIT_DEPOSIT_GAS_FALLBACK = 155_000n;
