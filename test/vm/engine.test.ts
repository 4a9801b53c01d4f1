import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import type { CallOutput } from "../../src/codec/types.ts";
import { ImageError } from "../../src/vm/errors.ts";
import { PAGE_DIRTY_GAS } from "../../src/vm/gas.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { CRUNCH, ECHO, fakeHost, u32le, WORKER } from "./fixtures.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (...b: number[]) => new Uint8Array(b);
const G = 10_000_000n;

function errTag(o: CallOutput): string {
  return o.success ? "Ok" : o.value.tag;
}

for (const trackWrites of [true, false]) {
  describe(`call semantics (trackWrites: ${trackWrites})`, () => {
    const engine = createWasmEngine({ maxPages: 8, maxCallDepth: 256, trackWrites });
    const program = engine.load(programFromWat(ECHO));
    const fresh = () => program.instantiate(actorId(1), program.createImage(new Uint8Array()), fakeHost());

    it("Ok(reply) echoes the input; state persists across calls", () => {
      const a = fresh();
      const h0 = hex(a.snapshot().hash);
      const r = a.call(null, bytes(0, 1, 2, 3), G);
      expect(r.output).toEqual({ success: true, value: bytes(0, 1, 2, 3) });
      expect(r.gasUsed).toBeGreaterThan(PAGE_DIRTY_GAS); // page 0 changed
      expect(r.gasUsed).toBeLessThan(G);
      const h1 = hex(a.snapshot().hash);
      expect(h1).not.toBe(h0);
      a.call(null, bytes(0), G);
      expect(hex(a.snapshot().hash)).not.toBe(h1);
    });

    it("every failure leaves the image exactly as before, with the right CallError", () => {
      const a = fresh();
      a.call(null, bytes(0, 9), G);
      const before = a.snapshot();
      const cases: Array<[number[], string]> = [
        [[1, 0xee, 0xff], "Actor"],
        [[2], "Trap"],
        [[3], "OutOfGas"],
        [[4], "Trap"], // deterministic call-depth fault
        [[5], "YieldInCall"],
        [[6], "Trap"], // grew memory, wrote to it, trapped
        [[10, ...u32le(131072 + 40)], "Trap"], // a store just past the 2 logical pages
        [[10, ...u32le(131072 + 2)], "Trap"],
        [[10, ...u32le(131070)], "Trap"], // straddling the end of logical memory
        [[10, ...u32le(131072 + 65536 * 5)], "Trap"], // far beyond
        [[11, ...u32le(131072 + 8)], "Trap"], // a store past the end, then memory.grow (never reached)
      ];
      for (const [input, tag] of cases) {
        const r = a.call(null, bytes(...input), 5_000_000n);
        expect(errTag(r.output), `input ${input}`).toBe(tag);
        expect(a.snapshot()).toBe(before);
        expect(a.pages).toBe(2);
      }
      const actor = a.call(null, bytes(1, 0xee, 0xff), G).output;
      expect(actor).toEqual({ success: false, value: { tag: "Actor", value: bytes(0xee, 0xff) } });
      expect(a.call(null, bytes(3), 77_777n).gasUsed).toBe(77_777n);
      // and the instance still works, with its state intact
      const ok = a.call(null, bytes(0, 5), G);
      expect(ok.output.success).toBe(true);
      const snap = a.snapshot();
      const view = new DataView(snap.pages[0]!.buffer, snap.pages[0]!.byteOffset);
      expect(view.getBigUint64(8, true)).toBe(2n); // two successful calls counted, failures rolled back
      // The last 4 bytes of logical memory are the program's own.
      expect(a.call(null, bytes(10, ...u32le(131068)), G).output.success).toBe(true);
      expect(new DataView(a.snapshot().pages[1]!.buffer).getUint32(65532, true)).toBe(0xdeadbeef);
    });

    it("images handed out never change, though commits reuse the page buffers no image was handed", () => {
      const a = fresh();
      a.call(null, bytes(0, 1), G);
      const s1 = a.snapshot();
      const h1 = hex(s1.hash);
      const p1 = hex(s1.pages[0]!);
      for (let i = 2; i < 6; i++) a.call(null, bytes(0, i), G); // page 0 changes every call
      expect(hex(s1.hash)).toBe(h1);
      expect(hex(s1.pages[0]!)).toBe(p1);
      // The latest image equals a fresh run of the same calls.
      const b = fresh();
      for (let i = 1; i < 6; i++) b.call(null, bytes(0, i), G);
      expect(hex(a.snapshot().hash)).toBe(hex(b.snapshot().hash));
      expect(hex(a.image.pages[0]!)).toBe(hex(b.image.pages[0]!));
    });

    it("memory.grow within the cap succeeds; past the cap returns -1", () => {
      const a = fresh();
      const grow = (n: number) => {
        const r = a.call(null, bytes(7, n), G);
        expect(r.output.success).toBe(true);
        const v = new DataView((r.output.value as Uint8Array).buffer);
        return [v.getInt32(0, true), v.getInt32(4, true)];
      };
      expect(grow(3)).toEqual([2, 5]);
      expect(a.pages).toBe(5);
      expect(grow(4)).toEqual([-1, 5]); // 5 + 4 > 8
      expect(grow(3)).toEqual([5, 8]);
      expect(grow(1)).toEqual([-1, 8]);
      const restored = program.instantiate(
        actorId(1),
        program.decodeImage(a.snapshot().encode()),
        fakeHost(),
      );
      expect(restored.pages).toBe(8);
      expect(hex(restored.snapshot().hash)).toBe(hex(a.snapshot().hash));
    });

    it("gas_left sees the budget minus what was spent", () => {
      const a = fresh();
      const r = a.call(null, bytes(9), 1_000_000n);
      const left = new DataView((r.output.value as Uint8Array).buffer).getBigUint64(0, true);
      expect(left).toBeLessThan(1_000_000n);
      expect(left).toBeGreaterThan(999_000n);
    });

    it("same inputs give the same gas and hash on a fresh instance", () => {
      const run = () => {
        const a = fresh();
        const gas = [bytes(0, 1), bytes(1, 2), bytes(7, 1), bytes(0, 3, 3)].map(
          (i) => a.call(null, i, G).gasUsed,
        );
        return { gas, hash: hex(a.snapshot().hash) };
      };
      expect(run()).toEqual(run());
    });

    it("inspectors run on a throw-away copy", () => {
      const a = fresh();
      a.call(null, bytes(0), G);
      const before = a.snapshot();
      expect(a.payout(5, G)).toBe(6n); // calls (1) + now (5)
      expect(a.dependencies(9, G)).toEqual([7, 9]);
      expect(a.snapshot()).toBe(before);
      expect(a.payout(5, 1n)).toBe(0n); // out of gas: 0
    });
  });
}

describe("images across instances", () => {
  const engine = createWasmEngine({ maxPages: 8 });
  const program = engine.load(programFromWat(ECHO));
  const other = engine.load(programFromWat(CRUNCH));

  it("a corrupt or truncated image is CORRUPT; another program's image is WRONG_PROGRAM", () => {
    const a = program.instantiate(actorId(1), program.createImage(bytes(1)), fakeHost());
    a.call(null, bytes(0, 1, 2), G);
    const enc = a.snapshot().encode();
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ImageError);
        return (e as ImageError).code;
      }
      return "none";
    };
    expect(codeOf(() => program.decodeImage(enc.subarray(0, enc.byteLength - 100)))).toBe("CORRUPT");
    expect(codeOf(() => program.decodeImage(enc.subarray(0, 20)))).toBe("CORRUPT");
    expect(codeOf(() => other.decodeImage(enc))).toBe("WRONG_PROGRAM");
    expect(codeOf(() => other.instantiate(actorId(1), a.snapshot(), fakeHost()))).toBe("WRONG_PROGRAM");
    const flipped = enc.slice();
    flipped[35] ^= 0xff; // page count: tag, engine kind, code hash, then u32 LE
    expect(codeOf(() => program.decodeImage(flipped))).toBe("CORRUPT");
    expect(hex(program.decodeImage(enc).hash)).toBe(hex(a.snapshot().hash));
  });

  it("delta encodings carry only changed pages and decode against the base", () => {
    const a = program.instantiate(actorId(1), program.createImage(new Uint8Array()), fakeHost());
    const pre = a.snapshot();
    a.call(null, bytes(0, 1), G);
    const post = a.snapshot();
    const delta = post.encodeDelta(pre);
    expect(delta.byteLength).toBeLessThan(65_536 + 200); // one page
    expect(post.encodeDelta(post).byteLength).toBeLessThan(200); // none
    expect(post.encode().byteLength).toBeGreaterThan(65_536);
    expect(hex(program.decodeImageAgainst(pre, delta).hash)).toBe(hex(post.hash));
  });
});

describe("service semantics", () => {
  const engine = createWasmEngine({ maxPages: 8 });

  it("main yields, resumes, returns, then is idle", () => {
    const p = engine.load(programFromWat(WORKER));
    const a = p.instantiate(actorId(1), p.createImage(u32le(3)), fakeHost());
    expect(a.status).toBe("pending");
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(a.service(G).status);
    expect(seen).toEqual(["yielded", "yielded", "yielded", "returned", "idle", "idle"]);
    expect(a.status).toBe("ended");
    expect(a.snapshot().args.byteLength).toBe(0);
  });

  it("a call between yields sees main's memory and does not disturb the continuation", () => {
    const p = engine.load(programFromWat(WORKER));
    const a = p.instantiate(actorId(1), p.createImage(u32le(4)), fakeHost());
    const b = p.instantiate(actorId(1), p.createImage(u32le(4)), fakeHost());
    for (let i = 0; i < 5; i++) {
      a.service(G);
      b.service(G);
      const r = a.call(null, new Uint8Array(), G);
      expect(r.output.success).toBe(true);
    }
    // The call only replies (no writes), so both actors end identically.
    expect(hex(a.snapshot().hash)).toBe(hex(b.snapshot().hash));
    expect(a.status).toBe("ended");
  });

  it("a trapping main is marked failed with memory as before the step", () => {
    const wat = `(module
      (import "coreplay" "yield" (func $yield))
      (memory (export "memory") 1)
      (func (export "main") (i32.store (i32.const 0) (i32.const 1)) (call $yield)
        (i32.store (i32.const 0) (i32.const 2)) unreachable)
      (func (export "call") (param i64) (result i32) (i32.const 0)))`;
    const p = engine.load(programFromWat(wat));
    const a = p.instantiate(actorId(1), p.createImage(new Uint8Array()), fakeHost());
    expect(a.service(G).status).toBe("yielded");
    const mem = a.snapshot().pages[0];
    const t = a.service(G);
    expect(t.status).toBe("trapped");
    expect(t.reason).toBeDefined();
    expect(a.status).toBe("failed");
    expect(a.snapshot().pages[0]).toBe(mem);
    expect(a.service(G).status).toBe("idle");
  });

  it("yield in an inspector fails the inspector only", () => {
    const wat = `(module
      (import "coreplay" "yield" (func $yield))
      (memory (export "memory") 1)
      (func (export "main")) (func (export "call") (param i64) (result i32) (i32.const 0))
      (func (export "payout") (param i64) (result i64) (call $yield) (i64.const 5)))`;
    const p = engine.load(programFromWat(wat));
    const a = p.instantiate(actorId(1), p.createImage(new Uint8Array()), fakeHost());
    expect(a.payout(1, G)).toBe(0n);
    expect(a.service(G).status).toBe("returned");
  });
});

describe("call depth across suspensions", () => {
  it("yielding deep in recursion many times never drifts the depth counter", () => {
    const wat = `(module
      (import "coreplay" "yield" (func $yield))
      (memory (export "memory") 1)
      (func $down (param $d i32)
        (if (i32.eqz (local.get $d)) (then (call $yield)) (else (call $down (i32.sub (local.get $d) (i32.const 1))))))
      (func (export "main") (local $i i32)
        (loop $l
          (call $down (i32.const 40))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 200)))))
      (func (export "call") (param i64) (result i32) (i32.const 0)))`;
    const p = createWasmEngine({ maxCallDepth: 100 }).load(programFromWat(wat));
    let img = p.createImage(new Uint8Array());
    const depths = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const a = p.instantiate(actorId(1), img, fakeHost());
      expect(a.service(G).status).toBe("yielded");
      img = a.snapshot();
      depths.add(img.depth);
    }
    expect(depths.size).toBe(1);
    expect([...depths][0]).toBeGreaterThan(40);
    const a = p.instantiate(actorId(1), img, fakeHost());
    expect(a.service(G).status).toBe("returned");
    // A deeper recursion than the limit is a deterministic trap.
    const deep = createWasmEngine({ maxCallDepth: 30 }).load(programFromWat(wat));
    const d = deep.instantiate(actorId(1), deep.createImage(new Uint8Array()), fakeHost());
    expect(d.service(G).status).toBe("trapped");
    expect(d.status).toBe("failed");
  });
});

describe("write tracking is an optimisation only", () => {
  it("gas, outcomes and image hashes are identical with trackWrites on and off", () => {
    const run = (trackWrites: boolean) => {
      const p = createWasmEngine({ trackWrites }).load(programFromWat(WORKER));
      const a = p.instantiate(actorId(1), p.createImage(u32le(12)), fakeHost());
      const trace: string[] = [];
      for (let i = 0; i < 14; i++) {
        const o = a.service(G);
        const c = a.call(null, new Uint8Array([i]), 50_000n);
        trace.push(`${o.status}:${o.gasUsed}:${c.gasUsed}:${hex(a.snapshot().hash)}`);
      }
      return trace;
    };
    const on = run(true);
    expect(on.some((t) => t.startsWith("returned"))).toBe(true);
    expect(run(false)).toEqual(on);
  });
});

describe("gas after a resume", () => {
  it("a resumed main runs on the new budget, not on gas saved in its frames", () => {
    const wat = `(module
      (import "coreplay" "yield" (func $yield))
      (import "coreplay" "gas_left" (func $gas_left (result i64)))
      (memory (export "memory") 1)
      (func (export "main") (local $i i32)
        (call $yield)
        (i64.store (i32.const 0) (call $gas_left))
        (call $yield)
        (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
      (func (export "call") (param i64) (result i32) (i32.const 0)))`;
    const p = createWasmEngine().load(programFromWat(wat));
    const a = p.instantiate(actorId(1), p.createImage(new Uint8Array()), fakeHost());
    expect(a.service(1_000_000_000n).status).toBe("yielded");
    expect(a.service(30_000n).status).toBe("yielded");
    const left = new DataView(a.snapshot().pages[0]!.buffer).getBigUint64(0, true);
    expect(left).toBeLessThanOrEqual(30_000n);
    expect(left).toBeGreaterThan(29_000n);
    expect(a.service(50_000n)).toEqual({ status: "out-of-gas", gasUsed: 50_000n });
  });
});
