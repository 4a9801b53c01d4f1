import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  type AccountInfo,
  AccountInfo as AccountInfoCodec,
  type ActorInfo,
  FAST,
  T,
} from "../../src/chain/state.ts";
import {
  atomically,
  createOverlay,
  encodeBlob,
  key,
  keyBytes,
  keyString,
  keyStringOf,
  Prefix,
  type Storage,
  table,
} from "../../src/chain/storage.ts";
import { createLmdbStorage } from "../../src/chain/storage-lmdb.ts";
import { createMemoryStorage } from "../../src/chain/storage-memory.ts";
import type { AccountId, ActorId, CodeHash, Hash } from "../../src/codec/ids.ts";
import { u32, VecU8 } from "../../src/codec/types.ts";

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

describe("savepoints and decoded records in an overlay", () => {
  const rec = table(Prefix.Account, (n: number) => [n], FAST.account, { cache: true });
  const plain = table(Prefix.Actor, (n: number) => [n], u32);
  const acct = fc.record({
    free: fc.bigInt(0n, (1n << 128n) - 1n),
    reserved: fc.bigInt(0n, 5n),
    nonce: fc.bigInt(0n, 9n),
  });
  type Op =
    | { t: "rec"; k: number; v: { free: bigint; reserved: bigint; nonce: bigint } | null }
    | { t: "plain"; k: number; v: number | null }
    | { t: "open" }
    | { t: "close"; keep: boolean };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ t: fc.constant("rec" as const), k: fc.nat(3), v: fc.option(acct, { nil: null }) }),
    fc.record({ t: fc.constant("plain" as const), k: fc.nat(3), v: fc.option(fc.nat(1000), { nil: null }) }),
    fc.constant({ t: "open" as const }),
    fc.record({ t: fc.constant("close" as const), keep: fc.boolean() }),
  );

  it("rolling back or releasing nested savepoints matches snapshots of a plain map (property)", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.boolean(), (ops, keep) => {
        const s = createMemoryStorage();
        s.transaction((tx) => {
          rec.put(tx, 0, { free: 1n, reserved: 0n, nonce: 0n });
          plain.put(tx, 1, 7);
        });
        const model = new Map<string, unknown>([
          ["r0", { free: 1n, reserved: 0n, nonce: 0n }],
          ["p1", 7],
        ]);
        const stack: { sp: number; snap: Map<string, unknown> }[] = [];
        s.transaction((tx) => {
          const o = createOverlay(tx);
          for (const x of ops) {
            if (x.t === "open") stack.push({ sp: o.savepoint(), snap: new Map(model) });
            else if (x.t === "close") {
              const top = stack.pop();
              if (!top) continue;
              if (x.keep) o.release(top.sp);
              else {
                o.rollback(top.sp);
                model.clear();
                for (const [k, v] of top.snap) model.set(k, v);
              }
            } else {
              const table = x.t === "rec" ? rec : plain;
              const name = `${x.t === "rec" ? "r" : "p"}${x.k}`;
              if (x.v === null) {
                table.del(o.kv, x.k);
                model.delete(name);
              } else {
                (table as typeof plain).put(o.kv, x.k, x.v as never);
                model.set(name, x.v);
              }
            }
            // reads through the table, raw reads and scans all see the model
            for (let k = 0; k < 4; k++) {
              expect(rec.get(o.kv, k)).toEqual(model.get(`r${k}`));
              expect(plain.get(o.kv, k)).toEqual(model.get(`p${k}`));
              const raw = o.kv.get(rec.key(k));
              const want = model.get(`r${k}`) as AccountInfo | undefined;
              expect(raw).toEqual(want === undefined ? undefined : AccountInfoCodec.enc(want));
            }
            expect([...rec.scan(o.kv)].map(([, v]) => v)).toEqual(
              [0, 1, 2, 3].flatMap((k) => (model.has(`r${k}`) ? [model.get(`r${k}`)] : [])),
            );
          }
          while (stack.length > 0) o.release((stack.pop() as { sp: number }).sp);
          if (keep) o.commit();
        });
        for (let k = 0; k < 4; k++) {
          const want = keep
            ? model.get(`r${k}`)
            : k === 0
              ? { free: 1n, reserved: 0n, nonce: 0n }
              : undefined;
          // the committed bytes are the SCALE encoding of the last value put
          const raw = s.get(rec.key(k));
          expect(raw).toEqual(want === undefined ? undefined : AccountInfoCodec.enc(want as AccountInfo));
          expect(plain.get(s, k)).toEqual(keep ? model.get(`p${k}`) : k === 1 ? 7 : undefined);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("a decoded record is written through an overlay of an overlay, and into LMDB in key order", () => {
    const f = lmdbFactory();
    const s = f.open();
    s.transaction((tx) => {
      const outer = createOverlay(tx);
      const inner = createOverlay(outer.kv);
      rec.put(inner.kv, 2, { free: 5n, reserved: 1n, nonce: 2n });
      const sp = inner.savepoint();
      rec.put(inner.kv, 2, { free: 6n, reserved: 1n, nonce: 3n });
      rec.put(inner.kv, 1, { free: 7n, reserved: 0n, nonce: 0n });
      inner.rollback(sp);
      inner.commit();
      expect(rec.get(outer.kv, 2)).toEqual({ free: 5n, reserved: 1n, nonce: 2n });
      expect(rec.get(outer.kv, 1)).toBeUndefined();
      outer.commit();
    });
    expect(s.get(rec.key(2))).toEqual(AccountInfoCodec.enc({ free: 5n, reserved: 1n, nonce: 2n }));
    expect(rec.get(s, 1)).toBeUndefined();
  });

  it("atomically keeps or undoes a step, and undoes it when it throws", () => {
    const s = createMemoryStorage();
    s.transaction((tx) => {
      expect(
        atomically(
          tx,
          (kv) => {
            plain.put(kv, 1, 1);
            return "yes";
          },
          (r) => r === "yes",
        ),
      ).toBe("yes");
      expect(
        atomically(
          tx,
          (kv) => {
            plain.put(kv, 2, 2);
            return "no";
          },
          (r) => r === "yes",
        ),
      ).toBe("no");
      expect(() =>
        atomically(
          tx,
          (kv) => {
            plain.put(kv, 3, 3);
            throw new Error("boom");
          },
          () => true,
        ),
      ).toThrow("boom");
      expect([plain.get(tx, 1), plain.get(tx, 2), plain.get(tx, 3)]).toEqual([1, undefined, undefined]);
    });
    expect([...plain.scan(s)].map(([, v]) => v)).toEqual([1]);
  });
});

describe("scanWith: a cached table's values as put, stored bytes through the caller's decoder", () => {
  const rec = table(Prefix.Account, (n: number) => [n], FAST.account, { cache: true });
  const a = (n: bigint) => ({ free: n, reserved: 0n, nonce: n });

  it("merges the overlay over its parent in key order, decoding only the parent's bytes (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(30), { maxLength: 8 }),
        fc.uniqueArray(fc.nat(30), { maxLength: 8 }),
        fc.uniqueArray(fc.nat(30), { maxLength: 4 }),
        (stored, written, deleted) => {
          const storage = createMemoryStorage();
          storage.transaction((tx) => {
            for (const k of stored) rec.put(tx, k, a(BigInt(k)));
          });
          const o = createOverlay(storage);
          const put = new Map<number, ReturnType<typeof a>>();
          for (const k of written) {
            const v = a(BigInt(k) + 100n);
            rec.put(o.kv, k, v);
            put.set(k, v);
          }
          for (const k of deleted) {
            rec.del(o.kv, k);
            put.delete(k);
          }
          const decoded: number[] = [];
          const got = [
            ...rec.scanWith(o.kv, (bytes, k) => {
              decoded.push(new DataView(k.buffer, k.byteOffset + 1, 4).getUint32(0));
              return FAST.account.dec(bytes);
            }),
          ];
          // what a plain scan says, in the same order
          expect(got.map(([k, v]) => [k, v])).toEqual([...rec.scan(o.kv)]);
          const keys = got.map(([k]) => new DataView(k.buffer, k.byteOffset + 1, 4).getUint32(0));
          for (const [i, k] of keys.entries()) {
            if (put.has(k)) expect(got[i]![1]).toBe(put.get(k)); // the very object put, not decoded
          }
          expect(decoded.sort()).toEqual(keys.filter((k) => !put.has(k)).sort());
        },
      ),
      { numRuns: 60 },
    );
  });

  it("outside an overlay, decodes every value with the caller's decoder", () => {
    const storage = createMemoryStorage();
    storage.transaction((tx) => rec.put(tx, 1, a(1n)));
    let n = 0;
    const got = [
      ...rec.scanWith(storage, (bytes) => {
        n++;
        return FAST.account.dec(bytes);
      }),
    ];
    expect(got.map(([, v]) => v)).toEqual([a(1n)]);
    expect(n).toBe(1);
  });
});

describe("blob tables", () => {
  it("encode a byte vector exactly as VecU8 does, across the compact length forms (property)", () => {
    const lengths = fc.oneof(
      fc.nat(70),
      fc.integer({ min: 16_380, max: 16_390 }),
      fc.integer({ min: 60, max: 300 }),
    );
    fc.assert(
      fc.property(lengths, fc.nat(255), (n, x) => {
        const v = new Uint8Array(n).fill(x);
        expect(encodeBlob(v)).toEqual(VecU8.enc(v));
      }),
      { numRuns: 80 },
    );
    const storage = createMemoryStorage();
    const blob = Uint8Array.from({ length: 200 }, (_, i) => i);
    storage.transaction((tx) => T.codeBlob.put(tx, new Uint8Array(32) as CodeHash, blob));
    expect(storage.get(T.codeBlob.key(new Uint8Array(32) as CodeHash))).toEqual(VecU8.enc(blob));
  });
});

describe("key strings", () => {
  const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
  it("the hot tables' written-out key strings address the same entries as their byte keys (property)", () => {
    fc.assert(
      fc.property(hash, fc.nat(0xffff_ffff), fc.bigInt(0n, (1n << 64n) - 1n), (h, id, i) => {
        const cases: [string, Uint8Array][] = [
          [keyStringOf(Prefix.Account, [h]), T.account.key(h as AccountId)],
          [keyStringOf(Prefix.Actor, [id]), T.actor.key(id as ActorId)],
          [keyStringOf(Prefix.CallQueue, [id, i]), T.call.key([id as ActorId, i])],
          [keyStringOf(Prefix.Receipt, [h]), T.receipt.key(h as Hash)],
          [keyStringOf(Prefix.Meta, []), T.meta.key(null)],
        ];
        for (const [str, bytes] of cases) {
          expect(str).toBe(keyString(bytes));
          expect(keyBytes(str)).toEqual(bytes);
        }
        // and a value put by the table is found under the byte key (the tables' own key strings)
        const s = createMemoryStorage();
        const v = { id: h as Hash, actor: id as ActorId, block: 1, sequence: i, output: h };
        s.transaction((tx) => {
          T.receipt.put(tx, h as Hash, v);
          T.call.put(tx, [id as ActorId, i], { id: h as Hash, from: h as AccountId, input: h, queuedAt: 0 });
          T.actor.put(tx, id as ActorId, actorOf(h));
          T.account.put(tx, h as AccountId, { free: i, reserved: 0n, nonce: i });
        });
        expect(s.get(T.receipt.key(h as Hash))).toEqual(FAST.receipt.enc(v));
        expect(s.get(T.call.key([id as ActorId, i]))).toBeDefined();
        expect(s.get(T.actor.key(id as ActorId))).toEqual(FAST.actor.enc(actorOf(h)));
        expect(s.get(T.account.key(h as AccountId))).toEqual(
          FAST.account.enc({ free: i, reserved: 0n, nonce: i }),
        );
      }),
      { numRuns: 100 },
    );
  });

  it("compare in the keys' byte order", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 12 }), (a, c) => {
        const bytes = Buffer.compare(Buffer.from(a), Buffer.from(c));
        const strs = keyString(a) < keyString(c) ? -1 : keyString(a) > keyString(c) ? 1 : 0;
        expect(strs).toBe(bytes);
      }),
    );
  });
});

function actorOf(h: Uint8Array): ActorInfo {
  return {
    codeHash: h as CodeHash,
    stateHash: h as Hash,
    sequence: 1n,
    owner: h as AccountId,
    balance: 2n,
    diskReserved: 0n,
    diskUsed: 0n,
    diskDeposit: 0n,
    calls: { first: 3n, len: 4 },
    pigeonhole: { queue: { first: 0n, len: 0 }, head: h as Hash, tail: h as Hash },
    createdAt: 5,
  };
}
