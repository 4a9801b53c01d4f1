/**
 * A {@link Storage} wrapper that makes relay-chain blocks revertible, for fork choice (DESIGN §11): every
 * transaction that moves the chain's head one block forward also writes, in the same atomic LMDB
 * transaction, an undo record (the previous value of every key it wrote) and a digest of its writes.
 * `revertHead()` restores the block's parent state exactly. Node-local keys live under prefixes ≥ 0xf0,
 * which are never relay state: the state root must leave them out.
 *
 * The digest (`writesRoot`) chains blake2b-256 over each block's sorted write set; nodes that executed
 * the same blocks from the same genesis hold the same digest. It stands in for the state trie's root
 * until src/chain/trie lands (then `stateRoot` comes from the chain's header instead).
 */

import { T } from "../chain/state.ts";
import type { KvWrite, Storage } from "../chain/storage.ts";
import { concatBytes } from "../codec/bytes.ts";
import type { Hash } from "../codec/ids.ts";
import { decodeExact, encode, Option, Tuple, Vector, VecU8 } from "../codec/types.ts";
import { createBlake2b256 } from "../crypto/blake2b.ts";
import { NetError } from "./errors.ts";

/** Node-local tables (never relay state). */
export const LocalPrefix = {
  Undo: 0xf0,
  Block: 0xf1,
  NetByChain: 0xf2,
  Finality: 0xf3,
  WritesRoot: 0xf4,
} as const;

const UndoRecord = Vector(Tuple(VecU8, Option(VecU8)));
const ZERO32 = new Uint8Array(32) as Hash;
const ROOT_KEY = Uint8Array.of(LocalPrefix.WritesRoot);
const latin1 = (k: Uint8Array) => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString("latin1");

export const undoKey = (n: number): Uint8Array => {
  const k = new Uint8Array(5);
  k[0] = LocalPrefix.Undo;
  new DataView(k.buffer).setUint32(1, n);
  return k;
};

export interface JournaledStorage extends Storage {
  /** Undoes the head block: the storage is exactly as before it. Throws when no undo record is kept. */
  revertHead(): void;
  /** Writes node-local keys (prefix ≥ 0xf0) outside the journal. */
  local(fn: (kv: KvWrite) => void): void;
  /** The digest of every block's writes up to the head. */
  writesRoot(): Hash;
  /** Drops undo records of blocks ≤ `n` (they are final: never reverted). */
  prune(n: number): void;
}

const headOf = (kv: KvWrite | Storage): number | undefined => T.meta.get(kv, null)?.head;

/**
 * @example
 * const storage = journaled(createLmdbStorage({ path }));
 * const chain = createChain({ storage, engine, config });
 * chain.applyBlock(input); storage.revertHead(); // back to the parent state
 */
export function journaled(inner: Storage): JournaledStorage {
  let pruned = 0;
  return {
    get: (k) => inner.get(k),
    scan: (p) => inner.scan(p),
    close: () => inner.close(),
    transaction(fn) {
      return inner.transaction((kv) => {
        const before = headOf(kv);
        const old = new Map<string, [Uint8Array, Uint8Array | undefined]>();
        const now = new Map<string, [Uint8Array, Uint8Array | undefined]>();
        const track = (k: Uint8Array, v: Uint8Array | undefined) => {
          if (k[0]! >= 0xf0) return;
          const s = latin1(k);
          if (!old.has(s)) {
            const prev = kv.get(k);
            old.set(s, [k.slice(), prev === undefined ? undefined : prev.slice()]);
          }
          now.set(s, [k.slice(), v === undefined ? undefined : v.slice()]);
        };
        const w: KvWrite = {
          get: (k) => kv.get(k),
          scan: (p) => kv.scan(p),
          put(k, v) {
            track(k, v);
            kv.put(k, v);
          },
          del(k) {
            track(k, undefined);
            kv.del(k);
          },
        };
        const out = fn(w);
        const after = headOf(kv);
        if (before !== undefined && after === before + 1) {
          const prevRoot = kv.get(ROOT_KEY);
          const h = createBlake2b256();
          h.update(prevRoot ?? ZERO32);
          for (const s of [...now.keys()].sort()) {
            const [k, v] = now.get(s)!;
            const len = new Uint8Array(4);
            new DataView(len.buffer).setUint32(0, k.byteLength);
            h.update(concatBytes(len, k, v === undefined ? Uint8Array.of(0) : Uint8Array.of(1)));
            if (v !== undefined) h.update(v);
          }
          const undo: Array<[Uint8Array, Uint8Array | undefined]> = [...old.values()];
          undo.push([ROOT_KEY, prevRoot === undefined ? undefined : prevRoot.slice()]);
          kv.put(undoKey(after), encode(UndoRecord, undo));
          kv.put(ROOT_KEY, h.digest());
        }
        return out;
      });
    },
    revertHead() {
      inner.transaction((kv) => {
        const n = headOf(kv);
        const rec = n === undefined ? undefined : kv.get(undoKey(n));
        if (n === undefined || n === 0 || rec === undefined) {
          throw new NetError("Cannot revert the head block", {
            code: "NET_NO_UNDO",
            details: `head #${n}: no undo record (final blocks are never reverted)`,
          });
        }
        for (const [k, v] of decodeExact(UndoRecord, rec, "undo record")) {
          if (v === undefined) kv.del(k);
          else kv.put(k, v);
        }
        kv.del(undoKey(n));
      });
    },
    local(fn) {
      inner.transaction((kv) => fn(kv));
    },
    writesRoot: () => (inner.get(ROOT_KEY) ?? ZERO32) as Hash,
    prune(n) {
      if (n <= pruned) return;
      const from = pruned;
      pruned = n;
      inner.transaction((kv) => {
        for (const [k] of [...kv.scan(Uint8Array.of(LocalPrefix.Undo))]) {
          const b = new DataView(k.buffer, k.byteOffset + 1, 4).getUint32(0);
          if (b <= n && b >= from) kv.del(k);
        }
      });
    },
  };
}
