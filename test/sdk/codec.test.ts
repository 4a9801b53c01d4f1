import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { Bytes, bool, compact, Struct, str, u8, u16, u32, u64, u128 } from "../../src/codec/types.ts";
import { createHarness, type Harness } from "../../src/harness/index.ts";
import { buildFixture, cat, okBytes } from "./helpers.ts";

let h: Harness;
let id: ActorId;
beforeAll(async () => {
  h = createHarness();
  id = h.deploy((await buildFixture("codec")).blob);
});

const Echo = Struct({ a: u8, b: u16, c: u32, d: u64, e: u128, f: bool, g: compact, h: Bytes(), i: str });
const U64 = (1n << 64n) - 1n;
const U128 = (1n << 128n) - 1n;

describe("SDK SCALE Reader/Writer (AssemblyScript) against scale-ts", () => {
  it("round-trips every supported type bit-exactly", () => {
    fc.assert(
      fc.property(
        fc.record({
          a: fc.integer({ min: 0, max: 255 }),
          b: fc.integer({ min: 0, max: 0xffff }),
          c: fc.integer({ min: 0, max: 0xffff_ffff }),
          d: fc.bigInt({ min: 0n, max: U64 }),
          e: fc.bigInt({ min: 0n, max: U128 }),
          f: fc.boolean(),
          g: fc.oneof(fc.bigInt({ min: 0n, max: 1n << 31n }), fc.bigInt({ min: 0n, max: U64 })),
          h: fc.uint8Array({ maxLength: 300 }),
          i: fc.string({ maxLength: 80 }),
        }),
        (v) => {
          const bytes = Echo.enc(v);
          const out = okBytes(h.call(id, cat(Uint8Array.of(0), bytes)));
          expect(out).toEqual(bytes);
          const back = Echo.dec(out);
          expect(BigInt(back.g)).toBe(v.g); // scale-ts gives small compacts as numbers
          expect(back.i).toBe(v.i);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("decodes compact integers at every mode boundary", () => {
    for (const n of [0n, 63n, 64n, 16383n, 16384n, (1n << 30n) - 1n, 1n << 30n, 1n << 32n, 1n << 56n, U64]) {
      const out = okBytes(h.call(id, cat(Uint8Array.of(1), compact.enc(n))));
      expect(u64.dec(out)).toBe(n);
    }
  });

  it("rejects non-canonical and oversized compacts, and truncated input, by trapping", () => {
    const trap = { success: false, value: { tag: "Trap", value: undefined } };
    // 1 encoded in two-byte mode; 64 in four-byte mode; 2^30-1 in big-integer mode; a u128-sized compact.
    for (const bad of [
      [0x05, 0x00],
      [0x02, 0x01, 0x00, 0x00],
      [0x03, 0xff, 0xff, 0xff, 0x3f],
      [0x33, ...new Array(17).fill(1)],
      [0x03, 0x00, 0x00],
    ]) {
      expect(h.call(id, Uint8Array.from([1, ...bad]))).toEqual(trap);
    }
    expect(h.call(id, Uint8Array.of(0, 1, 2))).toEqual(trap);
    expect(h.logs.some((l) => l.startsWith("abort: SCALE: non-canonical compact"))).toBe(true);
  });

  it("U128 add / sub / mulU32 / lt / toString match bigint", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: U128 >> 1n }),
        fc.bigInt({ min: 0n, max: U128 >> 1n }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (a, b, m) => {
          fc.pre(a * BigInt(m) <= U128);
          const out = okBytes(h.call(id, cat(Uint8Array.of(2), u128.enc(a), u128.enc(b), u32.enc(m))));
          const v = Struct({ sum: u128, diff: u128, prod: u128, lt: bool, dec: str }).dec(out);
          expect(v).toEqual({
            sum: a + b,
            diff: a < b ? 0n : a - b,
            prod: a * BigInt(m),
            lt: a < b,
            dec: a.toString(),
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("U128 traps on underflow and overflow instead of wrapping", () => {
    const trap = { success: false, value: { tag: "Trap", value: undefined } };
    expect(h.call(id, cat(Uint8Array.of(3), u128.enc(1n), u128.enc(2n)))).toEqual(trap);
    expect(h.call(id, cat(Uint8Array.of(2), u128.enc(U128), u128.enc(1n), u32.enc(1)))).toEqual(trap);
    expect(h.call(id, cat(Uint8Array.of(2), u128.enc(1n), u128.enc(0n), u32.enc(0)))).toMatchObject({
      success: true,
    });
    expect(h.call(id, cat(Uint8Array.of(2), u128.enc(U128 / 2n + 1n), u128.enc(0n), u32.enc(2)))).toEqual(
      trap,
    );
  });
});
