/**
 * Instrumented Wasm behaves exactly like plain Wasm (issue 12 §1, DESIGN §6): each program runs plainly in
 * V8 (stub imports) and through the engine, and both must trap, or both succeed with the same reply.
 * These are the reproductions; test/vm/spec-suite.test.ts runs the official suite the same way.
 */
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { ProgramError } from "../../src/vm/errors.ts";
import { programFromWasm } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { fakeHost } from "./fixtures.ts";

/** Assembles WAT with reference types allowed, so programs the engine must refuse can be written. */
function wasm(wat: string): Uint8Array {
  const m = binaryen.parseText(wat);
  try {
    const F = binaryen.Features;
    m.setFeatures(F.MutableGlobals | F.BulkMemory | F.SignExt | F.NontrappingFPToInt | F.ReferenceTypes);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/** An actor whose `call` runs `body` and replies the 8 bytes at 0. */
const actor = (body: string, extra = "") => `(module
  (import "coreplay" "reply" (func $r (param i32 i32)))
  (memory 1) (export "memory" (memory 0)) ${extra}
  (func (export "main"))
  (func (export "call") (param i64) (result i32)
    ${body}
    (call $r (i32.const 0) (i32.const 8)) (i32.const 0)))`;

type Outcome = { trap: true } | { trap: false; reply: number[] };

function plain(code: Uint8Array): Outcome {
  let reply: number[] = [];
  let memory: WebAssembly.Memory | undefined;
  try {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(code as Uint8Array<ArrayBuffer>), {
      coreplay: {
        reply: (p: number, n: number) => {
          reply = [...new Uint8Array(memory!.buffer, p, n)];
        },
      },
    });
    memory = inst.exports.memory as WebAssembly.Memory;
    (inst.exports.call as (o: bigint) => number)(0n);
    return { trap: false, reply };
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) return { trap: true };
    throw e;
  }
}

function engine(code: Uint8Array, preemptible: boolean): Outcome {
  const program = createWasmEngine().load(programFromWasm(code, { preemptible }));
  const a = program.instantiate(actorId(1), program.createImage(new Uint8Array()), fakeHost());
  const r = a.call(null, new Uint8Array(), 10_000_000n);
  if (!r.output.success) {
    expect(r.output.value.tag).toBe("Trap");
    return { trap: true };
  }
  return { trap: false, reply: [...r.output.value] };
}

describe("instrumented Wasm traps where plain Wasm traps", () => {
  const cases: Array<[string, string, Outcome]> = [
    [
      "a load past the logical end (it used to read the dirty-page map)",
      `(i32.store (i32.const 0) (i32.load8_u (i32.const 65536)))
       (i32.store (i32.const 4) (i32.load8_u (i32.const 65536)))`,
      { trap: true },
    ],
    ["a load straddling the logical end", "(drop (i32.load (i32.const 65534)))", { trap: true }],
    ["a load at a large static offset", "(drop (i64.load offset=65530 (i32.const 0)))", { trap: true }],
    [
      "the last byte of memory",
      "(i32.store8 (i32.const 0) (i32.load8_u (i32.const 65535)))",
      { trap: false, reply: [0, 0, 0, 0, 0, 0, 0, 0] },
    ],
    [
      "memory.copy from beyond the end",
      "(memory.copy (i32.const 0) (i32.const 65536) (i32.const 8))",
      { trap: true },
    ],
    [
      "a zero-length memory.copy from beyond the end",
      "(memory.copy (i32.const 0) (i32.const 65537) (i32.const 0))",
      { trap: true },
    ],
    [
      "a zero-length memory.copy from the end",
      "(memory.copy (i32.const 0) (i32.const 65536) (i32.const 0))",
      { trap: false, reply: [0, 0, 0, 0, 0, 0, 0, 0] },
    ],
    [
      "a zero-length memory.fill beyond the end",
      "(memory.fill (i32.const 65537) (i32.const 1) (i32.const 0))",
      { trap: true },
    ],
    // It used to land in the scratch and run on until the loop ran out of gas: OutOfGas, not Trap.
    [
      "a store past the end followed by a loop",
      "(i32.store (i32.const 65536) (i32.const 1)) (loop $l (br $l))",
      { trap: true },
    ],
    [
      "a store then a grow",
      "(i32.store (i32.const 65540) (i32.const 1)) (drop (memory.grow (i32.const 1)))",
      { trap: true },
    ],
    [
      "a grown page is in bounds",
      "(drop (memory.grow (i32.const 1))) (i32.store (i32.const 0) (i32.load (i32.const 131068)))",
      { trap: false, reply: [0, 0, 0, 0, 0, 0, 0, 0] },
    ],
  ];
  for (const [what, body, expected] of cases) {
    it(`${what}: ${expected.trap ? "traps" : "runs"} in V8 and in the engine, cooperative and preemptible`, () => {
      const code = wasm(actor(body));
      expect(plain(code)).toEqual(expected);
      expect(engine(code, false)).toEqual(expected);
      expect(engine(code, true)).toEqual(expected);
    });
  }
});

describe("programs plain Wasm cannot instantiate, or that use unsupported features, are refused at load", () => {
  const cases: Array<[string, string, string]> = [
    ["an active data segment past the memory", `(data (i32.const 65536) "a")`, "SEGMENT_OUT_OF_BOUNDS"],
    ["an active data segment straddling the end", `(data (i32.const 65535) "ab")`, "SEGMENT_OUT_OF_BOUNDS"],
    [
      "an element segment past the table",
      `(table 1 funcref) (func $f) (elem (i32.const 1) $f)`,
      "SEGMENT_OUT_OF_BOUNDS",
    ],
    [
      "a passive element segment with ref.func and ref.null",
      `(table 1 funcref) (func $f) (elem funcref (ref.func $f) (ref.null func))`,
      "UNSUPPORTED_FEATURE",
    ],
    ["two tables", `(table 1 funcref) (table 1 funcref)`, "UNSUPPORTED_FEATURE"],
  ];
  for (const [what, extra, code] of cases) {
    it(`${what}: ProgramError ${code}`, () => {
      const bytes = wasm(actor("", extra));
      let thrown: unknown;
      try {
        createWasmEngine().load(programFromWasm(bytes));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ProgramError);
      expect((thrown as ProgramError).code).toBe(code);
    });
  }

  it("an active data segment that ends exactly at the memory's end loads, and its bytes are in the image", () => {
    const code = wasm(
      actor("(i64.store (i32.const 0) (i64.load (i32.const 65528)))", `(data (i32.const 65528) "abcdefgh")`),
    );
    expect(plain(code)).toEqual({ trap: false, reply: [..."abcdefgh"].map((c) => c.charCodeAt(0)) });
    expect(engine(code, false)).toEqual(plain(code));
  });
});
