/**
 * A minimal strict SCALE reader/writer for the actor image (docs/abi.md, "Image encoding"). Hand-rolled
 * rather than scale-ts because images are up to 64 MiB of pages that must not be copied twice, and
 * because every read here must reject truncation and non-canonical compacts with a typed error.
 */
import { Writer as ByteWriter } from "../codec/fast.ts";
import { ImageError } from "./errors.ts";

/** The codec layer's growable buffer, with the few writes an image needs. */
export class Writer extends ByteWriter {
  constructor(capacity = 256) {
    super(capacity);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }

  u32(v: number): void {
    this.reserve(4);
    this.dv.setUint32(this.length, v, true);
    this.length += 4;
  }

  u64(v: bigint): void {
    this.reserve(8);
    this.dv.setBigUint64(this.length, v, true);
    this.length += 8;
  }

  /** SCALE compact integer (up to 2^53). */
  compact(v: number): void {
    if (v < 1 << 6) this.u8(v << 2);
    else if (v < 1 << 14) {
      this.u8(((v & 0x3f) << 2) | 1);
      this.u8(v >>> 6);
    } else if (v < 2 ** 30) this.u32(((v * 4) | 2) >>> 0);
    else {
      const bytes: number[] = [];
      let x = v;
      while (x > 0) {
        bytes.push(x % 256);
        x = Math.floor(x / 256);
      }
      this.u8(((bytes.length - 4) << 2) | 3);
      for (const b of bytes) this.u8(b);
    }
  }

  /** `Vec<u8>`: compact length then the bytes. */
  vec(b: Uint8Array): void {
    this.compact(b.byteLength);
    this.raw(b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class Reader {
  at = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  corrupt(details: string): ImageError {
    return new ImageError("Corrupt actor image", {
      code: "CORRUPT",
      details: `${details} at byte ${this.at}`,
    });
  }

  private need(n: number): void {
    if (this.at + n > this.bytes.byteLength) {
      throw this.corrupt(`truncated: need ${n} more bytes, have ${this.bytes.byteLength - this.at}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.at++];
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  raw(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  /** Canonical SCALE compact (the shortest mode), up to 2^53. */
  compact(): number {
    const b0 = this.u8();
    const mode = b0 & 3;
    if (mode === 0) return b0 >>> 2;
    if (mode === 1) {
      const v = (b0 >>> 2) | (this.u8() << 6);
      if (v < 1 << 6) throw this.corrupt("non-canonical compact");
      return v;
    }
    if (mode === 2) {
      this.at -= 1;
      const v = this.u32() >>> 2;
      if (v < 1 << 14) throw this.corrupt("non-canonical compact");
      return v;
    }
    const n = (b0 >>> 2) + 4;
    if (n > 7) throw this.corrupt("compact too large");
    const bytes = this.raw(n);
    if (bytes[n - 1] === 0) throw this.corrupt("non-canonical compact");
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + bytes[i];
    if (v < 2 ** 30) throw this.corrupt("non-canonical compact");
    return v;
  }

  vec(max: number): Uint8Array {
    const n = this.compact();
    if (n > max) throw this.corrupt(`length ${n} above the bound ${max}`);
    return this.raw(n);
  }

  end(): void {
    if (this.at !== this.bytes.byteLength) {
      throw this.corrupt(`${this.bytes.byteLength - this.at} trailing bytes`);
    }
  }
}
