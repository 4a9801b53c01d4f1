/** In-memory {@link Storage} for tests and throw-away dev chains. */
import {
  createOverlay,
  createTransactionGate,
  type KvRead,
  type KvWrite,
  type Storage,
  StorageError,
} from "./storage.ts";

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
  // one map per first key byte (the table prefix), so a scan of one table never walks the others
  const tables = new Map<string, Map<string, Uint8Array>>();
  const tableOf = (h: string, create: boolean) => {
    const t = h.slice(0, 2);
    let m = tables.get(t);
    if (!m && create) {
      m = new Map();
      tables.set(t, m);
    }
    return m;
  };
  const gate = createTransactionGate();
  let closed = false;
  const check = () => {
    if (closed) throw new StorageError("Storage is closed", { code: "STORAGE_CLOSED" });
  };
  const read: KvRead = {
    get(k) {
      check();
      const h = hex(k);
      return tableOf(h, false)?.get(h)?.slice();
    },
    *scan(prefix) {
      check();
      const p = hex(prefix);
      const tabs = p.length >= 2 ? [tableOf(p, false)] : [...tables.values()];
      const hits: string[] = [];
      for (const t of tabs) if (t) for (const h of t.keys()) if (h.startsWith(p)) hits.push(h);
      hits.sort();
      for (const h of hits) {
        const v = tableOf(h, false)?.get(h);
        if (v) yield [unhex(h), v.slice()];
      }
    },
  };
  const sink: KvWrite = {
    ...read,
    put(k, v) {
      const h = hex(k);
      tableOf(h, true)?.set(h, v.slice());
    },
    del(k) {
      const h = hex(k);
      tableOf(h, false)?.delete(h);
    },
  };
  return {
    ...read,
    transaction(fn) {
      check();
      return gate(() => {
        const o = createOverlay(read);
        const out = fn(o.kv);
        o.commit(sink);
        return out;
      });
    },
    async close() {
      closed = true;
    },
  };
}
