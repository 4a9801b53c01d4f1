import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CodeHash } from "../../src/codec/ids.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { PAGE_SIZE } from "../../src/vm/abi.ts";
import { ImageError } from "../../src/vm/errors.ts";
import {
  createImage,
  decodeImage,
  decodeImageAgainst,
  type ImageContext,
  type ImageFields,
  WasmImage,
  ZERO_LEAF,
} from "../../src/vm/image.ts";

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const codeHash = blake2b256(new Uint8Array([1, 2, 3])) as Uint8Array as CodeHash;
const ctx: ImageContext = {
  codeHash,
  globalTypes: ["i32", "i64"],
  maxPages: 64,
  minPages: 0,
  maxContinuation: 4096,
};

function page(fill: Array<[number, number]>): Uint8Array | undefined {
  if (fill.every(([, v]) => v === 0)) return undefined;
  const p = new Uint8Array(PAGE_SIZE);
  for (const [at, v] of fill) p[at % PAGE_SIZE] = v;
  return fill.some(([, v]) => v !== 0) && p.some((b) => b !== 0) ? p : undefined;
}

const arbPage = fc
  .array(fc.tuple(fc.nat(PAGE_SIZE - 1), fc.nat(255)), { maxLength: 3 })
  .map((fill) => page(fill));

const arbFields: fc.Arbitrary<ImageFields> = fc
  .record({
    pages: fc.array(arbPage, { maxLength: 6 }),
    g0: fc.nat(0xffff_ffff),
    g1: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    depth: fc.nat(1000),
    status: fc.constantFrom("pending", "suspended", "ended", "failed" as const),
    args: fc.uint8Array({ maxLength: 40 }),
    cont: fc.uint8Array({ minLength: 1, maxLength: 100 }),
  })
  .map((r) => ({
    codeHash,
    pageCount: r.pages.length,
    pages: r.pages,
    globals: [BigInt(r.g0), r.g1],
    depth: r.depth,
    status: r.status,
    args: r.status === "ended" || r.status === "failed" ? new Uint8Array() : r.args,
    continuation: r.status === "suspended" ? r.cont : new Uint8Array(),
  }));

/** Reference hash straight from the definition in docs/abi.md (no caching, no zero shortcuts). */
function referenceHash(f: ImageFields, restBytes: Uint8Array): Uint8Array {
  let level = f.pages.map((p) => blake2b256(new Uint8Array([0]), p ?? new Uint8Array(PAGE_SIZE)));
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? blake2b256(new Uint8Array([1]), level[i], level[i + 1]) : level[i]);
    }
    level = next;
  }
  const root = level.length === 0 ? new Uint8Array(32) : level[0];
  return blake2b256(new Uint8Array([3]), root, blake2b256(new Uint8Array([2]), restBytes));
}

/** The rest bytes are the full encoding between the tag and the page list. */
function restOf(f: ImageFields): Uint8Array {
  const bare = createImage({ ...f, pageCount: f.pageCount, pages: f.pages.map(() => undefined) }).encode();
  return bare.subarray(1, bare.byteLength - 1);
}

describe("image encoding", () => {
  it("round-trips full encodings and keeps the hash", () => {
    fc.assert(
      fc.property(arbFields, (f) => {
        const img = createImage(f);
        const back = decodeImage(img.encode(), ctx);
        expect(back.hash).toEqual(img.hash);
        expect(same(back.encode(), img.encode())).toBe(true);
        expect(back.status).toBe(f.status);
        expect(back.globals).toEqual(f.globals);
      }),
      { numRuns: 60 },
    );
  });

  it("hash matches the definition in docs/abi.md", () => {
    fc.assert(
      fc.property(arbFields, (f) => {
        expect(createImage(f).hash).toEqual(referenceHash(f, restOf(f)));
      }),
      { numRuns: 40 },
    );
  });

  it("delta against a base decodes to the same image as the full encoding", () => {
    fc.assert(
      fc.property(arbFields, arbFields, (a, b) => {
        const base = createImage(a);
        const next = createImage(b);
        const delta = next.encodeDelta(base);
        const back = decodeImageAgainst(base, delta, ctx);
        expect(back.hash).toEqual(next.hash);
        expect(same(back.encode(), next.encode())).toBe(true);
        // Full encodings are accepted where a delta may be.
        expect(decodeImageAgainst(base, next.encode(), ctx).hash).toEqual(next.hash);
      }),
      { numRuns: 40 },
    );
  });

  it("incremental hashing after page changes equals hashing from scratch", () => {
    fc.assert(
      fc.property(arbFields, fc.array(fc.tuple(fc.nat(20), arbPage), { maxLength: 5 }), (f, edits) => {
        let img = createImage(f);
        void img.hash;
        for (const [k, p] of edits) {
          if (img.pageCount === 0) break;
          const i = k % img.pageCount;
          const pages = img.pages.slice();
          pages[i] = p;
          img = createImage({ ...img, pages }, img, [i]);
          if (k % 2 === 0) void img.hash; // sometimes hash intermediate images, sometimes not
        }
        const fresh = createImage({ ...img, pages: img.pages.slice() });
        expect(img.hash).toEqual(fresh.hash);
      }),
      { numRuns: 40 },
    );
  });

  it("zero pages hash to the precomputed leaf; a 1024-page zero image hashes without hashing pages", () => {
    const img = createImage({ ...fieldsOf(1024), pages: new Array(1024).fill(undefined) });
    expect(img.pageHashes()[7]).toBe(ZERO_LEAF);
    expect(img.hash).toHaveLength(32);
  });
});

function fieldsOf(pageCount: number): ImageFields {
  return {
    codeHash,
    pageCount,
    pages: new Array(pageCount).fill(undefined),
    globals: [0n, 0n],
    depth: 0,
    status: "pending",
    args: new Uint8Array(),
    continuation: new Uint8Array(),
  };
}

describe("image decoding rejects bad input", () => {
  const p = new Uint8Array(PAGE_SIZE);
  p[5] = 9;
  const good = createImage({ ...fieldsOf(2), pages: [undefined, p], args: new Uint8Array([1, 2]) });
  const bytes = good.encode();

  const expectCode = (f: () => unknown, code: string) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ImageError);
      expect((e as ImageError).code).toBe(code);
      return;
    }
    throw new Error("expected an ImageError");
  };

  it("every truncation is CORRUPT", () => {
    for (const cut of [0, 1, 10, 33, 40, 50, bytes.byteLength - 1]) {
      expectCode(() => decodeImage(bytes.subarray(0, cut), ctx), "CORRUPT");
    }
  });
  it("trailing bytes are CORRUPT", () => {
    expectCode(() => decodeImage(new Uint8Array([...bytes, 0]), ctx), "CORRUPT");
  });
  it("another program's image is WRONG_PROGRAM", () => {
    const other = { ...ctx, codeHash: blake2b256(new Uint8Array([9])) as Uint8Array as CodeHash };
    expectCode(() => decodeImage(bytes, other), "WRONG_PROGRAM");
  });
  it("unknown tag, engine kind or status is CORRUPT", () => {
    const b = bytes.slice();
    b[0] = 7;
    expectCode(() => decodeImage(b, ctx), "CORRUPT");
    const e = bytes.slice();
    e[1] = 1;
    expectCode(() => decodeImage(e, ctx), "CORRUPT");
    // status byte: tag, engine, hash(32), pageCount(4), compact(1), 2 globals (16), depth (4)
    const s = bytes.slice();
    s[1 + 1 + 32 + 4 + 1 + 16 + 4] = 9;
    expectCode(() => decodeImage(s, ctx), "CORRUPT");
  });
  it("an explicit zero page, a page out of range and a delta where a full image is due are CORRUPT", () => {
    const z = createImage({ ...fieldsOf(2), pages: [undefined, p] }).encode();
    const zz = z.slice();
    zz.fill(0, zz.byteLength - PAGE_SIZE);
    expectCode(() => decodeImage(zz, ctx), "CORRUPT");
    const range = z.slice();
    new DataView(range.buffer).setUint32(range.byteLength - PAGE_SIZE - 4, 2, true);
    expectCode(() => decodeImage(range, ctx), "CORRUPT");
    expectCode(() => decodeImage(good.encodeDelta(good), ctx), "CORRUPT");
  });
  it("more pages than the cap and inconsistent status are CORRUPT", () => {
    expectCode(() => decodeImage(createImage(fieldsOf(65)).encode(), ctx), "CORRUPT");
    const sus = createImage({ ...fieldsOf(1), status: "suspended" }).encode();
    expectCode(() => decodeImage(sus, ctx), "CORRUPT");
    const i32high = createImage({ ...fieldsOf(1), globals: [1n << 40n, 0n] }).encode();
    expectCode(() => decodeImage(i32high, ctx), "CORRUPT");
  });
  it("a delta against the wrong base is WRONG_BASE", () => {
    const other = createImage(fieldsOf(3));
    expectCode(
      () => decodeImageAgainst(other, good.encodeDelta(createImage(fieldsOf(1))), ctx),
      "WRONG_BASE",
    );
  });
  it("a non-Wasm-image object is not a valid base", () => {
    expect(good).toBeInstanceOf(WasmImage);
  });
});
