/**
 * The network node's own records in the chain's LMDB (node-local prefixes ≥ 0xf0, journal.ts): net
 * blocks by hash, the net hash of each relay-chain block, and the last finality proof.
 */
import { concatBytes } from "../codec/bytes.ts";
import type { Hash } from "../codec/ids.ts";
import { decodeExact, encode } from "../codec/types.ts";
import { type JournaledStorage, LocalPrefix } from "./journal.ts";
import { Justification, NetBlock } from "./wire.ts";

const k = (p: number, h: Uint8Array) => concatBytes(Uint8Array.of(p), h);
const FINALITY_KEY = Uint8Array.of(LocalPrefix.Finality);

export interface NetStore {
  putBlock(hash: Hash, b: NetBlock): void;
  /** Records that relay-chain block `chainHash` is net block `hash` (after it executed). */
  setCanonical(chainHash: Hash, hash: Hash, body?: NetBlock): void;
  block(hash: Hash): NetBlock | undefined;
  blockBytes(hash: Hash): Uint8Array | undefined;
  netOf(chainHash: Hash): Hash | undefined;
  putFinality(j: Justification): void;
  finality(): Justification | undefined;
}

export function createNetStore(storage: JournaledStorage): NetStore {
  return {
    putBlock(hash, b) {
      storage.local((kv) => kv.put(k(LocalPrefix.Block, hash), encode(NetBlock, b)));
    },
    setCanonical(chainHash, hash, b) {
      storage.local((kv) => {
        if (b) kv.put(k(LocalPrefix.Block, hash), encode(NetBlock, b));
        kv.put(k(LocalPrefix.NetByChain, chainHash), hash);
      });
    },
    block(hash) {
      const v = storage.get(k(LocalPrefix.Block, hash));
      return v === undefined ? undefined : decodeExact(NetBlock, v, "stored block");
    },
    blockBytes: (hash) => storage.get(k(LocalPrefix.Block, hash)),
    netOf: (chainHash) => storage.get(k(LocalPrefix.NetByChain, chainHash)) as Hash | undefined,
    putFinality(j) {
      storage.local((kv) => kv.put(FINALITY_KEY, encode(Justification, j)));
    },
    finality() {
      const v = storage.get(FINALITY_KEY);
      return v === undefined ? undefined : decodeExact(Justification, v, "finality record");
    },
  };
}
