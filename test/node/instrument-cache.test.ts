import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { createDiskInstrumentCache, instrumentCacheDir } from "../../src/node/instrument-cache.ts";
import { instrumentCache, setInstrumentCache } from "../../src/vm/instrument/cache.ts";
import { instrument } from "../../src/vm/instrument/index.ts";
import { programFromWat, wasmFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

const dir = mkdtempSync(join(tmpdir(), "cp-icache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WAT = (n: number) => `(module
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "main"))
  (func (export "call") (param i64) (result i32)
    (i32.store (i32.const 0) (i32.const ${n}))
    (call $reply (i32.const 0) (i32.const 4))
    (i32.const 0)))`;
const OPTS = { preemptible: false, maxPages: 16, maxCallDepth: 256 };

describe("disk instrument cache", () => {
  it("gives back exactly what was stored, and misses on another key", () => {
    const cache = createDiskInstrumentCache(dir);
    const out = instrument(wasmFromWat(WAT(7)), OPTS);
    expect(cache.get("k1")).toBeUndefined();
    cache.set("k1", out);
    const back = cache.get("k1");
    expect(back).toEqual(out);
    expect(Buffer.from(back!.wasm).equals(Buffer.from(out.wasm))).toBe(true);
    expect(cache.get("k2")).toBeUndefined();
    // Another cache on the same directory (another thread, a later run) sees the entry.
    expect(createDiskInstrumentCache(dir).get("k1")).toEqual(out);
  });

  it("treats a damaged entry as a miss", () => {
    const cache = createDiskInstrumentCache(dir);
    cache.set("k3", instrument(wasmFromWat(WAT(8)), OPTS));
    for (const f of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, f));
      bytes[bytes.length - 1] ^= 1;
      writeFileSync(join(dir, f), bytes);
    }
    expect(cache.get("k3")).toBeUndefined();
    writeFileSync(join(dir, readdirSync(dir)[0]!), "junk");
    expect(cache.get("k1")).toBeUndefined();
  });

  it("the engine loads through the installed cache: a second engine finds the first one's entry", () => {
    const before = instrumentCache();
    const gets: string[] = [];
    const sets: string[] = [];
    const disk = createDiskInstrumentCache(join(dir, "engine"));
    setInstrumentCache({
      get(k) {
        gets.push(k);
        return disk.get(k);
      },
      set(k, v) {
        sets.push(k);
        disk.set(k, v);
      },
    });
    try {
      // Distinct call depths keep the engines' in-memory program cache out of the way.
      const blob = programFromWat(WAT(41));
      const a = createWasmEngine({ maxPages: 16, maxCallDepth: 301 }).load(blob);
      expect(sets).toHaveLength(1);
      const b = createWasmEngine({ maxPages: 16, maxCallDepth: 301, trackWrites: false }).load(blob);
      expect(gets).toHaveLength(2);
      expect(sets).toHaveLength(1); // the second load was a hit
      for (const p of [a, b]) {
        const actor = p.instantiate(actorId(1), p.createImage(new Uint8Array()), {} as never);
        const r = actor.call(null, new Uint8Array(), 1_000_000n);
        expect(r.output).toEqual({ success: true, value: Uint8Array.of(41, 0, 0, 0) });
      }
    } finally {
      setInstrumentCache(before);
    }
  });

  it("is off with COREPLAY_CACHE=off and moves with COREPLAY_CACHE_DIR", () => {
    expect(instrumentCacheDir({ COREPLAY_CACHE: "off" })).toBeUndefined();
    expect(instrumentCacheDir({ COREPLAY_CACHE_DIR: "/x/y" })).toBe("/x/y");
    expect(instrumentCacheDir({})).toMatch(/node_modules\/\.cache\/coreplay\/instrument$/);
  });
});
