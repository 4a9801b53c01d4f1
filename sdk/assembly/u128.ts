/** An unsigned 128-bit amount (balances are u128 in Coreplay), as two u64 halves. */
export class U128 {
  constructor(public lo: u64 = 0, public hi: u64 = 0) {}

  static from(v: u64): U128 {
    return new U128(v, 0);
  }

  static zero(): U128 {
    return new U128(0, 0);
  }

  clone(): U128 {
    return new U128(this.lo, this.hi);
  }

  isZero(): bool {
    return (this.lo | this.hi) == 0;
  }

  eq(o: U128): bool {
    return this.lo == o.lo && this.hi == o.hi;
  }

  lt(o: U128): bool {
    return this.hi < o.hi || (this.hi == o.hi && this.lo < o.lo);
  }

  gte(o: U128): bool {
    return !this.lt(o);
  }

  /** this + o; traps on overflow (balances never wrap). */
  add(o: U128): U128 {
    const lo = this.lo + o.lo;
    const carry: u64 = lo < this.lo ? 1 : 0;
    const hi = this.hi + o.hi;
    if (hi < this.hi) abort("u128 overflow");
    const hi2 = hi + carry;
    if (hi2 < hi) abort("u128 overflow");
    return new U128(lo, hi2);
  }

  /** this - o; traps on underflow (check with `lt` first). */
  sub(o: U128): U128 {
    if (this.lt(o)) abort("u128 underflow");
    const lo = this.lo - o.lo;
    const borrow: u64 = this.lo < o.lo ? 1 : 0;
    return new U128(lo, this.hi - o.hi - borrow);
  }

  /** this * m for a small multiplier (fees, deposits); traps on overflow. */
  mulU32(m: u32): U128 {
    const a0 = this.lo & 0xffffffff;
    const a1 = this.lo >> 32;
    const p0 = a0 * <u64>m;
    const p1 = a1 * <u64>m + (p0 >> 32);
    const lo = (p0 & 0xffffffff) | (p1 << 32);
    const hiMul = this.hi * <u64>m;
    if (m != 0 && hiMul / <u64>m != this.hi) abort("u128 overflow");
    const hi = hiMul + (p1 >> 32);
    if (hi < hiMul) abort("u128 overflow");
    return new U128(lo, hi);
  }

  toString(): string {
    if (this.hi == 0) return this.lo.toString();
    // Decimal by repeated division by 10 (rare: only for logs).
    let hi = this.hi;
    let lo = this.lo;
    let out = "";
    while (hi != 0 || lo != 0) {
      const rHi = hi % 10;
      hi = hi / 10;
      // (rHi * 2^64 + lo) / 10, done 32 bits at a time.
      const mid = (rHi << 32) | (lo >> 32);
      const qMid = mid / 10;
      const rMid = mid % 10;
      const low = (rMid << 32) | (lo & 0xffffffff);
      const qLow = low / 10;
      const digit = low % 10;
      lo = (qMid << 32) | qLow;
      out = String.fromCharCode(<i32>(48 + digit)) + out;
    }
    return out;
  }
}
