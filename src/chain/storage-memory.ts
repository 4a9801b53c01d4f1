/** In-memory {@link Storage} for tests and throw-away dev chains. */
import { createOverlay, type KvRead, type KvWrite, type Storage, StorageError } from "./storage.ts";

const hex = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString("hex");
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

/**
 * An in-memory storage with the same atomicity as the LMDB one: a transaction's writes are buffered
 * and applied only when its function returns.
 *
 * @example
 * const storage = createMemoryStorage();
 * const chain = createChain({ storage, engine, config });
 */
export function createMemoryStorage(): Storage {
  const data = new Map<string, Uint8Array>();
  let inTx = false;
  let closed = false;
  const check = () => {
    if (closed) throw new StorageError("Storage is closed", { code: "STORAGE_CLOSED" });
  };
  const read: KvRead = {
    get(k) {
      check();
      return data.get(hex(k))?.slice();
    },
    *scan(prefix) {
      check();
      const p = hex(prefix);
      const keys = [...data.keys()].filter((h) => h.startsWith(p)).sort();
      for (const h of keys) {
        const v = data.get(h);
        if (v) yield [unhex(h), v.slice()];
      }
    },
  };
  const sink: KvWrite = {
    ...read,
    put(k, v) {
      data.set(hex(k), v.slice());
    },
    del(k) {
      data.delete(hex(k));
    },
  };
  return {
    ...read,
    transaction(fn) {
      check();
      if (inTx) {
        throw new StorageError("Nested storage transaction", {
          code: "STORAGE_NESTED_TX",
          hint: "use createOverlay(tx) for an inner all-or-nothing step",
        });
      }
      inTx = true;
      try {
        const o = createOverlay(read);
        const out = fn(o.kv);
        o.commit(sink);
        return out;
      } finally {
        inTx = false;
      }
    },
    async close() {
      closed = true;
    },
  };
}
