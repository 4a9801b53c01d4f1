/**
 * Gas charged by host functions and by memory pages an entry changes (DESIGN §6, "host functions charge
 * gas too (per call and per byte), and so does every newly dirtied page"). One unit is roughly one simple
 * Wasm instruction (src/vm/instrument/weights.ts). This table is consensus: changing it needs a new ABI
 * version. docs/abi.md, "Gas", reproduces it.
 */
import type { HostFunctionName } from "./abi.ts";

export interface HostCost {
  /** Charged on every call, before anything else happens. */
  base: number;
  /** Charged per byte moved across the boundary (copied in or out, sent, stored, logged). */
  perByte: number;
}

export const HOST_GAS: Record<HostFunctionName, HostCost> = {
  input: { base: 50, perByte: 1 },
  reply: { base: 50, perByte: 1 },
  result: { base: 50, perByte: 1 },
  yield: { base: 100, perByte: 0 },
  gas_left: { base: 10, perByte: 0 },
  self_id: { base: 10, perByte: 0 },
  now: { base: 10, perByte: 0 },
  /** perByte applies to the 4 bytes per co-scheduled actor id put in the result buffer. */
  coscheduled: { base: 100, perByte: 1 },
  /** Plus everything the callee uses (its gasUsed), out of the caller's remaining gas. */
  call_actor: { base: 1_000, perByte: 1 },
  send: { base: 500, perByte: 2 },
  /** perByte applies to the encoded message put in the result buffer. */
  recv: { base: 200, perByte: 1 },
  lookup: { base: 500, perByte: 1 },
  request: { base: 500, perByte: 0 },
  store: { base: 2_000, perByte: 4 },
  release: { base: 500, perByte: 0 },
  balance: { base: 50, perByte: 0 },
  transfer: { base: 500, perByte: 0 },
  /** perByte applies to the carried bytes. */
  set_code: { base: 2_000, perByte: 1 },
  log: { base: 100, perByte: 1 },
  fibre_spawn: { base: 1_000, perByte: 0 },
  fibre_wait: { base: 50, perByte: 0 },
  fibre_self: { base: 10, perByte: 0 },
};

/**
 * Fibres alive in one actor at once, main included (DESIGN §13); `fibre_spawn` beyond it returns
 * HOST_ERROR.Full. With FIBRE_STACK_BYTES it bounds what the fibres' continuations add to an image.
 */
export const MAX_FIBRES = 64;
/**
 * Largest suspended continuation (Asyncify data) of a spawned fibre, in bytes: a fibre that suspends
 * deeper fails with FIBRE_STACK_OVERFLOW. `main` keeps the whole Asyncify area (128 KiB).
 */
export const FIBRE_STACK_BYTES = 16 * 1024;

/**
 * Per 64 KiB page whose content differs at the end of an entry from its start (it must be re-hashed and
 * carried in the slab). Counted on content, so the figure is the same with or without write tracking.
 */
export const PAGE_DIRTY_GAS = 4_096n;

/** Gas for the start function and `_initialize` when a new actor's image is created. */
export const INIT_GAS = 100_000_000n;

/**
 * Gas for `upgrade` when an actor moves to new code (DESIGN §10), run at canonicalisation: the new
 * program's creation code already finished within INIT_GAS at its upload.
 */
export const UPGRADE_GAS = 100_000_000n;

/** Cost of one host call moving `bytes` bytes. */
export function hostCost(name: HostFunctionName, bytes = 0): bigint {
  const c = HOST_GAS[name];
  return BigInt(c.base + c.perByte * bytes);
}
