/**
 * The fibre table in the image (docs/abi.md §10): round trips, the hash covers every fibre's
 * continuation and wait, an image without fibres encodes as before, and decoding is strict.
 */
import { describe, expect, it } from "vitest";
import type { CodeHash } from "../../src/codec/ids.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { ImageError } from "../../src/vm/errors.ts";
import type { Fibre, FibreTable } from "../../src/vm/fibre/table.ts";
import { wakes } from "../../src/vm/fibre/table.ts";
import { FIBRE_STACK_BYTES, MAX_FIBRES } from "../../src/vm/gas.ts";
import { createImage, decodeImage, type ImageContext, type ImageFields } from "../../src/vm/image.ts";

const codeHash = blake2b256(new Uint8Array([9])) as Uint8Array as CodeHash;
const ctx: ImageContext = { codeHash, globalTypes: [], maxPages: 4, minPages: 0, maxContinuation: 4096 };
const base: ImageFields = {
  codeHash,
  pageCount: 1,
  pages: [undefined],
  globals: [],
  depth: 3,
  status: "suspended",
  args: new Uint8Array([1]),
  continuation: new Uint8Array([1, 2, 3, 4]),
};
const fibre = (id: number, over: Partial<Fibre> = {}): Fibre => ({
  id,
  entry: 100,
  arg: id,
  status: "suspended",
  wait: { kind: "block", at: 50 + id },
  depth: 2,
  continuation: new Uint8Array([id, 7]),
  ...over,
});
const table = (over: Partial<FibreTable> = {}): FibreTable => ({
  nextId: 5,
  mainWait: { kind: "postcard" },
  fibres: [
    fibre(1),
    fibre(3, { status: "pending", wait: { kind: "run" }, depth: 0, continuation: new Uint8Array() }),
  ],
  ...over,
});

describe("the fibre table in the image", () => {
  it("round-trips, and the hash covers each fibre's continuation and wait", () => {
    const img = createImage({ ...base, fibres: table() });
    const back = decodeImage(img.encode(), ctx);
    expect(back.fibres).toEqual(img.fibres);
    expect(back.hash).toEqual(img.hash);
    const other = [
      table({ fibres: [fibre(1, { continuation: new Uint8Array([1, 8]) }), table().fibres[1]!] }),
      table({ fibres: [fibre(1, { wait: { kind: "block", at: 52 } }), table().fibres[1]!] }),
      table({ mainWait: { kind: "fibre", id: 3 } }),
      table({ held: 1, fibres: [fibre(1, { wait: { kind: "run" } }), table().fibres[1]!] }),
      table({ nextId: 6 }),
    ];
    const hashes = new Set(
      other.map((t) => Buffer.from(createImage({ ...base, fibres: t }).hash).toString("hex")),
    );
    hashes.add(Buffer.from(img.hash).toString("hex"));
    expect(hashes.size).toBe(other.length + 1);
  });

  it("an image that never used fibres encodes and hashes as before (no table, status byte unflagged)", () => {
    const plain = createImage(base);
    const bytes = plain.encode();
    expect(decodeImage(bytes, ctx).fibres).toBeUndefined();
    // status byte: tag, engine, code hash, pageCount, compact(0) globals, depth → offset 1+1+32+4+1+4
    expect(bytes[43]).toBe(1);
    expect(createImage({ ...base, fibres: table() }).encode()[43]).toBe(0x81);
  });

  it("says when the actor wants a Service: ready, a postcard, the earliest block", () => {
    const w = createImage({
      ...base,
      fibres: table({ fibres: [fibre(1), fibre(2, { wait: { kind: "block", at: 40 } })] }),
    }).wake();
    expect(w).toEqual({ ready: false, postcard: true, block: 40 });
    expect(wakes(w, 39, 0)).toBe(false);
    expect(wakes(w, 40, 0)).toBe(true);
    expect(wakes(w, 39, 1)).toBe(true);
    expect(createImage({ ...base, fibres: table() }).wake().ready).toBe(true); // fibre 3 is pending
    expect(
      createImage({
        ...base,
        status: "ended",
        args: new Uint8Array(),
        continuation: new Uint8Array(),
        depth: 0,
      }).wake(),
    ).toEqual({
      ready: false,
      postcard: false,
      block: undefined,
    });
  });

  it("refuses tables the engine could not have written", () => {
    const bad: Array<[string, ImageFields]> = [
      ["ids out of order", { ...base, fibres: table({ fibres: [fibre(3), fibre(1)] }) }],
      ["id at nextId", { ...base, fibres: table({ nextId: 3, fibres: [fibre(3)] }) }],
      [
        "pending with a continuation",
        {
          ...base,
          fibres: table({ fibres: [fibre(1, { status: "pending", wait: { kind: "run" }, depth: 0 })] }),
        },
      ],
      [
        "suspended without one",
        { ...base, fibres: table({ fibres: [fibre(1, { continuation: new Uint8Array() })] }) },
      ],
      [
        "a waiting main that ended",
        {
          ...base,
          status: "ended",
          args: new Uint8Array(),
          continuation: new Uint8Array(),
          depth: 0,
          fibres: table(),
        },
      ],
      ["a held fibre that waits", { ...base, fibres: table({ held: 1 }) }],
      [
        "a continuation above FIBRE_STACK_BYTES",
        {
          ...base,
          fibres: table({ fibres: [fibre(1, { continuation: new Uint8Array(FIBRE_STACK_BYTES + 1) })] }),
        },
      ],
      [
        "too many fibres",
        {
          ...base,
          fibres: table({ nextId: 100, fibres: Array.from({ length: MAX_FIBRES }, (_, i) => fibre(i + 1)) }),
        },
      ],
    ];
    for (const [what, f] of bad) {
      const bytes = createImage(f).encode();
      expect(() => decodeImage(bytes, ctx), what).toThrow(ImageError);
    }
  });
});
