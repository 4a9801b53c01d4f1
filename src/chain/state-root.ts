/**
 * The state root of a block (DESIGN §11 "State root"): the trie (trie/) over every relay-state key
 * (accounts, codes, actors, call queues, pigeonholes, receipts, preimages and their refcounts,
 * requests, slabs, the PoV pool) and the state fields of the chain's meta record. Not state: the block
 * history (Block, BlockByHash: it commits to the roots, not the other way round) and the trie itself.
 * Pure over a `KvWrite`.
 */
import type { Hash } from "../codec/ids.ts";
import { BalanceCodec, Struct, u32, u64 } from "../codec/types.ts";
import type { ChainMeta } from "./state.ts";
import { type KvWrite, keyBytes, Prefix } from "./storage.ts";
import { type TrieChange, trieChange, updateTrie } from "./trie/update.ts";

/** Tables that are not relay state (and Meta, whose state fields are committed as {@link MetaState}). */
const NOT_STATE: ReadonlySet<number> = new Set<number>([
  Prefix.Meta,
  Prefix.Block,
  Prefix.BlockByHash,
  Prefix.Trie,
]);

/** Whether a storage key (by its first byte, the table) is committed by the state root as it is. */
export const isStateTable = (prefix: number): boolean => !NOT_STATE.has(prefix);

/**
 * What the root commits to under the Meta key (0x00): the meta record without `head`, `headHash` and
 * `genesisHash` (those name blocks, whose hashes commit to the root).
 */
export const MetaState = Struct({
  nextActor: u32,
  issuance: BalanceCodec,
  burned: BalanceCodec,
  poolSeq: u64,
});
export const META_KEY = new Uint8Array([Prefix.Meta]);

/** The value {@link verifyProof} checks under `META_KEY`. */
export const metaStateBytes = (m: ChainMeta): Uint8Array =>
  MetaState.enc({ nextActor: m.nextActor, issuance: m.issuance, burned: m.burned, poolSeq: m.poolSeq });

/**
 * Updates the stored trie with a block's writes (`written`: an overlay's {@link OverlayControl.changes})
 * and `meta` as it stands, and returns the new state root.
 *
 * @example const stateRoot = commitState(kv, writes.changes(), getMeta(kv));
 */
export function commitState(
  kv: KvWrite,
  written: ReadonlyArray<readonly [string, Uint8Array | null]>,
  meta: ChainMeta,
): Hash {
  const changes: TrieChange[] = [trieChange(META_KEY, metaStateBytes(meta))];
  for (const [h, v] of written) if (isStateTable(h.charCodeAt(0))) changes.push(trieChange(keyBytes(h), v));
  return updateTrie(kv, changes);
}

/**
 * The value the state root commits to under `storageKey`, read from `kv` (undefined: absent): the
 * stored bytes, except for Meta. Undefined also for a key outside the state (see {@link isStateTable}).
 */
export function stateValue(
  kv: { get(k: Uint8Array): Uint8Array | undefined },
  storageKey: Uint8Array,
  meta: () => ChainMeta,
): Uint8Array | undefined {
  if (storageKey.length === 0) return undefined;
  if (storageKey.length === 1 && storageKey[0] === Prefix.Meta) return metaStateBytes(meta());
  if (!isStateTable(storageKey[0] as number)) return undefined;
  return kv.get(storageKey);
}
