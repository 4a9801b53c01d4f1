/**
 * Hoisted dirty-page marks (src/vm/instrument/hoist.ts): which loops qualify, and that a hoisted loop
 * commits exactly what per-page comparison finds, traps where a mark per store would, and charges the
 * same gas with write tracking on and off.
 */
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { planHoist } from "../../src/vm/instrument/hoist.ts";
import { forEachExpression } from "../../src/vm/instrument/walk.ts";
import { programFromWat, wasmFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { fakeHost, IMPORTS } from "./fixtures.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const G = 50_000_000n;
const PAGES = 4;

/**
 * `call` input: op u8, a u32, b u32. Memory: 4 pages (stores at x<<2 reach 65536 i32s).
 * 1 up: x from a to b-1, store x at x<<2        2 down: x from b down to a+1, x--, store x at x<<2
 * 3 down from b through 0 and below (wraps)     4 sparse: like 1, storing only when x % 16384 == 0
 * 5 two stores, both ways at once               6 big steps: x += 20000 (not hoisted)
 * 7 3000 byte stores from b, x += a (a step read from a local: checked at loop entry)
 */
const LOOPS = `(module
  ${IMPORTS}
  (memory (export "memory") ${PAGES})
  (func (export "main"))
  (func $up (param $a i32) (param $b i32) (local $x i32)
    (local.set $x (local.get $a))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $x) (local.get $b)))
      (i32.store (i32.shl (local.get $x) (i32.const 2)) (local.get $x))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br $l))))
  (func $down (param $a i32) (param $b i32) (local $x i32)
    (local.set $x (local.get $b))
    (block $done (loop $l
      (br_if $done (i32.le_u (local.get $x) (local.get $a)))
      (local.set $x (i32.sub (local.get $x) (i32.const 1)))
      (i32.store (i32.shl (local.get $x) (i32.const 2)) (i32.xor (local.get $x) (i32.const -1)))
      (br $l))))
  (func $wrap (param $b i32) (local $x i32)
    (local.set $x (local.get $b))
    (loop $l
      (i32.store offset=8 (i32.shl (local.get $x) (i32.const 2)) (local.get $x))
      (local.set $x (i32.sub (local.get $x) (i32.const 1)))
      (br_if $l (i32.ne (local.get $x) (i32.const -100)))))
  (func $sparse (param $a i32) (param $b i32) (local $x i32)
    (local.set $x (local.get $a))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $x) (local.get $b)))
      (if (i32.eqz (i32.and (local.get $x) (i32.const 16383)))
        (then (i32.store16 offset=2 (i32.shl (local.get $x) (i32.const 2)) (i32.const 7))))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br $l))))
  (func $both (param $a i32) (param $b i32) (local $x i32) (local $y i32)
    (local.set $x (local.get $a))
    (local.set $y (i32.sub (local.get $b) (i32.const 1)))
    (block $done (loop $l
      (br_if $done (i32.ge_s (local.get $x) (local.get $y)))
      (i32.store (i32.shl (local.get $x) (i32.const 2)) (local.get $y))
      (i32.store (i32.add (i32.mul (local.get $y) (i32.const 4)) (i32.const 0)) (local.get $x))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (local.set $y (i32.add (local.get $y) (i32.const -1)))
      (br $l))))
  (func $big (param $a i32) (param $b i32) (local $x i32)
    (local.set $x (local.get $a))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $x) (local.get $b)))
      (i32.store (i32.shl (local.get $x) (i32.const 2)) (i32.const 9))
      (local.set $x (i32.add (local.get $x) (i32.const 20000)))
      (br $l))))
  (func $var (param $d i32) (param $b i32) (local $x i32) (local $n i32)
    (local.set $x (local.get $b))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $n) (i32.const 3000)))
      (i32.store8 (local.get $x) (i32.const 5))
      (local.set $x (i32.add (local.get $x) (local.get $d)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l))))
  (func (export "call") (param i64) (result i32) (local $op i32) (local $a i32) (local $b i32)
    (drop (call $input (i32.const 0) (i32.const 9)))
    (local.set $op (i32.load8_u (i32.const 0)))
    (local.set $a (i32.load align=1 (i32.const 1)))
    (local.set $b (i32.load align=1 (i32.const 5)))
    (if (i32.eq (local.get $op) (i32.const 1)) (then (call $up (local.get $a) (local.get $b))))
    (if (i32.eq (local.get $op) (i32.const 2)) (then (call $down (local.get $a) (local.get $b))))
    (if (i32.eq (local.get $op) (i32.const 3)) (then (call $wrap (local.get $b))))
    (if (i32.eq (local.get $op) (i32.const 4)) (then (call $sparse (local.get $a) (local.get $b))))
    (if (i32.eq (local.get $op) (i32.const 5)) (then (call $both (local.get $a) (local.get $b))))
    (if (i32.eq (local.get $op) (i32.const 6)) (then (call $big (local.get $a) (local.get $b))))
    (if (i32.eq (local.get $op) (i32.const 7)) (then (call $var (local.get $a) (local.get $b))))
    (i32.const 0)))`;

function input(op: number, a: number, b: number): Uint8Array {
  const bytes = new Uint8Array(9);
  const view = new DataView(bytes.buffer);
  bytes[0] = op;
  view.setUint32(1, a >>> 0, true);
  view.setUint32(5, b >>> 0, true);
  return bytes;
}

describe("planHoist", () => {
  /** The plan of each function's loop, by the names given to the module's functions in order. */
  const loopsOf = (wat: string, names: string[]) => {
    const mod = binaryen.readBinary(wasmFromWat(wat));
    const out: Record<string, Array<1 | -1 | 0>> = {};
    let n = 0;
    for (let i = 0; i < mod.getNumFunctions(); i++) {
      const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
      if (info.module) continue;
      const name = names[n++]!;
      forEachExpression(info.body, (e) => {
        if (binaryen.getExpressionId(e) === binaryen.LoopId) out[name] = planHoist(e).map((h) => h.dir);
      });
    }
    mod.dispose();
    return out;
  };

  it("hoists monotonic stores of innermost call-free loops, and nothing else", () => {
    const found = loopsOf(LOOPS, ["main", "up", "down", "wrap", "sparse", "both", "big", "var", "call"]);
    expect(found.up).toEqual([1]);
    expect(found.down).toEqual([-1]);
    expect(found.wrap).toEqual([-1]);
    expect(found.sparse).toEqual([1]);
    expect(found.both).toEqual([1, -1]);
    expect(found.big).toEqual([]); // 80 000 bytes a step: more than a page
    expect(found.var).toEqual([0]); // direction and size of the step decided at loop entry
  });

  it("refuses loops with calls, mixed steps, steps that change, pointers that are not affine", () => {
    const found = loopsOf(
      `(module
      ${IMPORTS}
      (memory 1)
      (func $calls (local $x i32) (loop $l
        (i32.store (local.get $x) (i32.const 1))
        (drop (call $gas_left))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br_if $l (local.get $x))))
      (func $mixed (local $x i32) (loop $l
        (i32.store (local.get $x) (i32.const 1))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $x (i32.sub (local.get $x) (i32.const 8)))
        (br_if $l (local.get $x))))
      (func $variable (param $d i32) (local $x i32) (loop $l
        (i32.store (local.get $x) (i32.const 1))
        (local.set $x (i32.add (local.get $x) (local.get $d)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br_if $l (local.get $x))))
      (func $loaded (local $x i32) (loop $l
        (i32.store (i32.load (local.get $x)) (i32.const 1))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br_if $l (local.get $x)))))`,
      ["calls", "mixed", "variable", "loaded"],
    );
    expect(found).toEqual({ calls: [], mixed: [], variable: [], loaded: [] });
  });
});

describe("hoisted marks", () => {
  const engines = [true, false].map((trackWrites) =>
    createWasmEngine({ trackWrites, maxPages: 16 }).load(programFromWat(LOOPS)),
  );
  // Each case runs on a fresh actor after a first op that dirties a few pages.
  const cases: Array<[string, Uint8Array, boolean]> = [
    ["up across pages", input(1, 100, 40_000), true],
    ["up to the last byte", input(1, 60_000, PAGES * 16_384), true],
    ["up into the scratch", input(1, 60_000, PAGES * 16_384 + 1), false],
    ["down across pages", input(2, 5, 50_000), true],
    ["down from the very end (starts out of bounds, stores in bounds)", input(2, 0, PAGES * 16_384), true],
    ["down from beyond the end", input(2, 0, PAGES * 16_384 + 1), false],
    ["down through 0 (address wraps, traps)", input(3, 0, 1000), false],
    ["sparse stores over many pages", input(4, 0, PAGES * 16_384), true],
    ["two stores moving apart", input(5, 10, 60_000), true],
    ["steps of more than a page", input(6, 3, 65_000), true],
    ["a step from a local, up", input(7, 64, 0), true],
    ["a step from a local, down", input(7, -64, 200_000), true],
    ["a step from a local, down from the end", input(7, -64, PAGES * 65_536), false],
    ["a step from a local of more than a page", input(7, 100_000, 0), false],
    ["a zero step", input(7, 0, 1234), true],
  ];

  for (const [name, bytes, ok] of cases) {
    it(`${name}: same outcome, gas and image with marks and with comparison`, () => {
      const runs = engines.map((program) => {
        const a = program.instantiate(actorId(1), program.createImage(new Uint8Array()), fakeHost());
        const first = a.call(null, input(1, 16_000, 16_100), G);
        expect(first.output.success).toBe(true);
        const before = hex(a.snapshot().hash);
        const r = a.call(null, bytes, G);
        const after = hex(a.snapshot().hash);
        // The committed image is what a fresh instance restored from it holds: run one more op on each.
        const again = program.instantiate(actorId(1), a.snapshot(), fakeHost());
        const next = [a, again].map((x) => {
          x.call(null, input(2, 7, 9), G);
          return hex(x.snapshot().hash);
        });
        expect(next[0]).toBe(next[1]);
        return { ok: r.output.success, gas: r.gasUsed, changed: before !== after, after, next: next[0] };
      });
      expect(runs[0]!.ok).toBe(ok);
      expect(runs[0]!.changed).toBe(ok);
      expect(runs[1]).toEqual(runs[0]);
    });
  }
});

/** main: n iterations of a loop with two hoisted stores, one up and one down, and no calls. */
const SWEEP = `(module
  ${IMPORTS}
  (memory (export "memory") 2)
  (global $s (mut i32) (i32.const 1))
  (func (export "main") (local $i i32) (local $n i32) (local $j i32)
    (drop (call $input (i32.const 0) (i32.const 4)))
    (local.set $n (i32.load (i32.const 0)))
    (local.set $j (i32.const 16000))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (global.set $s (i32.add (i32.mul (global.get $s) (i32.const 1103515245)) (local.get $i)))
      (i32.store offset=16 (i32.shl (local.get $i) (i32.const 2)) (global.get $s))
      (i32.store offset=65536 (i32.shl (local.get $j) (i32.const 2)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
      (br $l))))
  (func (export "call") (param i64) (result i32) (i32.const 0)))`;

describe("hoisted marks and preemption", () => {
  const N = 12_000;
  const arg = Uint8Array.of(N & 255, N >> 8, 0, 0);
  const engine = createWasmEngine();
  const pre = engine.load(programFromWat(SWEEP, { preemptible: true }));
  const coop = engine.load(programFromWat(SWEEP, { preemptible: false }));

  it("a preempted sweep, restored from bytes after every step, ends with the memory of one whole run", () => {
    const whole = coop.instantiate(actorId(1), coop.createImage(arg), fakeHost());
    expect(whole.service(G).status).toBe("returned");
    const want = whole.snapshot().pages.map((p) => (p ? hex(p) : ""));
    for (const budget of [20_000n, 77_777n]) {
      let bytes = pre.createImage(arg).encode();
      let steps = 0;
      for (;;) {
        const a = pre.instantiate(actorId(1), pre.decodeImage(bytes), fakeHost());
        const o = a.service(budget);
        bytes = a.snapshot().encode();
        steps++;
        if (o.status !== "preempted") {
          expect(o.status).toBe("returned");
          break;
        }
      }
      expect(steps).toBeGreaterThan(2);
      const got = pre.decodeImage(bytes).pages.map((p) => (p ? hex(p) : ""));
      expect(got).toEqual(want);
    }
  });
});
