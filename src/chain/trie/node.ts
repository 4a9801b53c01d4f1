/**
 * Nodes of the state trie (DESIGN §11 "State root"): a binary Merkle trie over the blake2b-256 hashes
 * of the storage keys, as JAM's state Merklization (graypaper appendix D): the root of a set of leaves
 * is the zero hash when empty, the leaf's hash when it holds one, else the hash of a branch over the
 * roots of the two halves split by the next key bit. No extension nodes: with hashed keys the depth
 * stays about log2(keys). Pure.
 *
 * A node hashes as `blake2b256(tag ‖ a ‖ b)`: branch `0x00 ‖ left ‖ right`, leaf
 * `0x01 ‖ keyHash ‖ valueHash` (the tag byte keeps a leaf from passing for a branch). Unlike JAM, values
 * are always hashed (never embedded) and key hashes are whole (32 bytes, not 31).
 */
import type { Hash } from "../../codec/ids.ts";
import { blake2b256 } from "../../crypto/blake2b.ts";

export const BRANCH = 0x00;
export const LEAF = 0x01;
/** The root of an empty (sub)trie. */
export const EMPTY_ROOT = new Uint8Array(32) as Hash;

/** Bytes of a stored node. */
export const NODE_SIZE = 65;
/**
 * Nodes per shared buffer. A block writes tens of thousands of nodes: each its own 65-byte array is an
 * ArrayBuffer of its own (above V8's 64-byte in-heap limit: a backing store outside the heap, swept
 * one by one), which cost more than the hashing. Views of one buffer are plain heap objects; a buffer
 * lives while any of its nodes is stored, so it is kept small (about 8 KiB).
 */
const NODES_PER_SLAB = 126;
let slab = new ArrayBuffer(0);
let slabAt = 0;

/** A stored node: tag, then two 32-byte hashes (65 bytes); its hash is blake2b-256 of these bytes. */
export function nodeBytes(tag: typeof BRANCH | typeof LEAF, a: Uint8Array, b: Uint8Array): Uint8Array {
  if (slabAt + NODE_SIZE > slab.byteLength) {
    slab = new ArrayBuffer(NODE_SIZE * NODES_PER_SLAB);
    slabAt = 0;
  }
  const out = new Uint8Array(slab, slabAt, NODE_SIZE);
  slabAt += NODE_SIZE;
  out[0] = tag;
  out.set(a, 1);
  out.set(b, 33);
  return out;
}

export const nodeHash = (bytes: Uint8Array): Hash => blake2b256(bytes);
export const leafHash = (keyHash: Uint8Array, valueHash: Uint8Array): Hash =>
  nodeHash(nodeBytes(LEAF, keyHash, valueHash));
export const branchHash = (left: Uint8Array, right: Uint8Array): Hash =>
  nodeHash(nodeBytes(BRANCH, left, right));

/** Bit `i` of a 32-byte key hash, most significant bit of byte 0 first (0 = left, 1 = right). */
export const bitAt = (h: Uint8Array, i: number): number => ((h[i >> 3] as number) >> (7 - (i & 7))) & 1;
