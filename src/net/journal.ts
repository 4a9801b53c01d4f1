/**
 * A {@link Storage} wrapper that makes relay-chain blocks revertible, for fork choice (DESIGN §11): every
 * transaction that moves the chain's head one block forward also writes, in the same atomic LMDB
 * transaction, an undo record (the previous value of every key it wrote, the state trie's nodes among
 * them). `revertHead()` restores the block's parent state exactly, state root included. Node-local
 * keys live under prefixes ≥ 0xf0 and are written outside the chain's block overlay, so the state root
 * never covers them.
 */

import { T } from "../chain/state.ts";
import type { KvWrite, Storage } from "../chain/storage.ts";
import { decodeExact, encode, Option, Tuple, Vector, VecU8 } from "../codec/types.ts";
import { NetError } from "./errors.ts";

/** Node-local tables (never relay state). */
export const LocalPrefix = {
  Undo: 0xf0,
  Block: 0xf1,
  /** (0xf2 held net → chain hashes while the net header was its own; unused) */
  Finality: 0xf3,
} as const;

const UndoRecord = Vector(Tuple(VecU8, Option(VecU8)));
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
        const track = (k: Uint8Array) => {
          if (k[0]! >= 0xf0) return;
          const s = latin1(k);
          if (!old.has(s)) {
            const prev = kv.get(k);
            old.set(s, [k.slice(), prev === undefined ? undefined : prev.slice()]);
          }
        };
        const w: KvWrite = {
          get: (k) => kv.get(k),
          scan: (p) => kv.scan(p),
          put(k, v) {
            track(k);
            kv.put(k, v);
          },
          del(k) {
            track(k);
            kv.del(k);
          },
        };
        const out = fn(w);
        const after = headOf(kv);
        if (before !== undefined && after === before + 1) {
          kv.put(undoKey(after), encode(UndoRecord, [...old.values()]));
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
