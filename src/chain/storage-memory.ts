/** In-memory {@link Storage} for tests and throw-away dev chains. */
import {
  createOverlay,
  createTransactionGate,
  KEYED,
  type KeyedRead,
  type KvRead,
  type KvWrite,
  keyBytes,
  keyString,
  SINK,
  type Sink,
  type Storage,
  StorageError,
} from "./storage.ts";

/**
 * An in-memory storage with the same atomicity as the LMDB one: a transaction's writes are buffered
 * and applied only when its function returns.
 *
 * @example
 * const storage = createMemoryStorage();
 * const chain = createChain({ storage, engine, config });
 */
export function createMemoryStorage(): Storage {
  // Values by key string (storage.ts: one char per key byte), one map per first key byte (the table
  // prefix), so a scan of one table never walks the others. Stored values are owned here: reads copy.
  const tables: (Map<string, Uint8Array> | undefined)[] = [];
  const gate = createTransactionGate();
  let closed = false;
  const check = () => {
    if (closed) throw new StorageError("Storage is closed", { code: "STORAGE_CLOSED" });
  };
  const keyed: KeyedRead = {
    peek(h) {
      check();
      return tables[h.charCodeAt(0)]?.get(h);
    },
  };
  const read: KvRead & { [KEYED]: KeyedRead } = {
    [KEYED]: keyed,
    get(k) {
      return keyed.peek(keyString(k))?.slice();
    },
    *scan(prefix) {
      check();
      const p = keyString(prefix);
      const tabs = prefix.length > 0 ? [tables[prefix[0] as number]] : tables;
      const hits: string[] = [];
      for (const t of tabs) if (t) for (const h of t.keys()) if (h.startsWith(p)) hits.push(h);
      hits.sort();
      for (const h of hits) {
        const v = tables[h.charCodeAt(0)]?.get(h);
        if (v) yield [keyBytes(h), v.slice()];
      }
    },
  };
  // Takes over the bytes a transaction's overlay owns (no copy: nothing else holds them).
  const take = (h: string, v: Uint8Array | null) => {
    const c = h.charCodeAt(0);
    if (v === null) {
      tables[c]?.delete(h);
      return;
    }
    let t = tables[c];
    if (t === undefined) {
      t = new Map();
      tables[c] = t;
    }
    t.set(h, v);
  };
  // A transaction's overlay hands over a whole table at once: the storage's table is looked up once.
  const takeTable: Sink = (c, entries, bytes) => {
    let t = tables[c];
    entries.forEach((e, h) => {
      const v = bytes(e);
      if (v === null) t?.delete(h);
      else {
        if (t === undefined) {
          t = new Map();
          tables[c] = t;
        }
        t.set(h, v);
      }
    });
  };
  const sink: KvWrite & { [SINK]: Sink } = {
    ...read,
    [SINK]: takeTable,
    put(k, v) {
      take(keyString(k), v.slice());
    },
    del(k) {
      take(keyString(k), null);
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
