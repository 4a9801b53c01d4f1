/**
 * The network node's own records in the chain's LMDB (node-local prefixes ≥ 0xf0, journal.ts): blocks
 * (header, seal, body) by hash, and the last finality proof. A block the chain applied has its record
 * written right after the chain's transaction; a head without one (a crash in between) is reverted.
 */
import { concatBytes } from "../codec/bytes.ts";
import type { Hash } from "../codec/ids.ts";
import { decodeExact, encode } from "../codec/types.ts";
import { type JournaledStorage, LocalPrefix } from "./journal.ts";
import { NetBlock } from "./wire.ts";

const k = (p: number, h: Uint8Array) => concatBytes(Uint8Array.of(p), h);
const FINALITY_KEY = Uint8Array.of(LocalPrefix.Finality);

export interface NetStore {
  putBlock(hash: Hash, b: NetBlock): void;
  block(hash: Hash): NetBlock | undefined;
  blockBytes(hash: Hash): Uint8Array | undefined;
  /** The last finality proof: an encoded consensus `Commit`. */
  putFinality(commit: Uint8Array): void;
  finality(): Uint8Array | undefined;
}

export function createNetStore(storage: JournaledStorage): NetStore {
  return {
    putBlock(hash, b) {
      storage.local((kv) => kv.put(k(LocalPrefix.Block, hash), encode(NetBlock, b)));
    },
    block(hash) {
      const v = storage.get(k(LocalPrefix.Block, hash));
      return v === undefined ? undefined : decodeExact(NetBlock, v, "stored block");
    },
    blockBytes: (hash) => storage.get(k(LocalPrefix.Block, hash)),
    putFinality(commit) {
      storage.local((kv) => kv.put(FINALITY_KEY, commit));
    },
    finality: () => storage.get(FINALITY_KEY),
  };
}
