import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { FAULT, type InstrumentOptions, instrument } from "../../src/vm/instrument/index.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { fakeHost } from "./fixtures.ts";

const OPTS: InstrumentOptions = { preemptible: false, maxPages: 16, maxCallDepth: 200 };

function wasm(wat: string): Uint8Array {
  const m = binaryen.parseText(wat);
  try {
    // Not Features.All: binaryen would emit encodings (compact imports) that Node 20's V8 rejects.
    const F = binaryen.Features;
    m.setFeatures(F.MutableGlobals | F.BulkMemory | F.SignExt | F.NontrappingFPToInt | F.SIMD128);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/** Wraps actor code with the imports and exports every program needs. */
function actor(body: string, extraImports = ""): string {
  return `(module
    (import "coreplay" "yield" (func $yield))
    ${extraImports}
    (memory (export "memory") 1)
    ${body})`;
}

const MAIN_CALL = `(func (export "main")) (func (export "call") (param i64) (result i32) (i32.const 0))`;

type Exports = Record<string, CallableFunction & WebAssembly.Global> & { memory: WebAssembly.Memory };

function load(code: Uint8Array, opts: Partial<InstrumentOptions> = {}, preempt: () => void = () => {}) {
  const out = instrument(code, { ...OPTS, ...opts });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(out.wasm as Uint8Array<ArrayBuffer>), {
    coreplay: { yield: () => {} },
    coreplay_internal: { preempt },
  });
  return { out, ex: instance.exports as unknown as Exports };
}

function trapOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "no trap";
}

describe("instrument: rejects programs it cannot run deterministically", () => {
  const cases: Array<[string, () => Uint8Array, string]> = [
    ["not Wasm", () => new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3, 4]), "NOT_WASM"],
    ["truncated Wasm", () => wasm(actor(MAIN_CALL)).slice(0, 20), "NOT_WASM"],
    [
      "an unknown import",
      () => wasm(actor(MAIN_CALL, `(import "env" "abort" (func (param i32 i32 i32 i32)))`)),
      "UNKNOWN_IMPORT",
    ],
    [
      "a host function with the wrong signature",
      () => wasm(actor(MAIN_CALL, `(import "coreplay" "log" (func (param i32)))`)),
      "BAD_SIGNATURE",
    ],
    ["a missing `call` export", () => wasm(actor(`(func (export "main"))`)), "MISSING_EXPORT"],
    [
      "an export with the wrong signature",
      () => wasm(actor(`(func (export "main")) (func (export "call") (result i32) (i32.const 0))`)),
      "BAD_SIGNATURE",
    ],
    [
      "memory above the cap",
      () =>
        wasm(`(module (memory (export "memory") 17) (func (export "main"))
          (func (export "call") (param i64) (result i32) (i32.const 0)))`),
      "MEMORY_TOO_LARGE",
    ],
    [
      "an imported memory",
      () =>
        wasm(`(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)) (func (export "main"))
          (func (export "call") (param i64) (result i32) (i32.const 0)))`),
      "BAD_MEMORY",
    ],
    [
      "SIMD",
      () =>
        wasm(
          actor(`(func (export "main") (v128.store (i32.const 0) (v128.const i64x2 1 2)))
            (func (export "call") (param i64) (result i32) (i32.const 0))`),
        ),
      "UNSUPPORTED_FEATURE",
    ],
  ];
  for (const [what, make, code] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      const bytes = make();
      expect(() => instrument(bytes, OPTS)).toThrowError(expect.objectContaining({ code }));
    });
  }
});

describe("instrument: gas", () => {
  const loop = wasm(
    actor(`
      (func $spin (param $n i32) (local $i i32)
        (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
      (func (export "main") (call $spin (i32.const 1000)))
      (func (export "call") (param i64) (result i32) (call $spin (i32.wrap_i64 (local.get 0))) (i32.const 0))`),
  );

  it("charges per loop iteration, linearly and identically on every run", () => {
    const { ex } = load(loop);
    const used = (n: number) => {
      ex.__cp_gas.value = 1_000_000n;
      ex.call(BigInt(n));
      return 1_000_000n - (ex.__cp_gas.value as bigint);
    };
    const a = used(100);
    const b = used(200);
    const c = used(300);
    expect(a).toBeGreaterThan(0n);
    expect(c - b).toBe(b - a);
    expect(used(200)).toBe(b);
    // Small innermost loops run two bodies per gas check: odd counts still pay per iteration.
    const perIteration = (b - a) / 100n;
    expect(used(101) - a).toBe(perIteration);
    expect(used(103) - used(102)).toBe(perIteration);
  });

  it("traps with FAULT.OutOfGas when the budget runs out in a loop (cooperative)", () => {
    const { ex } = load(loop);
    ex.__cp_gas.value = 500n;
    expect(trapOf(() => ex.call(1_000_000_000n))).toMatch(/unreachable/);
    expect(ex.__cp_fault.value).toBe(FAULT.OutOfGas);
  });

  it("calls preempt instead of trapping when preemptible, and continues after a refill", () => {
    let preempts = 0;
    const { ex } = load(loop, { preemptible: true }, () => {
      preempts++;
      ex.__cp_gas.value = 10_000n;
    });
    ex.__cp_gas.value = 1_000n;
    ex.call(20_000n);
    expect(preempts).toBeGreaterThan(5);
    expect(ex.__cp_fault.value).toBe(FAULT.None);
  });

  it("charges loop-free helpers at the call site without instrumenting them", () => {
    const code = wasm(
      actor(`
        (func $helper (param $x i32) (result i32) (i32.add (i32.mul (local.get $x) (local.get $x)) (i32.const 1)))
        (func (export "main"))
        (func (export "call") (param i64) (result i32) (call $helper (i32.wrap_i64 (local.get 0))))`),
    );
    const { ex } = load(code);
    ex.__cp_gas.value = 1000n;
    expect(ex.call(6n)).toBe(37);
    const used = 1000n - (ex.__cp_gas.value as bigint);
    expect(used).toBeGreaterThan(5n);
  });

  it("is deterministic: the same input gives byte-identical output", () => {
    const a = instrument(loop, OPTS).wasm;
    const b = instrument(loop, OPTS).wasm;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});

describe("instrument: call depth", () => {
  const recursive = wasm(
    actor(`
      (func $down (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get $n) (i32.const 1)))))))
      (func (export "main"))
      (func (export "call") (param i64) (result i32) (call $down (i32.wrap_i64 (local.get 0))))`),
  );

  it("allows recursion within the limit and unwinds the counter", () => {
    const { ex } = load(recursive);
    ex.__cp_gas.value = 1_000_000n;
    expect(ex.call(150n)).toBe(150);
    expect(ex.__cp_depth.value).toBe(0);
  });

  it("faults with FAULT.CallDepth at the same depth on every run", () => {
    const { ex } = load(recursive);
    const limit = () => {
      let n = 150;
      for (;;) {
        ex.__cp_gas.value = 1_000_000n;
        ex.__cp_depth.value = 0;
        ex.__cp_fault.value = 0;
        if (trapOf(() => ex.call(BigInt(n))) !== "no trap") return n;
        n++;
      }
    };
    const first = limit();
    expect(ex.__cp_fault.value).toBe(FAULT.CallDepth);
    expect(first).toBeLessThanOrEqual(201);
    expect(limit()).toBe(first);
  });
});

describe("instrument: memory", () => {
  const mem = wasm(
    actor(`
      (func (export "main"))
      (func (export "size") (result i32) (memory.size))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 7) (local.get 1)))
      (func (export "call") (param i64) (result i32) (i32.const 0))`),
  );

  it("shows the program its logical size and keeps the scratch pages below it", () => {
    const { ex, out } = load(mem);
    ex.__cp_gas.value = 1_000_000n;
    expect(ex.size()).toBe(1);
    expect(ex.memory.buffer.byteLength / 65536).toBe(1 + out.reservedPages);
    expect(ex.grow(2)).toBe(1);
    expect(ex.size()).toBe(3);
    expect(ex.__cp_pages.value).toBe(3);
    ex.store(8, 0x01020304);
    const base = out.reservedPages * 65536;
    expect(new DataView(ex.memory.buffer).getUint32(base + 8, true)).toBe(0x01020304);
  });

  it("refuses to grow past the cap", () => {
    const { ex } = load(mem);
    ex.__cp_gas.value = 1_000_000n;
    expect(ex.grow(16)).toBe(-1);
    expect(ex.grow(15)).toBe(1);
    expect(ex.grow(1)).toBe(-1);
    expect(ex.size()).toBe(16);
  });

  it("gives zeroed pages on grow and keeps the dirty map at address 0", () => {
    const { ex } = load(mem);
    ex.__cp_gas.value = 1_000_000n;
    ex.store(100, 42);
    const map = () => [...new Uint8Array(ex.memory.buffer, 0, 2)];
    expect(map()).toEqual([1, 0]);
    expect(ex.grow(1)).toBe(1);
    expect(ex.load(65536 + 1000)).toBe(0);
    expect(ex.load(65536 * 2 - 4)).toBe(0);
    expect(map()).toEqual([1, 0]);
  });

  it("marks pages dirty on stores and bulk writes", () => {
    const { ex } = load(mem);
    ex.__cp_gas.value = 1_000_000n;
    ex.grow(3);
    ex.store(65536 * 2 + 8, 1);
    ex.fill(65536 * 3 - 10, 20);
    expect([...new Uint8Array(ex.memory.buffer, 0, 4)]).toEqual([0, 0, 1, 1]);
  });

  it("traps on every access past the logical end, as plain Wasm does, and marks nothing", () => {
    const { ex } = load(mem);
    ex.__cp_gas.value = 1_000_000n;
    expect(trapOf(() => ex.store(65536 - 2, 5))).toMatch(/out of bounds/);
    expect(trapOf(() => ex.store(65536 + 1, 0))).toMatch(/out of bounds/);
    expect(trapOf(() => ex.load(65536 - 3))).toMatch(/out of bounds/);
    expect(trapOf(() => ex.load(65536))).toMatch(/out of bounds/);
    expect(trapOf(() => ex.fill(65530, 10))).toMatch(/unreachable/);
    expect(trapOf(() => ex.fill(65537, 0))).toMatch(/unreachable/);
    expect(ex.fill(65536, 0)).toBeUndefined();
    expect(ex.__cp_fault.value).toBe(FAULT.None);
    expect([...new Uint8Array(ex.memory.buffer, 0, 4)]).toEqual([0, 0, 0, 0]);
  });
});

describe("instrument: start and globals", () => {
  it("moves the start function to __cp_start and exports mutable globals in order", () => {
    const code = wasm(
      actor(`
        (global $a (mut i32) (i32.const 5))
        (global $k i32 (i32.const 1))
        (global $b (mut i64) (i64.const 9))
        (func $init (global.set $a (i32.const 6)))
        (start $init)
        ${MAIN_CALL}`),
    );
    const { ex, out } = load(code);
    expect(out.globals).toEqual([
      { exportName: "__cp_g0", type: "i32" },
      { exportName: "__cp_g1", type: "i64" },
    ]);
    expect(out.entries.start).toBe(true);
    expect(ex.__cp_g0.value).toBe(5);
    ex.__cp_gas.value = 1000n;
    ex.__cp_start();
    expect(ex.__cp_g0.value).toBe(6);
  });
});

describe("instrument + engine: a store straddling two pages", () => {
  it("marks only the page of the store's last byte", () => {
    const { ex } = load(
      wasm(
        actor(`${MAIN_CALL}
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))`),
      ),
    );
    ex.__cp_gas.value = 1_000_000n;
    ex.grow(1);
    ex.store(65534, 0x04030201);
    expect([...new Uint8Array(ex.memory.buffer, 0, 2)]).toEqual([0, 1]);
  });

  it("still has the engine capture the first page's change in the image", () => {
    const wat = `(module
      (import "coreplay" "reply" (func $reply (param i32 i32)))
      (memory (export "memory") 2)
      (func (export "main"))
      (func (export "call") (param i64) (result i32)
        (if (i32.eqz (i32.load (i32.const 65534))) (then (i32.store (i32.const 65534) (i32.const 0x04030201))))
        (call $reply (i32.const 65534) (i32.const 4))
        (i32.const 0)))`;
    const program = createWasmEngine().load(programFromWat(wat));
    const a = program.instantiate(actorId(1), program.createImage(new Uint8Array()), fakeHost());
    expect(a.call(null, new Uint8Array(), 1_000_000n).output.success).toBe(true);
    const restored = program.instantiate(actorId(1), program.decodeImage(a.snapshot().encode()), fakeHost());
    const again = restored.call(null, new Uint8Array(), 1_000_000n);
    expect(again.output).toEqual({ success: true, value: new Uint8Array([1, 2, 3, 4]) });
  });
});
