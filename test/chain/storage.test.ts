import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createOverlay, key, Prefix, type Storage, table } from "../../src/chain/storage.ts";
import { createLmdbStorage } from "../../src/chain/storage-lmdb.ts";
import { createMemoryStorage } from "../../src/chain/storage-memory.ts";
import { u32 } from "../../src/codec/types.ts";

const b = (...xs: number[]) => new Uint8Array(xs);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function lmdbFactory() {
  const dir = mkdtempSync(join(tmpdir(), "coreplay-storage-"));
  dirs.push(dir);
  return { open: () => createLmdbStorage({ path: dir }) };
}
function memoryFactory() {
  const s = createMemoryStorage();
  return { open: () => s, reusable: true };
}

const kinds: [string, () => { open: () => Storage; reusable?: boolean }][] = [
  ["memory", memoryFactory],
  ["lmdb", lmdbFactory],
];

describe.each(kinds)("%s storage", (_name, factory) => {
  it("puts, gets, deletes and scans by prefix in key order", () => {
    const s = factory().open();
    s.transaction((tx) => {
      tx.put(b(1, 3), b(30));
      tx.put(b(1, 1), b(10));
      tx.put(b(2, 0), b(99));
      tx.put(b(1, 2), b(20));
      // reads inside the transaction see its own writes
      expect(tx.get(b(1, 2))).toEqual(b(20));
      expect([...tx.scan(b(1))].map(([k]) => k[1])).toEqual([1, 2, 3]);
      tx.del(b(1, 2));
      expect(tx.get(b(1, 2))).toBeUndefined();
    });
    expect(s.get(b(1, 1))).toEqual(b(10));
    expect(s.get(b(1, 2))).toBeUndefined();
    expect([...s.scan(b(1))].map(([k, v]) => [k[1], v[0]])).toEqual([
      [1, 10],
      [3, 30],
    ]);
    expect([...s.scan(b(3))]).toEqual([]);
  });

  it("a thrown error mid-transaction writes nothing", () => {
    const s = factory().open();
    s.transaction((tx) => tx.put(b(5, 1), b(1)));
    expect(() =>
      s.transaction((tx) => {
        tx.put(b(5, 1), b(2));
        tx.put(b(5, 2), b(2));
        tx.del(b(5, 1));
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(s.get(b(5, 1))).toEqual(b(1));
    expect(s.get(b(5, 2))).toBeUndefined();
  });

  it("rejects a nested transaction with a typed error", () => {
    const s = factory().open();
    expect(() => s.transaction(() => s.transaction(() => 1))).toThrow(
      expect.objectContaining({ code: "STORAGE_NESTED_TX" }),
    );
  });

  it("persists across close and reopen", async () => {
    const f = factory();
    const s = f.open();
    s.transaction((tx) => tx.put(key(Prefix.Meta, 7), b(42)));
    if (f.reusable) {
      expect(s.get(key(Prefix.Meta, 7))).toEqual(b(42));
      return;
    }
    await s.close();
    expect(() => s.get(b(0))).toThrow(expect.objectContaining({ code: "STORAGE_CLOSED" }));
    const again = f.open();
    expect(again.get(key(Prefix.Meta, 7))).toEqual(b(42));
    await again.close();
  });

  it("typed tables encode keys big-endian so scans are numeric", () => {
    const s = factory().open();
    const t = table(Prefix.Pool, (n: number) => [n], u32);
    s.transaction((tx) => {
      for (const n of [300, 2, 70000, 1]) t.put(tx, n, n * 2);
    });
    expect([...t.scan(s)].map(([, v]) => v)).toEqual([2, 4, 600, 140000]);
    expect(t.get(s, 300)).toBe(600);
  });

  it("an overlay matches a plain map under random writes (property)", () => {
    const s = factory().open();
    const keyArb = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keyArb, fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined })), {
          maxLength: 30,
        }),
        fc.boolean(),
        (ops, keep) => {
          const model = new Map<string, number>();
          for (const [k, v] of s.scan(b(0x40))) model.set(`${k[1]},${k[2]}`, v[0]);
          const before = new Map(model);
          s.transaction((tx) => {
            const o = createOverlay(tx);
            for (const [[x, y], v] of ops) {
              if (v === undefined) {
                o.kv.del(b(0x40, x, y));
                model.delete(`${x},${y}`);
              } else {
                o.kv.put(b(0x40, x, y), b(v));
                model.set(`${x},${y}`, v);
              }
            }
            const seen = [...o.kv.scan(b(0x40))].map(([k, v]) => `${k[1]},${k[2]}=${v[0]}`);
            const want = [...model.entries()]
              .sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))
              .map(([k, v]) => `${k}=${v}`);
            expect(seen).toEqual(want);
            if (keep) o.commit();
          });
          const after = new Map<string, number>();
          for (const [k, v] of s.scan(b(0x40))) after.set(`${k[1]},${k[2]}`, v[0]);
          expect(after).toEqual(keep ? model : before);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("overlays over overlays", () => {
  it("commit puts and deletions through, and keep no link to the inner buffer", () => {
    const s = createMemoryStorage();
    s.transaction((tx) => tx.put(b(0x41, 1), b(1)));
    s.transaction((tx) => {
      const outer = createOverlay(tx);
      const inner = createOverlay(outer.kv);
      const v = b(7);
      inner.kv.put(b(0x41, 2), v);
      inner.kv.del(b(0x41, 1));
      v[0] = 99; // the caller's array is not the stored one
      inner.commit();
      inner.kv.put(b(0x41, 2), b(8)); // after the commit: not seen by the outer overlay
      expect(outer.kv.get(b(0x41, 2))).toEqual(b(7));
      expect(outer.kv.get(b(0x41, 1))).toBeUndefined();
      expect([...outer.kv.scan(b(0x41))]).toEqual([[b(0x41, 2), b(7)]]);
      outer.commit();
    });
    expect([...s.scan(b(0x41))]).toEqual([[b(0x41, 2), b(7)]]);
  });
});

describe("storage bad inputs", () => {
  it("refuses to open LMDB where a plain file is, with a typed error", () => {
    const dir = mkdtempSync(join(tmpdir(), "coreplay-storage-"));
    dirs.push(dir);
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "x");
    expect(() => createLmdbStorage({ path: join(file, "db") })).toThrow(
      expect.objectContaining({ code: "STORAGE_OPEN_FAILED" }),
    );
  });

  it("an overlay over a read-only view cannot commit without a target", () => {
    const s = createMemoryStorage();
    const o = createOverlay(s);
    o.kv.put(b(1), b(1));
    expect(() => o.commit()).toThrow(expect.objectContaining({ code: "STORAGE_READ_ONLY" }));
    expect(s.get(b(1))).toBeUndefined();
  });
});
