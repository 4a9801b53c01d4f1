/**
 * Fast codecs for the chain's hot state records (actors, accounts, meta, queued calls, receipts): the
 * same SCALE bytes as their `Struct` codecs in state.ts (test/chain/record-codec.test.ts checks both
 * ways), written with one DataView pass instead of scale-ts's per-field arrays and merges. Applying a
 * block of thousands of calls reads and writes these records several times per call.
 */

/** A record field: fixed-width integers, 32-byte ids, length-prefixed bytes, or a nested record. */
export type FieldKind = "u32" | "u64" | "u128" | "bytes32" | "bytes" | Fields;
export type Fields = ReadonlyArray<readonly [string, FieldKind]>;

export interface RecordCodec<T> {
  enc(value: T): Uint8Array;
  dec(bytes: Uint8Array): T;
}

const U64_MASK = (1n << 64n) - 1n;

/** Length of SCALE compact(n) for a byte-vector length (below 2^30). */
const compactLength = (n: number): number => (n < 1 << 6 ? 1 : n < 1 << 14 ? 2 : 4);

function size(fields: Fields, v: Record<string, unknown>): number {
  let n = 0;
  for (const [name, kind] of fields) {
    if (kind === "u32") n += 4;
    else if (kind === "u64") n += 8;
    else if (kind === "u128") n += 16;
    else if (kind === "bytes32") n += 32;
    else if (kind === "bytes") {
      const len = (v[name] as Uint8Array).length;
      n += compactLength(len) + len;
    } else n += size(kind, v[name] as Record<string, unknown>);
  }
  return n;
}

function write(
  fields: Fields,
  v: Record<string, unknown>,
  out: Uint8Array,
  dv: DataView,
  at: number,
): number {
  for (const [name, kind] of fields) {
    const x = v[name];
    if (kind === "u32") {
      dv.setUint32(at, x as number, true);
      at += 4;
    } else if (kind === "u64") {
      dv.setBigUint64(at, x as bigint, true);
      at += 8;
    } else if (kind === "u128") {
      const b = x as bigint;
      dv.setBigUint64(at, b & U64_MASK, true);
      dv.setBigUint64(at + 8, (b >> 64n) & U64_MASK, true);
      at += 16;
    } else if (kind === "bytes32") {
      const b = x as Uint8Array;
      if (b.length !== 32) throw new TypeError(`${name}: ${b.length} bytes, expected 32`);
      out.set(b, at);
      at += 32;
    } else if (kind === "bytes") {
      const b = x as Uint8Array;
      const len = b.length;
      if (len < 1 << 6) dv.setUint8(at++, len << 2);
      else if (len < 1 << 14) {
        dv.setUint16(at, (len << 2) | 1, true);
        at += 2;
      } else if (len < 1 << 30) {
        dv.setUint32(at, ((len << 2) | 2) >>> 0, true);
        at += 4;
      } else throw new RangeError(`${name}: ${len} bytes is too long for a state record`);
      out.set(b, at);
      at += len;
    } else at = write(kind, x as Record<string, unknown>, out, dv, at);
  }
  return at;
}

function read(fields: Fields, bytes: Uint8Array, dv: DataView, pos: { at: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of fields) {
    const at = pos.at;
    if (kind === "u32") {
      out[name] = dv.getUint32(at, true);
      pos.at += 4;
    } else if (kind === "u64") {
      out[name] = dv.getBigUint64(at, true);
      pos.at += 8;
    } else if (kind === "u128") {
      out[name] = (dv.getBigUint64(at + 8, true) << 64n) | dv.getBigUint64(at, true);
      pos.at += 16;
    } else if (kind === "bytes32") {
      if (at + 32 > bytes.length) throw new RangeError(`${name}: truncated record`);
      out[name] = bytes.slice(at, at + 32);
      pos.at += 32;
    } else if (kind === "bytes") {
      const mode = dv.getUint8(at) & 3;
      let len: number;
      if (mode === 0) {
        len = dv.getUint8(at) >>> 2;
        pos.at += 1;
      } else if (mode === 1) {
        len = dv.getUint16(at, true) >>> 2;
        pos.at += 2;
      } else if (mode === 2) {
        len = dv.getUint32(at, true) >>> 2;
        pos.at += 4;
      } else throw new RangeError(`${name}: byte vector too long for a state record`);
      if (pos.at + len > bytes.length) throw new RangeError(`${name}: truncated record`);
      out[name] = bytes.slice(pos.at, pos.at + len);
      pos.at += len;
    } else out[name] = read(kind, bytes, dv, pos);
  }
  return out;
}

/**
 * A codec for the record `fields` describe, in order (SCALE: fields concatenated, integers little
 * endian, `bytes` prefixed with its compact length). Decoding insists on consuming every byte.
 *
 * @example const Queue = recordCodec<Queue>([["first", "u64"], ["len", "u32"]]);
 */
export function recordCodec<T>(fields: Fields): RecordCodec<T> {
  return {
    enc(value) {
      const v = value as unknown as Record<string, unknown>;
      const out = new Uint8Array(size(fields, v));
      write(fields, v, out, new DataView(out.buffer), 0);
      return out;
    },
    dec(bytes) {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const pos = { at: 0 };
      const v = read(fields, bytes, dv, pos);
      if (pos.at !== bytes.length) {
        throw new RangeError(`record of ${bytes.length} bytes, ${pos.at} expected`);
      }
      return v as T;
    },
  };
}
