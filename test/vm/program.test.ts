import { describe, expect, it } from "vitest";
import { ABI_VERSION, PROGRAM_MAGIC, ProgramBlob } from "../../src/codec/types.ts";
import { ProgramError } from "../../src/vm/errors.ts";
import { programFromWasm, programFromWat, wasmFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { ECHO } from "./fixtures.ts";

const engine = createWasmEngine({ maxPages: 16 });

function loadError(blob: Uint8Array): ProgramError {
  try {
    engine.load(blob);
  } catch (e) {
    expect(e).toBeInstanceOf(ProgramError);
    return e as ProgramError;
  }
  throw new Error("expected load to fail");
}

const MIN = (body: string, mem = `(memory (export "memory") 1)`) => `(module ${body} ${mem})`;
const ENTRIES = `(func (export "main")) (func (export "call") (param i64) (result i32) (i32.const 0))`;

describe("load: bad programs get typed errors", () => {
  it("accepts a minimal program and caches it by code hash", () => {
    const blob = programFromWat(MIN(ENTRIES));
    const p = engine.load(blob);
    expect(engine.load(blob.slice())).toBe(p);
    expect(p.codeHash).toHaveLength(32);
    expect(p.metadata.name).toBe("test");
  });

  it("not Wasm", () => {
    expect(loadError(programFromWasm(new TextEncoder().encode("#!/bin/sh\necho hi\n"))).code).toBe(
      "NOT_WASM",
    );
    expect(loadError(programFromWasm(new Uint8Array())).code).toBe("NOT_WASM");
  });

  it("truncated Wasm", () => {
    const wasm = wasmFromWat(MIN(ENTRIES));
    for (const cut of [6, wasm.byteLength - 3, wasm.byteLength - 1]) {
      expect(loadError(programFromWasm(wasm.subarray(0, cut))).code).toBe("TRUNCATED");
    }
  });

  it("invalid Wasm (well framed, does not validate)", () => {
    const bad = MIN(`${ENTRIES}`);
    const wasm = wasmFromWat(bad);
    const broken = wasm.slice();
    // Flip the result type of the `call` function type (i32 → 0x00, no such type).
    const i = broken.lastIndexOf(0x7f);
    broken[i] = 0x01;
    expect(["INVALID_WASM", "NOT_WASM"]).toContain(loadError(programFromWasm(broken)).code);
  });

  it("not a program blob, wrong ABI version, wrong format, malformed blob", () => {
    expect(loadError(wasmFromWat(MIN(ENTRIES))).code).toBe("BAD_MAGIC");
    const code = wasmFromWat(MIN(ENTRIES));
    const meta = { name: "x", preemptible: false, build: "", interface: "" };
    const v2 = ProgramBlob.enc({
      magic: PROGRAM_MAGIC,
      abiVersion: ABI_VERSION + 1,
      format: { tag: "Wasm", value: undefined },
      metadata: meta,
      code,
    });
    expect(loadError(v2).code).toBe("BAD_ABI_VERSION");
    const rv = ProgramBlob.enc({
      magic: PROGRAM_MAGIC,
      abiVersion: ABI_VERSION,
      format: { tag: "Riscv", value: undefined },
      metadata: meta,
      code,
    });
    expect(loadError(rv).code).toBe("WRONG_FORMAT");
    const blob = programFromWasm(code);
    expect(loadError(blob.subarray(0, blob.byteLength - 5)).code).toBe("BAD_BLOB");
    expect(loadError(new Uint8Array([...blob, 0])).code).toBe("BAD_BLOB");
  });

  it("unknown imports", () => {
    const cases = [
      `(import "env" "abort" (func))`,
      `(import "coreplay" "no_such_fn" (func))`,
      `(import "coreplay" "g" (global i32))`,
      `(import "coreplay_internal" "preempt" (func))`,
    ];
    for (const imp of cases) {
      expect(loadError(programFromWat(MIN(`${imp} ${ENTRIES}`))).code).toBe("UNKNOWN_IMPORT");
    }
    const memImport = `(module (import "coreplay" "memory" (memory 1)) (export "memory" (memory 0)) ${ENTRIES})`;
    expect(loadError(programFromWat(memImport)).code).toBe("UNKNOWN_IMPORT");
  });

  it("host function with the wrong signature", () => {
    const e = loadError(programFromWat(MIN(`(import "coreplay" "yield" (func (param i32))) ${ENTRIES}`)));
    expect(e.code).toBe("BAD_SIGNATURE");
    expect(e.details).toContain("coreplay.yield");
  });

  it("missing exports", () => {
    expect(
      loadError(programFromWat(MIN(`(func (export "call") (param i64) (result i32) (i32.const 0))`))).code,
    ).toBe("MISSING_EXPORT");
    expect(loadError(programFromWat(MIN(`(func (export "main"))`))).code).toBe("MISSING_EXPORT");
    expect(loadError(programFromWat(MIN(ENTRIES, "(memory 1)"))).code).toBe("MISSING_EXPORT");
  });

  it("exports with the wrong signature or a reserved name", () => {
    expect(
      loadError(
        programFromWat(
          MIN(
            `(func (export "main") (param i32)) (func (export "call") (param i64) (result i32) (i32.const 0))`,
          ),
        ),
      ).code,
    ).toBe("BAD_SIGNATURE");
    expect(loadError(programFromWat(MIN(`${ENTRIES} (func (export "payout") (param i64))`))).code).toBe(
      "BAD_SIGNATURE",
    );
    expect(
      loadError(programFromWat(MIN(`${ENTRIES} (global (export "__cp_gas") i32 (i32.const 0))`))).code,
    ).toBe("BAD_SIGNATURE");
  });

  it("a memory above the cap", () => {
    const e = loadError(programFromWat(MIN(ENTRIES, `(memory (export "memory") 17)`)));
    expect(e.code).toBe("MEMORY_TOO_LARGE");
    expect(e.hint).toBeDefined();
  });

  it("unsupported features: SIMD, shared memory", () => {
    const simd = MIN(
      `(func (export "main") (drop (v128.const i32x4 1 2 3 4))) (func (export "call") (param i64) (result i32) (i32.const 0))`,
    );
    expect(loadError(programFromWat(simd)).code).toBe("UNSUPPORTED_FEATURE");
    const shared = MIN(ENTRIES, `(memory (export "memory") 1 2 shared)`);
    expect(loadError(programFromWat(shared)).code).toBe("UNSUPPORTED_FEATURE");
  });

  it("a start function that traps fails image creation with INIT_FAILED", () => {
    const p = engine.load(programFromWat(MIN(`(func $s unreachable) (start $s) ${ENTRIES}`)));
    expect(() => p.createImage(new Uint8Array())).toThrowError(
      expect.objectContaining({ code: "INIT_FAILED" }),
    );
  });

  it("a start function that calls a host function fails too (no side effects outside memory)", () => {
    const p = engine.load(
      programFromWat(
        MIN(
          `(import "coreplay" "self_id" (func $id (result i32))) (func $s (drop (call $id))) (start $s) ${ENTRIES}`,
        ),
      ),
    );
    expect(() => p.createImage(new Uint8Array())).toThrowError(ProgramError);
  });

  it("the echo fixture loads with its optional exports", () => {
    const p = engine.load(programFromWat(ECHO));
    expect(p.layout.entries.payout).toBe(true);
    expect(p.layout.entries.dependencies).toBe(true);
  });
});
