/**
 * `decodeExact` decodes in one strict pass (src/codec/fast.ts) instead of decode + re-encode + compare.
 * The old implementation is kept here as the oracle: for random codec shapes, random values and random
 * mutations of their encodings, both accept exactly the same inputs and give the same values; `encode`
 * gives scale-ts's bytes.
 */
import fc from "fast-check";
import type { Codec } from "scale-ts";
import { describe, expect, it } from "vitest";
import { bytesEqual } from "../../src/codec/bytes.ts";
import {
  _void,
  Bytes,
  bool,
  CodecError,
  compact,
  decodeExact,
  Enum,
  encode,
  Option,
  Pov,
  Result,
  Struct,
  str,
  Tuple,
  u8,
  u16,
  u32,
  u64,
  u128,
  Vector,
  Witness,
} from "../../src/codec/types.ts";

/** The implementation before the fast decoder, verbatim but for the error type. */
function oracle<T>(codec: Codec<T>, bytes: Uint8Array): T {
  const value = codec.dec(bytes);
  const again = codec.enc(value);
  if (!bytesEqual(again, bytes)) throw new Error("not canonical");
  return value;
}

type Outcome = { ok: true; value: unknown } | { ok: false };

function run(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch {
    return { ok: false };
  }
}

/**
 * The new decoder agrees with the oracle on `bytes` (given in a buffer of their own, as the oracle needs).
 * One deliberate difference: scale-ts decodes a fixed-size `Bytes(n)` cut short by the end of the input
 * to a shorter array, and encodes it back as is, so the oracle accepted such truncated input (e.g. a
 * `SignedTx` whose 64-byte signature is cut short). That value is not of the codec's type, so its bytes
 * are no value's encoding: with `typed`, an oracle success whose value fails it counts as a rejection.
 */
function agree<T>(codec: Codec<T>, bytes: Uint8Array, typed?: (v: unknown) => boolean): Outcome {
  const own = bytes.slice();
  let old = run(() => oracle(codec, own));
  if (old.ok && typed !== undefined && !typed(old.value)) old = { ok: false };
  const copied = run(() => decodeExact(codec, own, "x"));
  const viewed = run(() => decodeExact(codec, own, "x", { views: true }));
  expect(copied.ok).toBe(old.ok);
  expect(viewed.ok).toBe(old.ok);
  if (old.ok && copied.ok && viewed.ok) {
    expect(copied.value).toEqual(old.value);
    expect(viewed.value).toEqual(old.value);
  }
  if (!copied.ok) expect(() => decodeExact(codec, own, "x")).toThrow(CodecError);
  // The input is never written to.
  expect(own).toEqual(bytes);
  return old;
}

// ---- random codec shapes and values -------------------------------------------------------------

type Shape =
  | { k: "u8" | "u16" | "u32" | "u64" | "u128" | "bool" | "compact" | "str" | "void" }
  | { k: "bytes"; n?: number }
  | { k: "vec"; inner: Shape; n?: number }
  | { k: "struct"; fields: Shape[] }
  | { k: "tuple"; items: Shape[] }
  | { k: "enum"; variants: Shape[] }
  | { k: "option"; inner: Shape }
  | { k: "result"; ok: Shape; ko: Shape };

const leaf: fc.Arbitrary<Shape> = fc.oneof(
  fc
    .constantFrom("u8", "u16", "u32", "u64", "u128", "bool", "compact", "str", "void")
    .map((k) => ({ k }) as Shape),
  fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }).map((n) => ({ k: "bytes", n }) as Shape),
);

/** Whether every byte the shape reads is in a fixed-size `Bytes(n)` (scale-ts reads those past the end of the input without failing). */
function clampOnly(s: Shape): boolean {
  switch (s.k) {
    case "void":
      return true;
    case "bytes":
      return s.n !== undefined;
    case "vec":
      return s.n === 0 || (s.n !== undefined && clampOnly(s.inner));
    case "struct":
      return s.fields.every(clampOnly);
    case "tuple":
      return s.items.every(clampOnly);
    default:
      return false;
  }
}

/**
 * Random codec shapes. The items of a variable-length vector start with a u8 when they would otherwise
 * read only fixed-size bytes: scale-ts decodes as many of those as a (mutated) compact length says, up
 * to 2^30, without failing at the end of the input, and the oracle would run out of memory. (A vector
 * of zero-size items `fast.ts` leaves to scale-ts.)
 */
const { shape } = fc.letrec<{ shape: Shape }>((tie) => ({
  shape: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({ inner: tie("shape"), n: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }) }).map(
      ({ inner, n }) =>
        ({
          k: "vec",
          inner: n === undefined && clampOnly(inner) ? { k: "tuple", items: [{ k: "u8" }, inner] } : inner,
          n,
        }) as Shape,
    ),
    fc.array(tie("shape"), { maxLength: 4 }).map((fields) => ({ k: "struct", fields }) as Shape),
    fc.array(tie("shape"), { maxLength: 3 }).map((items) => ({ k: "tuple", items }) as Shape),
    fc
      .array(tie("shape"), { minLength: 1, maxLength: 4 })
      .map((variants) => ({ k: "enum", variants }) as Shape),
    tie("shape").map((inner) => ({ k: "option", inner }) as Shape),
    fc.record({ ok: tie("shape"), ko: tie("shape") }).map((r) => ({ k: "result", ...r }) as Shape),
  ),
}));

const codecs = new Map<string, Codec<unknown>>();

function codecOf(s: Shape): Codec<unknown> {
  const key = JSON.stringify(s);
  let c = codecs.get(key);
  if (c === undefined) {
    c = build(s);
    codecs.set(key, c);
  }
  return c;
}

function build(s: Shape): Codec<unknown> {
  const any = (c: unknown) => c as Codec<unknown>;
  switch (s.k) {
    case "u8":
      return any(u8);
    case "u16":
      return any(u16);
    case "u32":
      return any(u32);
    case "u64":
      return any(u64);
    case "u128":
      return any(u128);
    case "bool":
      return any(bool);
    case "compact":
      return any(compact);
    case "str":
      return any(str);
    case "void":
      return any(_void);
    case "bytes":
      return any(Bytes(s.n));
    case "vec":
      return any(Vector(codecOf(s.inner), s.n));
    case "struct":
      return any(Struct(Object.fromEntries(s.fields.map((f, i) => [`f${i}`, codecOf(f)])) as never));
    case "tuple":
      return any(Tuple(...s.items.map(codecOf)));
    case "enum":
      return any(Enum(Object.fromEntries(s.variants.map((f, i) => [`V${i}`, codecOf(f)])) as never));
    case "option":
      return any(Option(codecOf(s.inner)));
    case "result":
      return any(Result(codecOf(s.ok), codecOf(s.ko)));
  }
}

const te = new TextEncoder();
const td = new TextDecoder();
/** Strings scale-ts can carry: well-formed UTF-16 with no leading BOM (TextDecoder drops one). */
const text = fc.string({ unit: "binary", maxLength: 6 }).filter((s) => td.decode(te.encode(s)) === s);

function arbOf(s: Shape): fc.Arbitrary<unknown> {
  switch (s.k) {
    case "u8":
      return fc.integer({ min: 0, max: 0xff });
    case "u16":
      return fc.integer({ min: 0, max: 0xffff });
    case "u32":
      return fc.integer({ min: 0, max: 0xffff_ffff });
    case "u64":
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case "u128":
      return fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    case "bool":
      return fc.boolean();
    case "compact":
      // scale-ts decodes compacts below 2^30 as numbers, the others as bigints.
      return fc.oneof(
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 0, max: 2 ** 30 - 1 }),
        fc.bigInt({ min: 1n << 30n, max: 1n << 80n }),
        fc.bigInt({ min: 1n << 30n, max: 1n << 300n }),
      );
    case "str":
      return text;
    case "void":
      return fc.constant(undefined);
    case "bytes":
      return s.n === undefined
        ? fc.uint8Array({ maxLength: 70 })
        : fc.uint8Array({ minLength: s.n, maxLength: s.n });
    case "vec":
      return fc.array(
        arbOf(s.inner),
        s.n === undefined ? { maxLength: 4 } : { minLength: s.n, maxLength: s.n },
      );
    case "struct":
      return fc.tuple(...s.fields.map(arbOf)).map((vs) => Object.fromEntries(vs.map((v, i) => [`f${i}`, v])));
    case "tuple":
      return fc.tuple(...s.items.map(arbOf));
    case "enum":
      return fc.oneof(...s.variants.map((v, i) => arbOf(v).map((value) => ({ tag: `V${i}`, value }))));
    case "option":
      // An Option of an Option cannot carry Some(None): scale-ts decodes both as undefined.
      return s.inner.k === "option" || s.inner.k === "void"
        ? fc.constant(undefined)
        : fc.option(arbOf(s.inner), { nil: undefined });
    case "result":
      return fc.oneof(
        arbOf(s.ok).map((value) => ({ success: true, value })),
        arbOf(s.ko).map((value) => ({ success: false, value })),
      );
  }
}

/** Whether a value the oracle decoded is of the shape's type (every `Bytes(n)` has n bytes). */
function typed(s: Shape): (v: unknown) => boolean {
  return (v) => conforms(s, v);
}
function conforms(s: Shape, v: unknown): boolean {
  switch (s.k) {
    case "bytes":
      return s.n === undefined || (v as Uint8Array).length === s.n;
    case "vec":
      return (v as unknown[]).every((x) => conforms(s.inner, x));
    case "struct":
      return s.fields.every((f, i) => conforms(f, (v as Record<string, unknown>)[`f${i}`]));
    case "tuple":
      return s.items.every((f, i) => conforms(f, (v as unknown[])[i]));
    case "enum": {
      const { tag, value } = v as { tag: string; value: unknown };
      return conforms(s.variants[Number(tag.slice(1))] as Shape, value);
    }
    case "option":
      return v === undefined || conforms(s.inner, v);
    case "result": {
      const r = v as { success: boolean; value: unknown };
      return conforms(r.success ? s.ok : s.ko, r.value);
    }
    default:
      return true;
  }
}

const sample = shape.chain((s) => arbOf(s).map((value) => ({ s, codec: codecOf(s), value })));

type Mutation =
  | { k: "set"; at: number; byte: number }
  | { k: "delete"; at: number }
  | { k: "insert"; at: number; byte: number }
  | { k: "truncate"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ k: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = [...bytes];
  for (const m of ms) {
    const at = m.at % (b.length + 1);
    if (m.k === "set" && b.length > 0) b[at % b.length] = m.byte;
    else if (m.k === "delete" && b.length > 0) b.splice(at % b.length, 1);
    else if (m.k === "insert") b.splice(at, 0, m.byte);
    else if (m.k === "truncate") b = b.slice(0, at);
  }
  return Uint8Array.from(b);
}

describe("decodeExact (strict one-pass decoder)", () => {
  it("decodes the encoding of every value to that value", () => {
    fc.assert(
      fc.property(sample, ({ codec, value }) => {
        const bytes = codec.enc(value);
        expect(decodeExact(codec, bytes, "x")).toEqual(value);
        expect(decodeExact(codec, bytes, "x", { views: true })).toEqual(value);
        expect(agree(codec, bytes)).toEqual({ ok: true, value });
      }),
      { numRuns: 1500 },
    );
  });

  it("accepts a mutated encoding exactly when decode + re-encode does, with the same value", () => {
    fc.assert(
      fc.property(sample, fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ s, codec, value }, ms) => {
        agree(codec, mutate(codec.enc(value), ms), typed(s));
      }),
      { numRuns: 1500 },
    );
  });

  it("agrees with decode + re-encode on arbitrary short byte strings", () => {
    const small = shape.filter((s) => JSON.stringify(s).length < 120);
    let accepted = 0;
    fc.assert(
      fc.property(small, fc.uint8Array({ maxLength: 10 }), (s, bytes) => {
        if (agree(codecOf(s), bytes, typed(s)).ok) accepted++;
      }),
      { numRuns: 2000 },
    );
    // The property must not hold vacuously: some random strings are canonical encodings.
    expect(accepted).toBeGreaterThan(20);
  });

  it("rejects each kind of non-canonical input, as the oracle does", () => {
    const rejected: Array<[Codec<unknown>, number[]]> = [
      [compact as Codec<unknown>, [0x01, 0x00]], // 0 in two bytes
      [compact as Codec<unknown>, [0xfd, 0x00]], // 63 in two bytes
      [compact as Codec<unknown>, [0x02, 0x00, 0x00, 0x00]], // 0 in four bytes
      [compact as Codec<unknown>, [0xfe, 0xff, 0x00, 0x00]], // 2^14 - 1 in four bytes
      [compact as Codec<unknown>, [0x03, 0x05, 0x00, 0x00, 0x00]], // 5 in big mode
      [compact as Codec<unknown>, [0x07, 0x00, 0x00, 0x00, 0x40, 0x00]], // 2^30 with a zero top byte
      [Bytes() as Codec<unknown>, [0x05, 0x00, 0x61]], // length 1 in two bytes
      [Bytes() as Codec<unknown>, [0x08, 0x61]], // length 2, one byte
      [Bytes(4) as Codec<unknown>, [1, 2, 3, 4, 5]],
      [bool as Codec<unknown>, [2]],
      [Option(u8) as Codec<unknown>, [2, 7]],
      [Option(Option(u8)) as Codec<unknown>, [1, 0]], // Some(None) encodes as None
      [Option(_void) as Codec<unknown>, [1]],
      [Result(u8, u8) as Codec<unknown>, [2, 7]],
      [Enum({ A: u8, B: _void }) as Codec<unknown>, [2]],
      [str as Codec<unknown>, [0x0c, 0xef, 0xbb, 0xbf]], // a lone BOM: decodes to "" and re-encodes shorter
      [str as Codec<unknown>, [0x04, 0xff]], // invalid UTF-8
      [str as Codec<unknown>, [0x08, 0xc0, 0x80]], // overlong NUL
      [Vector(u32) as Codec<unknown>, [0x08, 1, 0, 0, 0]],
      [Vector(u8) as Codec<unknown>, [0x03, 0x00, 0x00, 0x40]], // a length of 2^30 or more
      [u32 as Codec<unknown>, [1, 2, 3]],
      [u128 as Codec<unknown>, []],
    ];
    for (const [codec, bytes] of rejected) {
      expect(agree(codec, Uint8Array.from(bytes)).ok, `${bytes}`).toBe(false);
    }
    // The oracle's one false acceptance: a fixed-size field cut short at the very end of the input.
    for (const cut of [[], [1], [1, 2, 3]]) {
      expect(oracle(Bytes(4), Uint8Array.from(cut))).toEqual(Uint8Array.from(cut));
      expect(() => decodeExact(Bytes(4), Uint8Array.from(cut), "x")).toThrow(CodecError);
    }
    const tail = Struct({ a: u8, hash: Bytes(32) });
    expect(oracle(tail, Uint8Array.of(1, 2, 3)).hash).toEqual(Uint8Array.of(2, 3));
    expect(() => decodeExact(tail, Uint8Array.of(1, 2, 3), "x")).toThrow(/truncated/);
    const big = (1n << 30n) + 5n;
    expect(agree(compact as Codec<unknown>, compact.enc(big))).toEqual({ ok: true, value: big });
    expect(agree(compact as Codec<unknown>, compact.enc(1n << 200n))).toEqual({
      ok: true,
      value: 1n << 200n,
    });
    // A string that starts with a BOM has no encoding scale-ts decodes back to it: both refuse it.
    expect(agree(str as Codec<unknown>, str.enc("\uFEFFa")).ok).toBe(false);
  });

  it("reads a view at any offset, and a Buffer, as its own bytes (scale-ts reads the whole ArrayBuffer)", () => {
    const P = Struct({ a: u32, b: Bytes(), c: Vector(Bytes(2)) });
    const v = { a: 7, b: Uint8Array.of(1, 2, 3), c: [Uint8Array.of(4, 5)] };
    const enc = P.enc(v);
    const big = new Uint8Array(enc.length + 10).fill(9);
    big.set(enc, 3);
    const view = big.subarray(3, 3 + enc.length);
    expect(decodeExact(P, view, "x")).toEqual(v);
    expect(decodeExact(P, Buffer.from(enc), "x")).toEqual(v);
    expect(() => decodeExact(P, big.subarray(3, 3 + enc.length + 1), "x")).toThrow(/1 trailing bytes/);
    expect(() => decodeExact(P, big.subarray(3, 2 + enc.length), "x")).toThrow(CodecError);
    // Views share the input; copies do not.
    const viewed = decodeExact(P, view, "x", { views: true });
    const copied = decodeExact(P, view, "x");
    view[5] = 42;
    expect(viewed.b[0]).toBe(42);
    expect(copied.b[0]).toBe(1);
  });

  it("falls back to decode + re-encode for codecs made outside codec/types.ts", () => {
    const weird = Enum({ A: u8, B: u8 }, [3, 9] as never);
    expect(decodeExact(weird, Uint8Array.of(9, 1), "x")).toEqual({ tag: "B", value: 1 });
    expect(() => decodeExact(weird, Uint8Array.of(1, 1), "x")).toThrow(CodecError);
    expect(encode(weird, { tag: "A" as const, value: 2 })).toEqual(Uint8Array.of(3, 2));
  });

  it("decides real protocol types like the oracle (Pov, Witness)", () => {
    const witness = fc.record({
      relayParent: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      now: fc.integer({ min: 0, max: 0xffff_ffff }),
      coreGas: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      messages: fc.array(
        fc.record({
          actor: fc.integer({ min: 0, max: 0xffff_ffff }),
          headBefore: fc.uint8Array({ minLength: 32, maxLength: 32 }),
          messages: fc.array(
            fc.record({
              from: fc.oneof(
                fc.integer({ min: 0, max: 9 }).map((value) => ({ tag: "Actor", value })),
                fc.uint8Array({ minLength: 32, maxLength: 32 }).map((value) => ({ tag: "Account", value })),
              ),
              to: fc.integer({ min: 0, max: 9 }),
              data: fc.uint8Array({ maxLength: 80 }),
            }),
            { maxLength: 3 },
          ),
        }),
        { maxLength: 2 },
      ),
      preimages: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 2 }),
    }) as unknown as fc.Arbitrary<Witness>;
    const pov = fc
      .record({
        agenda: fc.array(
          fc.record({
            actor: fc.integer({ min: 0, max: 9 }),
            entry: fc.oneof(
              fc.integer({ min: 0, max: 9 }).map((times) => ({ tag: "Service", value: { times } })),
              fc
                .record({ input: fc.uint8Array({ maxLength: 9 }), output: fc.uint8Array({ maxLength: 9 }) })
                .map((value) => ({ tag: "Call", value })),
            ),
          }),
          { maxLength: 4 },
        ),
        slabs: fc.array(
          fc.record({
            actor: fc.integer({ min: 0, max: 9 }),
            sequence: fc.bigInt({ min: 0n, max: 99n }),
            pre: fc.uint8Array({ maxLength: 100 }),
            post: fc.uint8Array({ maxLength: 100 }),
          }),
          { maxLength: 2 },
        ),
        witness: witness.map((w) => Witness.enc(w)),
      })
      .map((p) => p as unknown as Pov);
    fc.assert(
      fc.property(pov, fc.array(mutation, { maxLength: 2 }), (p, ms) => {
        const bytes = Pov.enc(p);
        const out = agree(Pov, mutate(bytes, ms));
        if (ms.length === 0) expect(out).toEqual({ ok: true, value: p });
        if (out.ok) agree(Witness, (out.value as Pov).witness);
      }),
      { numRuns: 500 },
    );
  });
});

describe("encode", () => {
  it("writes scale-ts's bytes for every value", () => {
    fc.assert(
      fc.property(sample, ({ codec, value }) => {
        expect(encode(codec, value)).toEqual(codec.enc(value));
      }),
      { numRuns: 1500 },
    );
  });

  it("writes scale-ts's bytes for out-of-range numbers too (both wrap or both throw)", () => {
    const cases: Array<[Codec<unknown>, unknown]> = [
      [u8 as Codec<unknown>, 300],
      [u16 as Codec<unknown>, -1],
      [u32 as Codec<unknown>, 2 ** 33 + 5],
      [u128 as Codec<unknown>, (1n << 130n) + 3n],
      [u128 as Codec<unknown>, -1n],
      [compact as Codec<unknown>, 1.5],
      [compact as Codec<unknown>, 2 ** 40],
      [compact as Codec<unknown>, -1],
      [u64 as Codec<unknown>, 5],
      [Bytes(3) as Codec<unknown>, Uint8Array.of(1, 2, 3, 4)],
      [Bytes(3) as Codec<unknown>, Uint8Array.of(1)],
      [Vector(u8, 2) as Codec<unknown>, [1, 2, 3]],
      [Enum({ A: u8 }) as Codec<unknown>, { tag: "Z", value: 1 }],
      [Result(u8, str) as Codec<unknown>, { success: 0, value: "x" }],
      [Option(bool) as Codec<unknown>, null],
    ];
    for (const [codec, value] of cases)
      expect(run(() => encode(codec, value))).toEqual(run(() => codec.enc(value)));
  });

  it("is re-entrant and returns buffers of their own", () => {
    const a = encode(Bytes(), Uint8Array.of(1, 2));
    const b = encode(Bytes(), Uint8Array.of(3));
    expect(a).toEqual(Uint8Array.of(8, 1, 2));
    expect(b).toEqual(Uint8Array.of(4, 3));
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(3);
    const big = new Uint8Array(3 << 20).fill(7);
    expect(bytesEqual(encode(Bytes(), big), Bytes().enc(big))).toBe(true);
  });
});
