/**
 * Backing groups (DESIGN §11 "Backing", issue 15 §2): the validators split into one group per core, in
 * spec order, sizes differing by at most one; the group serving core `c` at block `b` is
 * `(c + ⌊b / rotation⌋) mod cores`, so groups move between cores every `rotation` blocks. With fewer
 * validators than cores, core `c` is served by validator `c mod n` alone. Pure.
 */
import type { AccountId } from "../../codec/ids.ts";

/** The groups, group `g` first-to-last (before rotation). */
export function splitGroups(validators: readonly AccountId[], cores: number): AccountId[][] {
  const n = validators.length;
  if (n === 0 || cores < 1) return [];
  if (n < cores) return Array.from({ length: cores }, (_, c) => [validators[c % n]!]);
  const base = Math.floor(n / cores);
  const extra = n % cores;
  const out: AccountId[][] = [];
  let at = 0;
  for (let g = 0; g < cores; g++) {
    const size = base + (g < extra ? 1 : 0);
    out.push(validators.slice(at, at + size));
    at += size;
  }
  return out;
}

/**
 * The group backing `core` in block `block` (the block a PoV built on block `block - 1` is for).
 *
 * @example groupFor(validators, { cores: 2, rotation: 10 }, 0, 25) // group (0 + 2) mod 2 = 0
 */
export function groupFor(
  validators: readonly AccountId[],
  params: { cores: number; rotation: number },
  core: number,
  block: number,
): AccountId[] {
  const groups = splitGroups(validators, params.cores);
  if (groups.length === 0) return [];
  const shift = Math.floor(block / Math.max(1, params.rotation));
  return groups[(core + shift) % groups.length]!;
}

/** The cores a validator backs in block `block` (none: a validator outside every group). */
export function coreOf(
  validators: readonly AccountId[],
  params: { cores: number; rotation: number },
  validator: Uint8Array,
  block: number,
): number[] {
  const out: number[] = [];
  for (let c = 0; c < params.cores; c++)
    if (groupFor(validators, params, c, block).some((v) => Buffer.compare(v, validator) === 0)) out.push(c);
  return out;
}

/** Matching valid statements that make a PoV backed: `min(2, group size)`. */
export const backingThreshold = (groupSize: number): number => Math.min(2, groupSize);
