/**
 * A strict, allocation-light twin of the scale-ts codecs built through `codec/types.ts`.
 *
 * Every codec built with the constructors re-exported by `codec/types.ts` (`Struct`, `Vector`, `Enum`, …)
 * gets, beside its scale-ts encoder and decoder, a {@link Fast} entry:
 * - `dec` reads from a {@link Reader} and rejects, while it reads, everything scale-ts would decode to a
 *   value that does not re-encode to the same bytes: truncation, compacts not in their shortest form,
 *   booleans other than 0/1, Option/Result/Enum tags out of range, strings whose UTF-8 does not round-trip.
 *   So `decodeExact` needs no re-encode: it accepts exactly the canonical encodings, as before.
 * - `enc` writes into a growable {@link Writer}, byte for byte what scale-ts's encoder returns (scale-ts
 *   merges a fresh buffer at every level of nesting).
 * Codecs made any other way (scale-ts directly, `enhanceCodec`, `Enum` with explicit indexes,
 * `Bytes(Infinity)`, a variable-length `Vector` of a zero-size item) have no entry: callers fall back to
 * scale-ts.
 */
import {
  _void,
  bool,
  type Codec,
  compact,
  Bytes as ScaleBytes,
  Enum as ScaleEnum,
  Option as ScaleOption,
  Result as ScaleResult,
  Struct as ScaleStruct,
  Tuple as ScaleTuple,
  Vector as ScaleVector,
  str,
  u8,
  u16,
  u32,
  u64,
  u128,
} from "scale-ts";

/** Input being decoded: `b` is a plain Uint8Array over exactly the input, `dv` a DataView over the same. */
export interface Reader {
  readonly b: Uint8Array;
  readonly dv: DataView;
  i: number;
  /** Byte fields are views into `b` (no copy) rather than copies. */
  readonly views: boolean;
}

/** Why a fast decode refused its input (carries no stack: it is an expected outcome). */
export class Refusal {
  constructor(readonly reason: string) {}
}

export interface Fast<T> {
  dec(r: Reader): T;
  enc(w: Writer, v: T): void;
  /** The fewest bytes any value's encoding takes. */
  readonly min: number;
  /** Steps over one value, refusing exactly what `dec` refuses, without building it ({@link skipWith}). */
  skip?(r: Reader): void;
}

/**
 * Steps over one value of `fast` in `r`, refusing exactly what `fast.dec` refuses, without building
 * it: for a reader that needs only what follows (a PoV's slabs, after its agenda). Codecs without a
 * `skip` of their own decode and drop the value.
 */
export function skipWith<T>(fast: Fast<T>, r: Reader): void {
  if (fast.skip !== undefined) fast.skip(r);
  else fast.dec(r);
}

const registry = new WeakMap<object, Fast<unknown>>();

/** The fast twin of `codec`, if it was built through `codec/types.ts`. */
export function fastOf<T>(codec: Codec<T>): Fast<T> | undefined {
  return registry.get(codec) as Fast<T> | undefined;
}

function register<T>(codec: Codec<T>, fast: Fast<T> | undefined): Codec<T> {
  if (fast !== undefined) registry.set(codec, fast as Fast<unknown>);
  return codec;
}

export function reader(bytes: Uint8Array, views: boolean): Reader {
  const b =
    bytes.constructor === Uint8Array
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { b, dv: new DataView(b.buffer, b.byteOffset, b.byteLength), i: 0, views };
}

function need(r: Reader, n: number): void {
  if (r.i + n > r.b.length) {
    throw new Refusal(`truncated input: need ${n} bytes at ${r.i}, have ${r.b.length - r.i}`);
  }
}

/** A growable output buffer. */
export class Writer {
  buf: Uint8Array;
  dv: DataView;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
    this.dv = new DataView(this.buf.buffer);
  }

  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
}

let spare: Writer | undefined = new Writer(8192);

/**
 * `fast.enc` into a fresh Uint8Array of exactly the encoding (one copy out of a reused scratch buffer).
 */
export function encodeWith<T>(fast: Fast<T>, value: T): Uint8Array {
  const w = spare ?? new Writer();
  spare = undefined; // re-entrant use gets a writer of its own
  try {
    w.length = 0;
    fast.enc(w, value);
    return w.buf.slice(0, w.length);
  } finally {
    if (w.buf.length <= 1 << 20) spare = w;
  }
}

// ---- primitives ---------------------------------------------------------------------------------

/** A fixed-size integer read and written through a DataView (little-endian). */
function registerFixed<T>(
  codec: Codec<T>,
  size: number,
  get: (dv: DataView, at: number) => T,
  set: (dv: DataView, at: number, v: T) => void,
): void {
  register(codec, {
    min: size,
    dec(r) {
      need(r, size);
      const v = get(r.dv, r.i);
      r.i += size;
      return v;
    },
    enc(w, v) {
      w.reserve(size);
      set(w.dv, w.length, v);
      w.length += size;
    },
    skip(r) {
      need(r, size);
      r.i += size;
    },
  });
}

registerFixed(
  u8,
  1,
  (dv, at) => dv.getUint8(at),
  (dv, at, v) => dv.setUint8(at, v),
);
registerFixed(
  u16,
  2,
  (dv, at) => dv.getUint16(at, true),
  (dv, at, v) => dv.setUint16(at, v, true),
);
registerFixed(
  u32,
  4,
  (dv, at) => dv.getUint32(at, true),
  (dv, at, v) => dv.setUint32(at, v, true),
);
registerFixed(
  u64,
  8,
  (dv, at) => dv.getBigUint64(at, true),
  (dv, at, v) => dv.setBigUint64(at, v, true),
);

register(u128, {
  min: 16,
  dec(r) {
    need(r, 16);
    const lo = r.dv.getBigUint64(r.i, true);
    const hi = r.dv.getBigUint64(r.i + 8, true);
    r.i += 16;
    return (hi << 64n) | lo;
  },
  enc(w, v) {
    // As scale-ts: two signed 64-bit stores (so out-of-range values wrap the same way).
    w.reserve(16);
    w.dv.setBigInt64(w.length, v, true);
    w.dv.setBigInt64(w.length + 8, v >> 64n, true);
    w.length += 16;
  },
});

register(bool, {
  min: 1,
  dec(r) {
    need(r, 1);
    const b = r.b[r.i++];
    if (b === 0) return false;
    if (b === 1) return true;
    throw new Refusal(`non-canonical bool ${b} at ${r.i - 1}`);
  },
  enc(w, v) {
    w.reserve(1);
    w.buf[w.length++] = v ? 1 : 0;
  },
});

register(_void, {
  min: 0,
  dec() {
    return undefined;
  },
  enc() {},
});

/** A compact below 2^30 in its shortest form (scale-ts returns those as numbers). */
function compactSmall(r: Reader): number {
  need(r, 1);
  const b0 = r.b[r.i] as number;
  switch (b0 & 3) {
    case 0:
      r.i += 1;
      return b0 >>> 2;
    case 1: {
      need(r, 2);
      const v = r.dv.getUint16(r.i, true) >>> 2;
      if (v < 1 << 6) throw new Refusal(`non-canonical compact at ${r.i}`);
      r.i += 2;
      return v;
    }
    case 2: {
      need(r, 4);
      const v = r.dv.getUint32(r.i, true) >>> 2;
      if (v < 1 << 14) throw new Refusal(`non-canonical compact at ${r.i}`);
      r.i += 4;
      return v;
    }
    default:
      return -1;
  }
}

/** A length prefix: scale-ts cannot use a compact of 2^30 or more as a length (it is a bigint). */
function lengthOf(r: Reader, min: number): number {
  const n = compactSmall(r);
  if (n < 0) throw new Refusal(`length of 2^30 or more at ${r.i}`);
  if (n * min > r.b.length - r.i) {
    throw new Refusal(`truncated input: ${n} items need at least ${n * min} bytes at ${r.i}`);
  }
  return n;
}

function writeCompact(w: Writer, v: number | bigint): void {
  if (v < 0) throw new Error(`Wrong compact input (${v})`);
  const n = Number(v) << 2;
  if (v < 1 << 6) {
    w.reserve(1);
    w.dv.setUint8(w.length, n);
    w.length += 1;
  } else if (v < 1 << 14) {
    w.reserve(2);
    w.dv.setUint16(w.length, n | 1, true);
    w.length += 2;
  } else if (v < 1 << 30) {
    w.reserve(4);
    w.dv.setUint32(w.length, n | 2, true);
    w.length += 4;
  } else w.raw(compact.enc(v));
}

register(compact, {
  min: 1,
  dec(r) {
    const small = compactSmall(r);
    if (small >= 0) return small;
    // 2^30 or more: rare, so checked by re-encoding (the bytes must be scale-ts's, the shortest).
    const n = ((r.b[r.i] as number) >>> 2) + 4;
    need(r, 1 + n);
    let v = 0n;
    for (let k = n; k >= 1; k--) v = (v << 8n) | BigInt(r.b[r.i + k] as number);
    const again = compact.enc(v);
    for (let k = 0; k <= n; k++) {
      if (again[k] !== r.b[r.i + k]) throw new Refusal(`non-canonical compact at ${r.i}`);
    }
    r.i += 1 + n;
    return v;
  },
  enc: writeCompact,
});

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

register(str, {
  min: 1,
  dec(r) {
    const n = lengthOf(r, 1);
    need(r, n);
    const bytes = r.b.subarray(r.i, r.i + n);
    r.i += n;
    let ascii = true;
    for (let k = 0; k < n; k++) {
      if ((bytes[k] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    const s = textDecoder.decode(bytes);
    if (!ascii) {
      // What scale-ts decodes must encode back to the same bytes (no invalid UTF-8, no leading BOM).
      const again = textEncoder.encode(s);
      if (again.length !== n || !again.every((x, k) => x === bytes[k])) {
        throw new Refusal(`string that is not canonical UTF-8 at ${r.i - n}`);
      }
    }
    return s;
  },
  enc(w, v) {
    const bytes = textEncoder.encode(v);
    writeCompact(w, bytes.length);
    w.raw(bytes);
  },
});

// ---- constructors -------------------------------------------------------------------------------

function all<T>(codecs: readonly Codec<T>[]): Fast<T>[] | undefined {
  const out: Fast<T>[] = [];
  for (const c of codecs) {
    const f = fastOf(c);
    if (f === undefined) return undefined;
    out.push(f);
  }
  return out;
}

function fastBytes(size: number | undefined): Fast<Uint8Array> | undefined {
  if (size === undefined) {
    return {
      min: 1,
      dec(r) {
        const n = lengthOf(r, 1);
        const at = r.i;
        r.i += n;
        return r.views ? r.b.subarray(at, at + n) : r.b.slice(at, at + n);
      },
      enc(w, v) {
        writeCompact(w, v.length);
        w.raw(v);
      },
      skip(r) {
        const n = lengthOf(r, 1); // first: it moves r.i past the length
        r.i += n;
      },
    };
  }
  if (!(Number.isSafeInteger(size) && size >= 0)) return undefined;
  return {
    min: size,
    dec(r) {
      need(r, size);
      const at = r.i;
      r.i += size;
      return r.views ? r.b.subarray(at, at + size) : r.b.slice(at, at + size);
    },
    skip(r) {
      need(r, size);
      r.i += size;
    },
    enc(w, v) {
      // scale-ts writes the value as is when its length is right, else its first `size` bytes.
      w.raw(v.length === size ? v : v.subarray(0, size));
    },
  };
}

function fastVector<T>(inner: Fast<T>, size: number | undefined): Fast<T[]> | undefined {
  if (size !== undefined && size >= 0) {
    if (!Number.isSafeInteger(size)) return undefined;
    return {
      min: size * inner.min,
      dec(r) {
        const out = new Array<T>(size);
        for (let k = 0; k < size; k++) out[k] = inner.dec(r);
        return out;
      },
      skip(r) {
        for (let k = 0; k < size; k++) skipWith(inner, r);
      },
      enc(w, v) {
        for (let k = 0; k < v.length; k++) inner.enc(w, v[k] as T);
      },
    };
  }
  if (inner.min === 0) return undefined;
  return {
    min: 1,
    dec(r) {
      const n = lengthOf(r, inner.min);
      const out = new Array<T>(n);
      for (let k = 0; k < n; k++) out[k] = inner.dec(r);
      return out;
    },
    skip(r) {
      const n = lengthOf(r, inner.min);
      for (let k = 0; k < n; k++) skipWith(inner, r);
    },
    enc(w, v) {
      writeCompact(w, v.length);
      for (let k = 0; k < v.length; k++) inner.enc(w, v[k] as T);
    },
  };
}

function fastStruct(keys: string[], fields: Fast<unknown>[]): Fast<Record<string, unknown>> {
  const n = keys.length;
  return {
    min: fields.reduce((m, f) => m + f.min, 0),
    dec(r) {
      const out: Record<string, unknown> = {};
      for (let k = 0; k < n; k++) out[keys[k] as string] = (fields[k] as Fast<unknown>).dec(r);
      return out;
    },
    skip(r) {
      for (let k = 0; k < n; k++) skipWith(fields[k] as Fast<unknown>, r);
    },
    enc(w, v) {
      for (let k = 0; k < n; k++) (fields[k] as Fast<unknown>).enc(w, v[keys[k] as string]);
    },
  };
}

function fastTuple(fields: Fast<unknown>[]): Fast<unknown[]> {
  const n = fields.length;
  return {
    min: fields.reduce((m, f) => m + f.min, 0),
    dec(r) {
      const out = new Array<unknown>(n);
      for (let k = 0; k < n; k++) out[k] = (fields[k] as Fast<unknown>).dec(r);
      return out;
    },
    enc(w, v) {
      for (let k = 0; k < n; k++) (fields[k] as Fast<unknown>).enc(w, v[k]);
    },
  };
}

type Tagged = { tag: string; value: unknown };

function fastEnum(codec: Codec<Tagged>, keys: string[], variants: Fast<unknown>[]): Fast<Tagged> {
  const index = new Map(keys.map((k, i) => [k, i]));
  return {
    min: 1 + Math.min(...variants.map((v) => v.min)),
    dec(r) {
      need(r, 1);
      const i = r.b[r.i] as number;
      if (i >= keys.length) throw new Refusal(`enum tag ${i} out of range at ${r.i}`);
      r.i += 1;
      return { tag: keys[i] as string, value: (variants[i] as Fast<unknown>).dec(r) };
    },
    skip(r) {
      need(r, 1);
      const i = r.b[r.i] as number;
      if (i >= keys.length) throw new Refusal(`enum tag ${i} out of range at ${r.i}`);
      r.i += 1;
      skipWith(variants[i] as Fast<unknown>, r);
    },
    enc(w, v) {
      const i = index.get(v.tag);
      if (i === undefined) {
        w.raw(codec.enc(v)); // whatever scale-ts does with a tag it does not know (it throws)
        return;
      }
      w.reserve(1);
      w.buf[w.length++] = i;
      (variants[i] as Fast<unknown>).enc(w, v.value);
    },
  };
}

function fastOption<T>(inner: Fast<T>): Fast<T | undefined> {
  return {
    min: 1,
    dec(r) {
      need(r, 1);
      const t = r.b[r.i++];
      if (t === 0) return undefined;
      if (t === 1) {
        const v = inner.dec(r);
        // Some(x) with x undefined (an Option in an Option, a void) encodes as None: not canonical.
        if (v === undefined) throw new Refusal(`option Some of nothing at ${r.i - 1}`);
        return v;
      }
      throw new Refusal(`option tag ${t} at ${r.i - 1}`);
    },
    enc(w, v) {
      w.reserve(1);
      if (v === undefined) {
        w.buf[w.length++] = 0;
        return;
      }
      w.buf[w.length++] = 1;
      inner.enc(w, v);
    },
  };
}

type Res = { success: boolean; value: unknown };

function fastResult(ok: Fast<unknown>, ko: Fast<unknown>): Fast<Res> {
  return {
    min: 1 + Math.min(ok.min, ko.min),
    dec(r) {
      need(r, 1);
      const t = r.b[r.i++];
      if (t === 0) return { success: true, value: ok.dec(r) };
      if (t === 1) return { success: false, value: ko.dec(r) };
      throw new Refusal(`result tag ${t} at ${r.i - 1}`);
    },
    enc(w, v) {
      w.reserve(1);
      w.buf[w.length++] = v.success ? 0 : 1;
      (v.success ? ok : ko).enc(w, v.value);
    },
  };
}

// The constructors `codec/types.ts` re-exports: scale-ts's, registering a fast twin when every part has one.

export const Bytes = Object.assign((nBytes?: number) => register(ScaleBytes(nBytes), fastBytes(nBytes)), {
  enc: ScaleBytes.enc,
  dec: ScaleBytes.dec,
}) as typeof ScaleBytes;

export const Vector = Object.assign(
  <T>(inner: Codec<T>, size?: number) => {
    const f = fastOf(inner);
    return register(ScaleVector(inner, size), f && fastVector(f, size));
  },
  { enc: ScaleVector.enc, dec: ScaleVector.dec },
) as typeof ScaleVector;

export const Struct = Object.assign(
  (codecs: Record<string, Codec<unknown>>) => {
    const codec = (ScaleStruct as (c: unknown) => Codec<Record<string, unknown>>)(codecs);
    const keys = Object.keys(codecs);
    const fields = all(keys.map((k) => codecs[k] as Codec<unknown>));
    return register(codec, fields && fastStruct(keys, fields));
  },
  { enc: ScaleStruct.enc, dec: ScaleStruct.dec },
) as unknown as typeof ScaleStruct;

export const Tuple = Object.assign(
  (...codecs: Codec<unknown>[]) => {
    const codec = ScaleTuple(...codecs) as Codec<unknown[]>;
    const fields = all(codecs);
    return register(codec, fields && fastTuple(fields));
  },
  { enc: ScaleTuple.enc, dec: ScaleTuple.dec },
) as unknown as typeof ScaleTuple;

export const Enum = Object.assign(
  (inner: Record<string, Codec<unknown>>, indexes?: unknown) => {
    const codec = (ScaleEnum as (i: unknown, x?: unknown) => Codec<Tagged>)(inner, indexes);
    const keys = Object.keys(inner);
    const variants = all(keys.map((k) => inner[k] as Codec<unknown>));
    const plain = indexes === undefined && keys.length > 0 && keys.length <= 256;
    return register(codec, plain && variants ? fastEnum(codec, keys, variants) : undefined);
  },
  { enc: ScaleEnum.enc, dec: ScaleEnum.dec },
) as unknown as typeof ScaleEnum;

export const Option = Object.assign(
  <T>(inner: Codec<T>) => {
    const f = fastOf(inner);
    return register(ScaleOption(inner), f && fastOption(f));
  },
  { enc: ScaleOption.enc, dec: ScaleOption.dec },
) as typeof ScaleOption;

export const Result = Object.assign(
  <OK, KO>(okCodec: Codec<OK>, koCodec: Codec<KO>) => {
    const ok = fastOf(okCodec);
    const ko = fastOf(koCodec);
    const codec = ScaleResult(okCodec, koCodec) as unknown as Codec<Res>;
    return register(codec, ok && ko ? fastResult(ok as Fast<unknown>, ko as Fast<unknown>) : undefined);
  },
  { enc: ScaleResult.enc, dec: ScaleResult.dec },
) as unknown as typeof ScaleResult;
