import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Owner } from "../../src/chain/state.ts";
import { createMemoryStorage } from "../../src/chain/storage-memory.ts";
import type { AccountId, ActorId, Hash } from "../../src/codec/ids.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { createDisk, slabs } from "../../src/disk/index.ts";

const enc = new TextEncoder();
const actor = (n: number): Owner => ({ tag: "Actor", value: n as ActorId });
const account = (b: number): Owner => ({ tag: "Account", value: new Uint8Array(32).fill(b) as AccountId });

describe("disk preimages", () => {
  it("stores by blake2b-256, counts references across owners and frees at zero", () => {
    const s = createMemoryStorage();
    const disk = createDisk({ maxPreimageSize: 16 });
    const data = enc.encode("preimage");
    const h = blake2b256(data) as Hash;
    s.transaction((kv) => {
      const a = disk.store(kv, actor(1), data, 0n);
      expect(a.ok && a.value).toEqual({ hash: h, fresh: true });
      const b = disk.store(kv, account(7), data, 80n);
      expect(b.ok && b.value.fresh).toBe(false);
      disk.store(kv, account(7), data, 80n);
    });
    expect(disk.lookup(s, h)).toEqual(data);
    expect(disk.info(s, h)).toEqual({ refs: 3, size: data.length });
    expect(disk.refsOf(s, account(7), h)).toBe(2);
    s.transaction((kv) => {
      const r = disk.release(kv, account(7), h);
      expect(r.ok && r.value).toEqual({ refund: 80n, size: data.length, freed: false });
      expect(disk.release(kv, actor(1), h).ok).toBe(true);
      const last = disk.release(kv, account(7), h);
      expect(last.ok && last.value.freed).toBe(true);
    });
    expect(disk.lookup(s, h)).toBeUndefined();
    expect(disk.info(s, h)).toBeUndefined();
  });

  it("refuses preimages above the bound and releases of references not held", () => {
    const s = createMemoryStorage();
    const disk = createDisk({ maxPreimageSize: 4 });
    s.transaction((kv) => {
      const big = disk.store(kv, actor(1), new Uint8Array(5), 0n);
      expect(!big.ok && big.error.code).toBe("DISK_TOO_LARGE");
      expect(!big.ok && big.error.hint).toMatch(/split/);
      disk.store(kv, actor(1), new Uint8Array(4), 0n);
      const h = blake2b256(new Uint8Array(4)) as Hash;
      // another owner cannot release actor 1's reference
      const other = disk.release(kv, actor(2), h);
      expect(!other.ok && other.error.code).toBe("DISK_NOT_HELD");
      expect(disk.info(kv, h)?.refs).toBe(1);
      const none = disk.release(kv, actor(1), blake2b256(new Uint8Array(1)) as Hash);
      expect(!none.ok && none.error.code).toBe("DISK_NOT_HELD");
    });
  });

  it("keeps requests per actor until cleared, without duplicates", () => {
    const s = createMemoryStorage();
    const disk = createDisk({ maxPreimageSize: 4 });
    const h1 = blake2b256(enc.encode("1")) as Hash;
    const h2 = blake2b256(enc.encode("2")) as Hash;
    s.transaction((kv) => {
      disk.request(kv, 3 as ActorId, h1, 5);
      disk.request(kv, 3 as ActorId, h1, 6);
      disk.request(kv, 3 as ActorId, h2, 6);
      disk.request(kv, 4 as ActorId, h2, 6);
    });
    expect(
      disk
        .requests(s, 3 as ActorId)
        .map((h) => Buffer.from(h).toString("hex"))
        .sort(),
    ).toEqual([h1, h2].map((h) => Buffer.from(h).toString("hex")).sort());
    s.transaction((kv) => disk.clearRequests(kv, 3 as ActorId));
    expect(disk.requests(s, 3 as ActorId)).toEqual([]);
    expect(disk.requests(s, 4 as ActorId)).toEqual([h2]);
  });

  it("keeps each actor's current slab", () => {
    const s = createMemoryStorage();
    s.transaction((kv) => slabs.put(kv, 2 as ActorId, enc.encode("image")));
    expect(slabs.get(s, 2 as ActorId)).toEqual(enc.encode("image"));
    expect(slabs.get(s, 3 as ActorId)).toBeUndefined();
  });

  it("refcounts match a model and never go negative under random store/release (property)", () => {
    const items = ["a", "b", "c"].map((x) => enc.encode(x));
    const owners = [actor(1), actor(2), account(1)];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(2), fc.nat(2)), { maxLength: 60 }), (ops) => {
        const s = createMemoryStorage();
        const disk = createDisk({ maxPreimageSize: 8 });
        const model = new Map<string, number>();
        s.transaction((kv) => {
          for (const [isStore, o, i] of ops) {
            const k = `${o}:${i}`;
            const h = blake2b256(items[i]) as Hash;
            if (isStore) {
              expect(disk.store(kv, owners[o], items[i], 3n).ok).toBe(true);
              model.set(k, (model.get(k) ?? 0) + 1);
            } else {
              const r = disk.release(kv, owners[o], h);
              const held = model.get(k) ?? 0;
              expect(r.ok).toBe(held > 0);
              if (r.ok) {
                expect(r.value.refund).toBe(3n);
                model.set(k, held - 1);
              }
            }
            for (const [j, item] of items.entries()) {
              const total = [0, 1, 2].reduce((n, oo) => n + (model.get(`${oo}:${j}`) ?? 0), 0);
              const hh = blake2b256(item) as Hash;
              expect(disk.info(kv, hh)?.refs ?? 0).toBe(total);
              expect(disk.lookup(kv, hh) !== undefined).toBe(total > 0);
              for (const [oo, owner] of owners.entries())
                expect(disk.refsOf(kv, owner, hh)).toBe(model.get(`${oo}:${j}`) ?? 0);
            }
          }
        });
      }),
      { numRuns: 100 },
    );
  });
});
