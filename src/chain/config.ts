/** Chain parameters: limits, fees and deposits (src/chain/README.md "Fees and deposits"). */
import type { AccountId } from "../codec/ids.ts";

export interface ChainConfig {
  /** Cores per block (PoVs per block at most). */
  cores: number;
  /** Gas budget of one core per block (DESIGN §6). */
  coreGas: bigint;
  /** Gas of one `Call` item at most (DESIGN §6). */
  callGas: bigint;
  /** Fee = baseFee + feePerByte × encoded transaction length, at least; it is burned. */
  baseFee: bigint;
  feePerByte: bigint;
  /** Reserved from the uploader per byte of program blob (DESIGN §4, code store). */
  codeDepositPerByte: bigint;
  /** Reserved per byte of preimage or disk reservation (DESIGN §7). */
  diskDepositPerByte: bigint;
  maxCodeSize: number;
  /** Bound on one preimage (DESIGN §7). Postcards are bounded by the pov layer's MAX_MESSAGE_SIZE. */
  maxPreimageSize: number;
  maxCallInput: number;
  /** Postcards waiting in one pigeonhole at most. */
  pigeonholeCapacity: number;
  /** User calls waiting for one actor at most. */
  callQueueCapacity: number;
  /** How far ahead of an actor's sequence a pooled PoV may be (pipelining depth). */
  maxPipeline: number;
  /** Blocks a PoV may wait in the pool before it is dropped (`TimedOut`). */
  poolTtl: number;
  /**
   * The validators whose backing statements count as evidence (`Report`, disputes.ts); empty on
   * `coreplay dev`, where no statements are made. A validator's `Report` pays no fee.
   */
  validators: AccountId[];
  /** Least bond a `RegisterCollator` reserves (collators.ts). */
  collatorBond: bigint;
  /**
   * Endowed accounts of block 0, and the first collators (registered with no bond). With no collator
   * registered the chain checks no canonical collator (as on `coreplay dev`).
   */
  genesis: { accounts: { account: AccountId; balance: bigint }[]; collators?: AccountId[] };
}

/** Defaults for a dev chain. */
export const DEFAULT_CHAIN_CONFIG: ChainConfig = {
  cores: 4,
  // issue 13 §3: a full core's budget runs in at most half the dev block time (1000 ms) at the slowest
  // calibration kernel's rate (`npm run bench -- --only gas`; figures in docs/decisions.md)
  coreGas: 150_000_000n,
  callGas: 50_000_000n,
  baseFee: 1_000n,
  feePerByte: 1n,
  codeDepositPerByte: 1n,
  diskDepositPerByte: 1n,
  maxCodeSize: 4 * 1024 * 1024,
  maxPreimageSize: 1024 * 1024,
  maxCallInput: 64 * 1024,
  pigeonholeCapacity: 256,
  callQueueCapacity: 256,
  maxPipeline: 8,
  poolTtl: 64,
  validators: [],
  collatorBond: 1_000_000n,
  genesis: { accounts: [] },
};

/** `config` with defaults for what it leaves out. */
export function chainConfig(config: Partial<ChainConfig> = {}): ChainConfig {
  return { ...DEFAULT_CHAIN_CONFIG, ...config };
}
