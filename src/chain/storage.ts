/**
 * The key-value storage under the relay chain (DESIGN §3: `chain` is a pure state transition over a
 * storage interface). Keys are byte strings opened by a one-byte {@link Prefix}; values are SCALE.
 * One {@link Storage.transaction} per block: it commits whole or not at all, so a crash leaves the last
 * whole block.
 */
import type { Codec } from "scale-ts";
import { CoreplayError } from "../errors.ts";

/** Read access: point lookups and ordered prefix scans. */
export interface KvRead {
  get(key: Uint8Array): Uint8Array | undefined;
  /** Entries whose key starts with `prefix`, in ascending byte order of the key. */
  scan(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]>;
}

/** Read and write access inside a transaction. */
export interface KvWrite extends KvRead {
  put(key: Uint8Array, value: Uint8Array): void;
  del(key: Uint8Array): void;
}

/**
 * A persistent ordered key-value store.
 *
 * @example
 * const storage = createMemoryStorage();
 * storage.transaction((tx) => tx.put(new Uint8Array([1]), new Uint8Array([2])));
 * storage.get(new Uint8Array([1])); // Uint8Array [2]
 */
export interface Storage extends KvRead {
  /** Runs `fn` in one atomic transaction: if it throws, nothing it wrote is kept and the error is rethrown. */
  transaction<T>(fn: (tx: KvWrite) => T): T;
  close(): Promise<void>;
}

export class StorageError extends CoreplayError {
  override name = "StorageError";
  constructor(
    shortMessage: string,
    opts: { code?: string; details?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(shortMessage, { code: "STORAGE_ERROR", ...opts });
  }
}

/** One byte opening every key: the table it belongs to. Never renumber (it is on disk). */
export const Prefix = {
  Meta: 0x00,
  Account: 0x01,
  CodeInfo: 0x02,
  CodeBlob: 0x03,
  Actor: 0x04,
  CallQueue: 0x05,
  Pigeonhole: 0x06,
  Receipt: 0x07,
  PreimageInfo: 0x08,
  PreimageBlob: 0x09,
  PreimageRef: 0x0a,
  Request: 0x0b,
  Slab: 0x0c,
  Block: 0x0d,
  BlockByHash: 0x0e,
  Pool: 0x0f,
  PoolPov: 0x10,
  PoolById: 0x11,
} as const;
export type Prefix = (typeof Prefix)[keyof typeof Prefix];

/** A key part: bytes as they are, numbers as big-endian u32, bigints as big-endian u64 (so keys sort numerically). */
export type KeyPart = Uint8Array | number | bigint;

/**
 * A backend's transaction gate: one transaction at a time per storage (one per block), so a nested
 * `transaction` is a typed error rather than a silently merged write.
 */
export function createTransactionGate(): <T>(run: () => T) => T {
  let open = false;
  return (run) => {
    if (open) {
      throw new StorageError("Nested storage transaction", {
        code: "STORAGE_NESTED_TX",
        hint: "use createOverlay(tx) for an inner all-or-nothing step",
      });
    }
    open = true;
    try {
      return run();
    } finally {
      open = false;
    }
  };
}

/**
 * Builds a key from a prefix and parts.
 * @example key(Prefix.Actor, 7) // [0x04, 0, 0, 0, 7]
 */
export function key(prefix: Prefix, ...parts: KeyPart[]): Uint8Array {
  let n = 1;
  for (const p of parts) n += p instanceof Uint8Array ? p.byteLength : typeof p === "number" ? 4 : 8;
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  out[0] = prefix;
  let at = 1;
  for (const p of parts) {
    if (p instanceof Uint8Array) {
      out.set(p, at);
      at += p.byteLength;
    } else if (typeof p === "number") {
      dv.setUint32(at, p);
      at += 4;
    } else {
      dv.setBigUint64(at, p);
      at += 8;
    }
  }
  return out;
}

/** A typed table: keys built from `K`, values SCALE-encoded with `codec`. */
export interface Table<K, V> {
  readonly prefix: Prefix;
  key(k: K): Uint8Array;
  get(kv: KvRead, k: K): V | undefined;
  put(kv: KvWrite, k: K, v: V): void;
  del(kv: KvWrite, k: K): void;
  /** Values whose key starts with the prefix and `parts`, in key order. */
  scan(kv: KvRead, ...parts: KeyPart[]): Iterable<[Uint8Array, V]>;
}

/**
 * Declares a typed table.
 * @example const actors = table(Prefix.Actor, (id: ActorId) => [id], ActorInfo);
 */
export function table<K, V>(
  prefix: Prefix,
  parts: (k: K) => KeyPart[],
  codec: { enc(v: V): Uint8Array; dec(b: Uint8Array): V } | Codec<V>,
): Table<K, V> {
  const k = (x: K) => key(prefix, ...parts(x));
  return {
    prefix,
    key: k,
    get(kv, x) {
      const v = kv.get(k(x));
      return v === undefined ? undefined : codec.dec(v);
    },
    put(kv, x, v) {
      kv.put(k(x), codec.enc(v));
    },
    del(kv, x) {
      kv.del(k(x));
    },
    *scan(kv, ...ps) {
      for (const [kk, v] of kv.scan(key(prefix, ...ps))) yield [kk, codec.dec(v)];
    },
  };
}

/** Each overlay's raw write (hex key, owned value or null for a deletion), for commits between overlays. */
const OVERLAYS = new WeakMap<KvRead, (h: string, v: Uint8Array | null) => void>();

const hexKey = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString("hex");
const fromHexKey = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

/**
 * A write buffer over `parent`: reads see the buffer first; `commit()` writes it through, dropping it
 * writes nothing. Used for all-or-nothing steps inside a block (one transaction, one PoV's effects).
 *
 * @example
 * const o = createOverlay(tx);
 * o.kv.put(k, v);
 * if (allGood) o.commit();
 */
export function createOverlay(parent: KvRead & Partial<KvWrite>): {
  kv: KvWrite;
  /** Writes the buffer through to `into` (default: the parent) in key order, then empties it. */
  commit(into?: KvWrite): void;
  size(): number;
} {
  // hex key -> value, or null for a deletion
  const writes = new Map<string, Uint8Array | null>();
  const raw = (h: string, v: Uint8Array | null) => {
    writes.set(h, v);
  };
  const kv: KvWrite = {
    get(k) {
      const w = writes.get(hexKey(k));
      if (w === null) return undefined;
      return w ?? parent.get(k);
    },
    put(k, v) {
      writes.set(hexKey(k), v.slice());
    },
    del(k) {
      writes.set(hexKey(k), null);
    },
    *scan(prefix) {
      const p = hexKey(prefix);
      const mine = [...writes.keys()].filter((h) => h.startsWith(p)).sort();
      let i = 0;
      for (const [k, v] of parent.scan(prefix)) {
        const h = hexKey(k);
        while (i < mine.length && mine[i] < h) {
          const w = writes.get(mine[i]);
          if (w) yield [fromHexKey(mine[i]), w];
          i++;
        }
        if (i < mine.length && mine[i] === h) {
          const w = writes.get(h);
          if (w) yield [k, w];
          i++;
          continue;
        }
        yield [k, v];
      }
      for (; i < mine.length; i++) {
        const w = writes.get(mine[i]);
        if (w) yield [fromHexKey(mine[i]), w];
      }
    },
  };
  OVERLAYS.set(kv, raw);
  return {
    kv,
    size: () => writes.size,
    commit(into) {
      const target = into ?? (parent.put && parent.del ? (parent as KvWrite) : undefined);
      if (!target) throw new StorageError("Overlay parent is read-only", { code: "STORAGE_READ_ONLY" });
      // Into another overlay (a transaction into its block): hand over the hex keys and the values this
      // overlay owns, without converting keys back and forth or copying values again.
      const into2 = OVERLAYS.get(target);
      if (into2) {
        for (const [h, v] of writes) into2(h, v);
        writes.clear();
        return;
      }
      for (const [h, v] of [...writes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (v === null) target.del(fromHexKey(h));
        else target.put(fromHexKey(h), v);
      }
      writes.clear();
    },
  };
}
