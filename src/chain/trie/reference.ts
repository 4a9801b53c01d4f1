/**
 * The state root by its definition (node.ts), from the whole key set at once: the reference the
 * incremental update is tested against, and the way to root a state without a stored trie. Pure.
 */
import type { Hash } from "../../codec/ids.ts";
import { bitAt, branchHash, EMPTY_ROOT, leafHash } from "./node.ts";

export interface TrieLeaf {
  keyHash: Uint8Array;
  valueHash: Uint8Array;
}

/**
 * The root of a set of leaves (distinct key hashes).
 * @example rootOfLeaves([{ keyHash: blake2b256(k), valueHash: blake2b256(v) }])
 */
export function rootOfLeaves(leaves: readonly TrieLeaf[]): Hash {
  const sorted = [...leaves].sort((a, b) => Buffer.compare(a.keyHash, b.keyHash));
  return rootAt(sorted, 0, 0, sorted.length);
}

function rootAt(l: readonly TrieLeaf[], depth: number, lo: number, hi: number): Hash {
  if (hi === lo) return EMPTY_ROOT;
  if (hi - lo === 1) return leafHash((l[lo] as TrieLeaf).keyHash, (l[lo] as TrieLeaf).valueHash);
  let mid = lo;
  while (mid < hi && bitAt((l[mid] as TrieLeaf).keyHash, depth) === 0) mid++;
  return branchHash(rootAt(l, depth + 1, lo, mid), rootAt(l, depth + 1, mid, hi));
}
