// SCALE (Parity's Simple Concatenated Aggregate Little-Endian) reader and writer: the encoding of every
// call input, reply and postcard in Coreplay (src/codec/types.ts is the TypeScript side).
import { U128 } from "./u128";

/**
 * Reads SCALE values from bytes. Reading past the end traps (the entry fails with `Trap` and the image
 * rolls back), so a malformed call can never half-apply.
 *
 * @example
 * const r = new Reader(input());
 * const method = r.u8();
 * const amount = r.u128();
 */
export class Reader {
  pos: i32 = 0;

  constructor(public data: Uint8Array) {}

  get remaining(): i32 {
    return this.data.length - this.pos;
  }

  /** True when every byte was consumed. */
  get done(): bool {
    return this.pos == this.data.length;
  }

  private need(n: i32): usize {
    if (n < 0 || this.pos + n > this.data.length) abort("SCALE: input too short");
    const at = this.data.dataStart + <usize>this.pos;
    this.pos += n;
    return at;
  }

  u8(): u8 {
    return load<u8>(this.need(1));
  }

  bool(): bool {
    const b = this.u8();
    if (b > 1) abort("SCALE: invalid bool");
    return b == 1;
  }

  u16(): u16 {
    return load<u16>(this.need(2));
  }

  u32(): u32 {
    return load<u32>(this.need(4));
  }

  u64(): u64 {
    return load<u64>(this.need(8));
  }

  u128(): U128 {
    const lo = this.u64();
    const hi = this.u64();
    return new U128(lo, hi);
  }

  /** SCALE compact integer (up to u64; larger values trap). Non-canonical encodings trap. */
  compact(): u64 {
    const b0 = this.u8();
    const mode = b0 & 3;
    if (mode == 0) return <u64>(b0 >> 2);
    if (mode == 1) {
      const v = (<u64>b0 | (<u64>this.u8() << 8)) >> 2;
      if (v < 64) abort("SCALE: non-canonical compact");
      return v;
    }
    if (mode == 2) {
      const v = (<u64>b0 | (<u64>this.u8() << 8) | (<u64>this.u16() << 16)) >> 2;
      if (v < 1 << 14) abort("SCALE: non-canonical compact");
      return v;
    }
    const n = (b0 >> 2) + 4;
    if (n > 8) abort("SCALE: compact above u64");
    let v: u64 = 0;
    for (let i: u32 = 0; i < n; i++) v |= <u64>this.u8() << (8 * i);
    if (v < 1 << 30 || (n > 4 && v >> (8 * (n - 1)) == 0)) abort("SCALE: non-canonical compact");
    return v;
  }

  /** A fixed number of raw bytes (a copy). */
  fixed(n: i32): Uint8Array {
    const at = this.need(n);
    const out = new Uint8Array(n);
    memory.copy(out.dataStart, at, n);
    return out;
  }

  /** `Vec<u8>`: compact length then the bytes. */
  bytes(): Uint8Array {
    const n = this.compact();
    if (n > <u64>this.remaining) abort("SCALE: input too short");
    return this.fixed(<i32>n);
  }

  /** `String`: compact length then UTF-8. */
  str(): string {
    const b = this.bytes();
    return String.UTF8.decode(b.buffer);
  }

  /** The rest of the input, unparsed. */
  rest(): Uint8Array {
    return this.fixed(this.remaining);
  }
}

/**
 * Builds SCALE bytes. Grows as needed.
 *
 * @example
 * const w = new Writer();
 * w.u64(count);
 * reply(w.finish());
 */
export class Writer {
  private buf: Uint8Array;
  length: i32 = 0;

  constructor(capacity: i32 = 64) {
    this.buf = new Uint8Array(capacity > 0 ? capacity : 8);
  }

  private reserve(n: i32): usize {
    if (this.length + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.length + n) cap *= 2;
      const next = new Uint8Array(cap);
      memory.copy(next.dataStart, this.buf.dataStart, this.length);
      this.buf = next;
    }
    const at = this.buf.dataStart + <usize>this.length;
    this.length += n;
    return at;
  }

  u8(v: u8): Writer {
    store<u8>(this.reserve(1), v);
    return this;
  }

  bool(v: bool): Writer {
    return this.u8(v ? 1 : 0);
  }

  u16(v: u16): Writer {
    store<u16>(this.reserve(2), v);
    return this;
  }

  u32(v: u32): Writer {
    store<u32>(this.reserve(4), v);
    return this;
  }

  u64(v: u64): Writer {
    store<u64>(this.reserve(8), v);
    return this;
  }

  u128(v: U128): Writer {
    this.u64(v.lo);
    return this.u64(v.hi);
  }

  compact(v: u64): Writer {
    if (v < 1 << 6) return this.u8(<u8>(v << 2));
    if (v < 1 << 14) return this.u16(<u16>((v << 2) | 1));
    if (v < 1 << 30) return this.u32(<u32>((v << 2) | 2));
    let n: u32 = 8;
    while (n > 4 && v >> (8 * (n - 1)) == 0) n--;
    this.u8(<u8>(((n - 4) << 2) | 3));
    for (let i: u32 = 0; i < n; i++) this.u8(<u8>(v >> (8 * i)));
    return this;
  }

  /** Raw bytes, no length prefix. */
  raw(b: Uint8Array): Writer {
    const at = this.reserve(b.length);
    memory.copy(at, b.dataStart, b.length);
    return this;
  }

  /** `Vec<u8>`: compact length then the bytes. */
  bytes(b: Uint8Array): Writer {
    this.compact(<u64>b.length);
    return this.raw(b);
  }

  /** `String`: compact length then UTF-8. */
  str(s: string): Writer {
    return this.bytes(Uint8Array.wrap(String.UTF8.encode(s)));
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    memory.copy(out.dataStart, this.buf.dataStart, this.length);
    return out;
  }
}
