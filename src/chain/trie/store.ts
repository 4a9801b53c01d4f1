/**
 * Where the state trie keeps its nodes: each node under its position (depth and key-bit path), in the
 * same storage as the state, so a block's trie writes commit in the block's transaction and survive a
 * restart with it. Keyed by position, not by hash: an update overwrites in place and leaves no garbage
 * (the price: only the head's trie is kept, so proofs are served at the head). Pure over a `KvRead`.
 */
import type { Hash } from "../../codec/ids.ts";
import type { KvRead, KvWrite } from "../storage.ts";
import { Prefix } from "../storage.ts";
import { EMPTY_ROOT } from "./node.ts";

/**
 * `Trie ‖ the 32-byte path (bits past `depth` zero) ‖ u16 depth`: path first, so a subtrie's nodes are
 * one contiguous key range (an ancestor sorts just before its descendants). A key's deep nodes then
 * share a few LMDB pages rather than dirtying one page per level.
 */
export function positionKey(depth: number, path: Uint8Array): Uint8Array {
  const out = new Uint8Array(35);
  out[0] = Prefix.Trie;
  out.set(path.subarray(0, (depth + 7) >> 3), 1);
  out[33] = depth >> 8;
  out[34] = depth & 0xff;
  return out;
}

const PAD = Array.from({ length: 33 }, (_, n) => "\0".repeat(n));

/** `keyString(positionKey(depth, path))`, built directly (the update's hot path). */
export function positionString(depth: number, path: Uint8Array): string {
  const n = (depth + 7) >> 3;
  let s = "\x12";
  for (let i = 0; i < n; i++) s += String.fromCharCode(path[i] as number);
  return s + PAD[32 - n] + String.fromCharCode(depth >> 8, depth & 0xff);
}

const ROOT_KEY = new Uint8Array([Prefix.Trie]);

/** The root hash kept beside the nodes (the empty root for a storage without a trie). */
export function storedRoot(kv: KvRead): Hash {
  const r = kv.get(ROOT_KEY);
  return r === undefined || r.length !== 32 ? EMPTY_ROOT : (r as Hash);
}

export const putRoot = (kv: KvWrite, root: Hash): void => kv.put(ROOT_KEY, root);

/** Whether the storage holds a trie at all (a chain written before state roots has none). */
export const hasTrie = (kv: KvRead): boolean => kv.get(ROOT_KEY) !== undefined;
