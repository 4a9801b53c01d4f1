/**
 * The key-value storage under the relay chain (DESIGN §3: `chain` is a pure state transition over a
 * storage interface). Keys are byte strings opened by a one-byte {@link Prefix}; values are SCALE.
 * One {@link Storage.transaction} per block: it commits whole or not at all, so a crash leaves the last
 * whole block.
 */
import type { Codec } from "scale-ts";
import { encodeWith, fastOf } from "../codec/fast.ts";
import { decodeExact, VecU8 } from "../codec/types.ts";
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
  Upgrade: 0x12,
  /** The state trie's nodes by position (trie/store.ts), and its root under the bare prefix. */
  Trie: 0x13,
  /** Registered collators (collators.ts) and, per actor, the collators that missed it (canonical.ts). */
  Collator: 0x14,
  Missed: 0x15,
  /** Disputes and collator misbehaviour proven by backing statements (disputes.ts). */
  Report: 0x16,
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

// ---- key strings -------------------------------------------------------------------------------
// Overlays and the memory storage keep entries by key string: one char per key byte (latin1), so equal
// keys give equal strings and strings compare (and `startsWith`) exactly as the keys' bytes do.

/** The key string of `k` (one char per byte). */
export const keyString = (k: Uint8Array): string =>
  Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString("latin1");

/** The key bytes of a key string. */
export function keyBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = h.charCodeAt(i);
  return out;
}

/** A u32 part as a key string (big-endian, as {@link key} writes it). */
export const u32String = (n: number): string =>
  String.fromCharCode(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

const U32_MASK = 0xffffffffn;
/** A u64 part as a key string (big-endian, as {@link key} writes it). */
export const u64String = (b: bigint): string =>
  u32String(Number((b >> 32n) & U32_MASK)) + u32String(Number(b & U32_MASK));

/** `keyString(key(prefix, h))` for a 32-byte id or hash `h`: one flat string, from the bytes directly. */
export function hashKeyString(prefix: Prefix, h: Uint8Array): string {
  if (h.length !== 32) return String.fromCharCode(prefix) + keyString(h);
  const b = h as unknown as Record<number, number>;
  // biome-ignore format: one byte per argument
  return String.fromCharCode(prefix,
    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15],
    b[16], b[17], b[18], b[19], b[20], b[21], b[22], b[23], b[24], b[25], b[26], b[27], b[28], b[29], b[30], b[31]);
}

/** `keyString(key(prefix, n, i))` for a u32 and a u64 part: one flat string. */
export function u32u64KeyString(prefix: Prefix, n: number, i: bigint): string {
  const hi = Number((i >> 32n) & U32_MASK);
  const lo = Number(i & U32_MASK);
  // biome-ignore format: one byte per argument
  return String.fromCharCode(prefix,
    n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff,
    hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff,
    lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
}

/** `keyString(key(prefix, ...parts))` without the bytes. */
export function keyStringOf(prefix: Prefix, parts: readonly KeyPart[]): string {
  let s = String.fromCharCode(prefix);
  for (const p of parts) {
    s += p instanceof Uint8Array ? keyString(p) : typeof p === "number" ? u32String(p) : u64String(p);
  }
  return s;
}

// ---- typed tables ------------------------------------------------------------------------------

/**
 * `VecU8.enc(v)` in one allocation and one copy: the tables of programs, images and PoVs hold large
 * byte vectors (the scratch writer would copy each twice, growing to its size first).
 */
export function encodeBlob(v: Uint8Array): Uint8Array {
  const len = v.length;
  if (len >= 1 << 30) return VecU8.enc(v);
  const head = len < 1 << 6 ? 1 : len < 1 << 14 ? 2 : 4;
  const out = new Uint8Array(head + len);
  // SCALE compact: the length shifted left twice, the mode (0, 1, 2) in the low bits, little endian
  const c = len * 4 + (head === 1 ? 0 : head === 2 ? 1 : 2);
  for (let k = 0; k < head; k++) out[k] = (c >>> (8 * k)) & 0xff;
  out.set(v, head);
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
  /**
   * {@link Table.scan} decoding stored bytes with `dec(bytes, key)` (e.g. as views, for values read and
   * dropped at once), and taking the values an overlay keeps decoded (a cached table's) as they are.
   */
  scanWith(
    kv: KvRead,
    dec: (b: Uint8Array, key: Uint8Array) => V,
    ...parts: KeyPart[]
  ): Iterable<[Uint8Array, V]>;
}

interface ValueCodec<V> {
  enc(v: V): Uint8Array;
  dec(b: Uint8Array): V;
}

export interface TableOptions<K> {
  /**
   * Inside an overlay, keep the decoded value beside (instead of) its bytes: a get after a put (or an
   * earlier get) returns the same object without decoding, and the bytes are encoded once, when needed
   * (a commit to the storage, a raw read, a scan). Values of such a table must never be mutated, neither
   * after a put nor after a get (the chain always writes new records: `{ ...a, balance }`).
   */
  cache?: boolean;
  /** `keyString(key(k))`, written out for a hot table (must give exactly those chars). */
  keyString?: (k: K) => string;
}

/**
 * Declares a typed table. Codecs built through codec/types.ts are encoded and decoded by their fast
 * twins (the same bytes; stored values are canonical, so the strict decoder accepts them).
 * @example const actors = table(Prefix.Actor, (id: ActorId) => [id], ActorInfo);
 */
export function table<K, V>(
  prefix: Prefix,
  parts: (k: K) => KeyPart[],
  codec: ValueCodec<V> | Codec<V>,
  opts: TableOptions<K> = {},
): Table<K, V> {
  const k = (x: K) => key(prefix, ...parts(x));
  const s = opts.keyString ?? ((x: K) => keyStringOf(prefix, parts(x)));
  const fast = fastOf(codec as Codec<V>);
  const enc =
    (codec as unknown) === VecU8
      ? (encodeBlob as unknown as (v: V) => Uint8Array)
      : fast
        ? (v: V) => encodeWith(fast, v)
        : (v: V) => codec.enc(v);
  const c: ValueCodec<V> = fast
    ? { enc, dec: (b) => decodeExact(codec as Codec<V>, b, "state record") }
    : { enc, dec: (b) => codec.dec(b) };
  const cache = opts.cache === true;
  return {
    prefix,
    key: k,
    get(kv, x) {
      const o = (kv as Keyed)[KEYED];
      if (o === undefined) {
        const v = kv.get(k(x));
        return v === undefined ? undefined : c.dec(v);
      }
      if (cache && o instanceof Overlay) return o.record(s(x), c);
      const v = o.peek(s(x));
      return v === undefined ? undefined : c.dec(v);
    },
    put(kv, x, v) {
      const o = (kv as Keyed)[KEYED];
      if (o instanceof Overlay) o.write(s(x), cache ? new Rec(c as ValueCodec<unknown>, v) : c.enc(v));
      else kv.put(k(x), c.enc(v));
    },
    del(kv, x) {
      const o = (kv as Keyed)[KEYED];
      if (o instanceof Overlay) o.write(s(x), null);
      else kv.del(k(x));
    },
    *scan(kv, ...ps) {
      for (const [kk, v] of kv.scan(key(prefix, ...ps))) yield [kk, c.dec(v)];
    },
    *scanWith(kv, dec, ...ps) {
      const o = (kv as Keyed)[KEYED];
      if (!(o instanceof Overlay)) {
        for (const [kk, v] of kv.scan(key(prefix, ...ps))) yield [kk, dec(v, kk)];
        return;
      }
      for (const [kk, e] of o.entries(key(prefix, ...ps))) {
        yield [kk, e instanceof Rec ? (e.codec === c ? (e.value as V) : dec(bytesOf(e), kk)) : dec(e, kk)];
      }
    },
  };
}

// ---- overlays ----------------------------------------------------------------------------------

/**
 * Read access by key string, attached to overlays and the memory storage. `peek` returns the stored
 * bytes themselves: callers decode them (decoders copy) and never hand them out or write to them.
 */
export interface KeyedRead {
  peek(h: string): Uint8Array | undefined;
}
export const KEYED: unique symbol = Symbol("coreplay.keyed");
/**
 * A write target that takes over bytes by key string (the memory storage's commit), one table at a
 * time: `sink(prefix, entries, bytes)` with `bytes(entry)` an entry's bytes (null: a deletion).
 */
export const SINK: unique symbol = Symbol("coreplay.sink");
export type Sink = (
  prefix: number,
  entries: ReadonlyMap<string, unknown>,
  bytes: (entry: unknown) => Uint8Array | null,
) => void;
type Keyed = { [KEYED]?: KeyedRead; [SINK]?: Sink };

/** A value kept decoded in an overlay, with its bytes once they were needed. */
class Rec {
  constructor(
    readonly codec: ValueCodec<unknown>,
    readonly value: unknown,
    public bytes?: Uint8Array,
  ) {}
}
/** An overlay's entry: owned bytes, a decoded record, or null for a deletion. */
type Entry = Uint8Array | Rec | null;
/** An entry's bytes (encoded once if it is a decoded record), or null for a deletion. */
const entryBytes = (e: Entry): Uint8Array | null => (e === null ? null : e instanceof Rec ? bytesOf(e) : e);
const bytesOf = (e: Rec): Uint8Array => {
  if (e.bytes === undefined) e.bytes = e.codec.enc(e.value);
  return e.bytes;
};

/** An all-or-nothing write buffer; see {@link createOverlay}. */
export interface OverlayControl {
  kv: KvWrite;
  /** Writes the buffer through to `into` (default: the parent) in key order, then empties it. */
  commit(into?: KvWrite): void;
  size(): number;
  /**
   * Every entry this buffer holds, by key string: its bytes, or null for a deletion (what a commit
   * would write; the state root's changed keys). Decoded records are encoded once here, not again at commit.
   */
  changes(): Array<[string, Uint8Array | null]>;
  /**
   * Opens a savepoint: {@link OverlayControl.rollback} undoes every write made since, and
   * {@link OverlayControl.release} keeps them. Savepoints nest; each is closed by one of the two.
   */
  savepoint(): number;
  rollback(savepoint: number): void;
  release(savepoint: number): void;
}

class Overlay implements KeyedRead, OverlayControl {
  readonly kv: KvWrite;
  /** Entries by key string, one map per first key byte (the table), so a scan walks one table. */
  private tabs: (Map<string, Entry> | undefined)[] = [];
  /**
   * Undo log while a savepoint is open (`depth` > 0): key string, then the entry it replaced (undefined:
   * none). Emptied, not dropped, when the last savepoint closes: a block opens one per transaction.
   */
  private journal: Array<string | Entry | undefined> = [];
  private depth = 0;
  private readonly up: KeyedRead | undefined;

  constructor(readonly parent: KvRead & Partial<KvWrite>) {
    this.up = (parent as Keyed)[KEYED];
    const self = this;
    this.kv = {
      [KEYED]: this,
      get(k) {
        const e = self.own(keyString(k));
        if (e === undefined) return parent.get(k);
        return e === null ? undefined : e instanceof Rec ? bytesOf(e) : e;
      },
      put(k, v) {
        self.write(keyString(k), v.slice());
      },
      del(k) {
        self.write(keyString(k), null);
      },
      scan: (prefix) => this.scan(prefix),
    } as KvWrite;
  }

  private own(h: string): Entry | undefined {
    return this.tabs[h.charCodeAt(0)]?.get(h);
  }

  peek(h: string): Uint8Array | undefined {
    const e = this.own(h);
    if (e === undefined) return this.up ? this.up.peek(h) : this.parent.get(keyBytes(h));
    return e === null ? undefined : e instanceof Rec ? bytesOf(e) : e;
  }

  /** The decoded value under `h`, kept decoded here when this overlay holds its bytes. */
  record<V>(h: string, codec: ValueCodec<V>): V | undefined {
    const t = this.tabs[h.charCodeAt(0)];
    const e = t?.get(h);
    if (e === undefined) {
      if (this.up instanceof Overlay) return this.up.record(h, codec);
      const b = this.up ? this.up.peek(h) : this.parent.get(keyBytes(h));
      return b === undefined ? undefined : codec.dec(b);
    }
    if (e === null) return undefined;
    if (e instanceof Rec) return (e.codec === codec ? e.value : codec.dec(bytesOf(e))) as V;
    const v = codec.dec(e);
    t?.set(h, new Rec(codec as ValueCodec<unknown>, v, e)); // the same value: nothing to undo
    return v;
  }

  write(h: string, e: Entry): void {
    const c = h.charCodeAt(0);
    let t = this.tabs[c];
    if (t === undefined) {
      t = new Map();
      this.tabs[c] = t;
    }
    if (this.depth > 0) this.journal.push(h, t.get(h));
    t.set(h, e);
  }

  *scan(prefix: Uint8Array): Generator<[Uint8Array, Uint8Array]> {
    for (const [k, e] of this.entries(prefix)) yield [k, e instanceof Rec ? bytesOf(e) : e];
  }

  /** The entries under `prefix` in key order, this overlay's over its parent's; decoded ones as they are. */
  *entries(prefix: Uint8Array): Generator<[Uint8Array, Uint8Array | Rec]> {
    const p = keyString(prefix);
    const mine: string[] = [];
    for (const t of prefix.length > 0 ? [this.tabs[prefix[0] as number]] : this.tabs) {
      if (t) for (const h of t.keys()) if (h.startsWith(p)) mine.push(h);
    }
    mine.sort();
    const value = (h: string): Uint8Array | Rec | undefined => this.own(h) ?? undefined;
    let i = 0;
    for (const [k, v] of this.parent.scan(prefix)) {
      const h = keyString(k);
      while (i < mine.length && (mine[i] as string) < h) {
        const w = value(mine[i] as string);
        if (w) yield [keyBytes(mine[i] as string), w];
        i++;
      }
      if (i < mine.length && mine[i] === h) {
        const w = value(h);
        if (w) yield [k, w];
        i++;
        continue;
      }
      yield [k, v];
    }
    for (; i < mine.length; i++) {
      const w = value(mine[i] as string);
      if (w) yield [keyBytes(mine[i] as string), w];
    }
  }

  changes(): Array<[string, Uint8Array | null]> {
    const out: Array<[string, Uint8Array | null]> = [];
    for (const t of this.tabs)
      t?.forEach((e, h) => {
        out.push([h, entryBytes(e)]);
      });
    return out;
  }

  size(): number {
    let n = 0;
    for (const t of this.tabs) if (t) n += t.size;
    return n;
  }

  savepoint(): number {
    this.depth++;
    return this.journal.length;
  }

  rollback(savepoint: number): void {
    const j = this.journal;
    if (this.depth === 0) throw new StorageError("No savepoint is open", { code: "STORAGE_NO_SAVEPOINT" });
    for (let i = j.length - 2; i >= savepoint; i -= 2) {
      const h = j[i] as string;
      const prev = j[i + 1] as Entry | undefined;
      const t = this.tabs[h.charCodeAt(0)] as Map<string, Entry>;
      if (prev === undefined) t.delete(h);
      else t.set(h, prev);
    }
    j.length = savepoint;
    this.release(savepoint);
  }

  release(_savepoint: number): void {
    if (--this.depth <= 0) {
      this.depth = 0;
      this.journal.length = 0;
    }
  }

  commit(into?: KvWrite): void {
    const parent = this.parent;
    const target = into ?? (parent.put && parent.del ? (parent as KvWrite) : undefined);
    if (!target) throw new StorageError("Overlay parent is read-only", { code: "STORAGE_READ_ONLY" });
    const tabs = this.tabs;
    this.tabs = [];
    this.journal = [];
    this.depth = 0;
    // Into another overlay (a transaction into its block): hand over the key strings and the entries
    // this overlay owns, without converting keys or copying (or encoding) values.
    const o = (target as Keyed)[KEYED];
    // (forEach: a for-of over a Map makes an [key, value] array per entry)
    if (o instanceof Overlay) {
      for (const t of tabs)
        t?.forEach((e, h) => {
          o.write(h, e);
        });
      return;
    }
    const sink = (target as Keyed)[SINK];
    if (sink) {
      for (let c = 0; c < tabs.length; c++) {
        const t = tabs[c];
        if (t) sink(c, t, entryBytes as (e: unknown) => Uint8Array | null);
      }
      return;
    }
    // Tables in prefix order, keys sorted within each: the whole buffer in key order.
    for (const t of tabs) {
      if (!t) continue;
      for (const h of [...t.keys()].sort()) {
        const e = t.get(h) as Entry;
        if (e === null) target.del(keyBytes(h));
        else target.put(keyBytes(h), e instanceof Rec ? bytesOf(e) : e);
      }
    }
  }
}

/**
 * A write buffer over `parent`: reads see the buffer first; `commit()` writes it through, dropping it
 * writes nothing. Used for all-or-nothing steps inside a block (one transaction, one PoV's effects);
 * savepoints give the same inside one buffer without a buffer per step.
 *
 * @example
 * const o = createOverlay(tx);
 * o.kv.put(k, v);
 * if (allGood) o.commit();
 */
export function createOverlay(parent: KvRead & Partial<KvWrite>): OverlayControl {
  return new Overlay(parent);
}

/**
 * Reads and writes by key string, without converting keys or copying values: the state trie's access
 * to its nodes (thousands per block). `peek`ed bytes must not be written to; `write` takes ownership of
 * its bytes (null: a deletion). Over an overlay it goes straight to the overlay's maps.
 */
export interface KeyedWrite {
  peek(h: string): Uint8Array | undefined;
  write(h: string, v: Uint8Array | null): void;
}

/** {@link KeyedWrite} over `kv` (direct for an overlay; through `get`/`put`/`del` otherwise). */
export function keyedOf(kv: KvWrite): KeyedWrite {
  const o = (kv as Keyed)[KEYED];
  if (o instanceof Overlay) return o;
  return {
    peek: (h) => kv.get(keyBytes(h)),
    write: (h, v) => (v === null ? kv.del(keyBytes(h)) : kv.put(keyBytes(h), v)),
  };
}

/** The overlay whose `kv` this is, if it is one. */
export function overlayOf(kv: KvRead): OverlayControl | undefined {
  const o = (kv as Keyed)[KEYED];
  return o instanceof Overlay ? o : undefined;
}

/**
 * Runs `fn` all-or-nothing over `kv`: its writes stay when `keep(result)`, and are undone when it is
 * false or `fn` throws (the error is rethrown). Inside an overlay: a savepoint of that overlay.
 */
export function atomically<T>(kv: KvWrite, fn: (kv: KvWrite) => T, keep: (result: T) => boolean): T {
  const o = overlayOf(kv);
  if (o === undefined) {
    const inner = createOverlay(kv);
    const r = fn(inner.kv);
    if (keep(r)) inner.commit();
    return r;
  }
  const sp = o.savepoint();
  let r: T;
  try {
    r = fn(kv);
  } catch (e) {
    o.rollback(sp);
    throw e;
  }
  if (keep(r)) o.release(sp);
  else o.rollback(sp);
  return r;
}
