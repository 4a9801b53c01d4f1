/**
 * Incremental update of the state trie (DESIGN §11): a block's changed keys are applied in one pass
 * down the trie, visiting only the positions on their paths, so a block costs O(changed keys · depth)
 * reads and hashes, never a rehash of the state. The result is exactly the root of the whole key set
 * (node.ts), whatever order the changes came in. Pure over a `KvWrite`.
 */
import { bytesEqual } from "../../codec/bytes.ts";
import type { Hash } from "../../codec/ids.ts";
import { blake2b256 } from "../../crypto/blake2b.ts";
import { type KeyedWrite, type KvWrite, keyedOf } from "../storage.ts";
import { BRANCH, bitAt, EMPTY_ROOT, LEAF, nodeBytes, nodeHash } from "./node.ts";
import { positionString, putRoot, storedRoot } from "./store.ts";

/** One changed key: the hash of its storage key, and of its new value (null: deleted). */
export interface TrieChange {
  keyHash: Uint8Array;
  valueHash: Uint8Array | null;
}

/** A subtrie after the update: empty, a lone leaf (it may move up), or a branch with its hash. */
type Sub =
  | { t: "empty" }
  /** `bytes`: its node as this update wrote it, if it did (hashed as it is, not built again). */
  | { t: "leaf"; keyHash: Uint8Array; valueHash: Uint8Array; bytes?: Uint8Array }
  | { t: "branch"; hash: Hash }
  /** Not visited: the child the parent's branch names, known only by its hash. */
  | { t: "kept"; hash: Hash; depth: number; path: Uint8Array };

const compare = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < 32; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
};

/**
 * The change of one storage key: `put` with its value, or a deletion with null.
 * @example trieChange(key(Prefix.Account, id), bytes)
 */
export const trieChange = (storageKey: Uint8Array, value: Uint8Array | null): TrieChange => ({
  keyHash: blake2b256(storageKey),
  valueHash: value === null ? null : blake2b256(value),
});

/**
 * Applies `changes` (at most one per key) to the trie stored in `kv` and returns the new root, which
 * is also stored. Throws only if `kv` does (a corrupt node is treated as the storage's failure).
 *
 * @example
 * const root = updateTrie(kv, [trieChange(k, v), trieChange(gone, null)]);
 */
export function updateTrie(kv: KvWrite, changes: readonly TrieChange[]): Hash {
  if (changes.length === 0) return storedRoot(kv);
  const sorted = [...changes].sort((a, b) => compare(a.keyHash, b.keyHash));
  const root = subHash(visit(keyedOf(kv), 0, new Uint8Array(32), sorted, 0, sorted.length));
  putRoot(kv, root);
  return root;
}

function subHash(s: Sub): Hash {
  if (s.t === "empty") return EMPTY_ROOT;
  if (s.t === "leaf") return nodeHash(s.bytes ?? nodeBytes(LEAF, s.keyHash, s.valueHash));
  return s.hash;
}

/** The first index in [lo, hi) whose key has bit `depth` set (keys are sorted). */
function split(c: readonly TrieChange[], depth: number, lo: number, hi: number): number {
  let i = lo;
  while (i < hi && bitAt((c[i] as TrieChange).keyHash, depth) === 0) i++;
  return i;
}

const childPath = (path: Uint8Array, depth: number, bit: number): Uint8Array => {
  if (bit === 0) return path;
  const p = path.slice();
  p[depth >> 3] = (p[depth >> 3] as number) | (0x80 >> (depth & 7));
  return p;
};

function visit(
  kv: KeyedWrite,
  depth: number,
  path: Uint8Array,
  c: readonly TrieChange[],
  lo: number,
  hi: number,
): Sub {
  const at = positionString(depth, path);
  const node = kv.peek(at);
  if (node === undefined || node[0] === LEAF) {
    // Below a leaf or an empty position nothing is stored: rebuild this subtrie from its leaves.
    const leaves: { keyHash: Uint8Array; valueHash: Uint8Array }[] = [];
    let old =
      node === undefined ? undefined : { keyHash: node.subarray(1, 33), valueHash: node.subarray(33, 65) };
    for (let i = lo; i < hi; i++) {
      const ch = c[i] as TrieChange;
      if (old && compare(old.keyHash, ch.keyHash) < 0) {
        leaves.push(old);
        old = undefined;
      }
      if (old && bytesEqual(old.keyHash, ch.keyHash)) old = undefined; // overwritten or deleted
      if (ch.valueHash !== null) leaves.push({ keyHash: ch.keyHash, valueHash: ch.valueHash });
    }
    if (old) leaves.push(old);
    if (leaves.length === 0 && node !== undefined) kv.write(at, null);
    return build(kv, depth, path, leaves, 0, leaves.length);
  }
  const mid = split(c, depth, lo, hi);
  const lp = childPath(path, depth, 0);
  const rp = childPath(path, depth, 1);
  const left: Sub =
    lo < mid ? visit(kv, depth + 1, lp, c, lo, mid) : kept(node.subarray(1, 33) as Hash, depth + 1, lp);
  const right: Sub =
    mid < hi ? visit(kv, depth + 1, rp, c, mid, hi) : kept(node.subarray(33, 65) as Hash, depth + 1, rp);
  return join(kv, at, depth, path, left, right);
}

// Hashes read from stored nodes are views into them: stored bytes are never written to (a node is
// replaced by new bytes), so a view stays what it was read as.

/** An unvisited child of a branch (an empty one when the branch names the empty root). */
const kept = (hash: Hash, depth: number, path: Uint8Array): Sub =>
  bytesEqual(hash, EMPTY_ROOT) ? { t: "empty" } : { t: "kept", hash, depth, path };

/** A branch position after its children changed: stays a branch, or collapses to a lone leaf or nothing. */
function join(kv: KeyedWrite, at: string, depth: number, path: Uint8Array, left: Sub, right: Sub): Sub {
  const l = resolveIfAlone(kv, left, right);
  const r = resolveIfAlone(kv, right, l);
  if (l.t === "empty" && r.t === "empty") {
    kv.write(at, null);
    return { t: "empty" };
  }
  for (const [lone, other, childBit] of [
    [l, r, 0],
    [r, l, 1],
  ] as const) {
    if (lone.t === "leaf" && other.t === "empty") {
      // A leaf alone under this branch moves up to its position (the canonical trie has no such branch).
      kv.write(positionString(depth + 1, childPath(path, depth, childBit)), null);
      // stored bytes are never written to, so the same node may be stored again at its new position
      const bytes = lone.bytes ?? nodeBytes(LEAF, lone.keyHash, lone.valueHash);
      kv.write(at, bytes);
      return { t: "leaf", keyHash: lone.keyHash, valueHash: lone.valueHash, bytes };
    }
  }
  const bytes = nodeBytes(BRANCH, subHash(l), subHash(r));
  kv.write(at, bytes);
  return { t: "branch", hash: nodeHash(bytes) };
}

/** A kept child is read (to see whether it is a leaf) only when its sibling became empty. */
function resolveIfAlone(kv: KeyedWrite, s: Sub, sibling: Sub): Sub {
  if (s.t !== "kept") return s;
  if (sibling.t !== "empty") return s;
  const node = kv.peek(positionString(s.depth, s.path));
  if (node !== undefined && node[0] === LEAF) {
    return { t: "leaf", keyHash: node.subarray(1, 33), valueHash: node.subarray(33, 65) };
  }
  return s;
}

/** Writes the subtrie of sorted `leaves[lo, hi)` at an empty (or leaf) position and those below it. */
function build(
  kv: KeyedWrite,
  depth: number,
  path: Uint8Array,
  leaves: readonly { keyHash: Uint8Array; valueHash: Uint8Array }[],
  lo: number,
  hi: number,
): Sub {
  if (hi === lo) return { t: "empty" };
  const at = positionString(depth, path);
  if (hi - lo === 1) {
    const leaf = leaves[lo] as { keyHash: Uint8Array; valueHash: Uint8Array };
    const bytes = nodeBytes(LEAF, leaf.keyHash, leaf.valueHash);
    kv.write(at, bytes);
    return { t: "leaf", keyHash: leaf.keyHash, valueHash: leaf.valueHash, bytes };
  }
  let mid = lo;
  while (mid < hi && bitAt((leaves[mid] as { keyHash: Uint8Array }).keyHash, depth) === 0) mid++;
  const l = build(kv, depth + 1, childPath(path, depth, 0), leaves, lo, mid);
  const r = build(kv, depth + 1, childPath(path, depth, 1), leaves, mid, hi);
  const bytes = nodeBytes(BRANCH, subHash(l), subHash(r));
  kv.write(at, bytes);
  return { t: "branch", hash: nodeHash(bytes) };
}
