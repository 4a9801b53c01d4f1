/**
 * Test helpers: build program blobs from hand-written WAT. Used by the engine's tests and by other
 * layers (chain, pov, SDK) that need a real actor without a toolchain. Not used in consensus paths.
 */
import binaryen from "binaryen";
import { ABI_VERSION, PROGRAM_MAGIC, ProgramBlob, type ProgramMetadata } from "../codec/types.ts";
import { CoreplayError } from "../errors.ts";

/** What WAT may use: the features actors may use, plus SIMD and threads so tests can show rejection. */
const WAT_FEATURES =
  binaryen.Features.MutableGlobals |
  binaryen.Features.SignExt |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.SIMD128 |
  binaryen.Features.Atomics |
  binaryen.Features.Multivalue;

/**
 * Assembles WAT text into a Wasm binary with Binaryen (the engine decides what it accepts).
 *
 * @example const wasm = wasmFromWat(`(module (memory (export "memory") 1))`, { optimize: true });
 */
export function wasmFromWat(wat: string, opts: { optimize?: boolean } = {}): Uint8Array {
  let mod: binaryen.Module;
  try {
    mod = binaryen.parseText(wat);
  } catch (cause) {
    throw new CoreplayError("Invalid WAT", { code: "INVALID_WAT", details: String(cause), cause });
  }
  try {
    mod.setFeatures(WAT_FEATURES);
    if (!mod.validate()) {
      throw new CoreplayError("WAT does not validate", {
        code: "INVALID_WAT",
        hint: "binaryen printed the validation errors above",
      });
    }
    if (opts.optimize) {
      // As a release toolchain would (-O2): benches compare instrumented against optimised plain code.
      binaryen.setOptimizeLevel(2);
      binaryen.setShrinkLevel(0);
      mod.optimize();
    }
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

/**
 * Wraps raw program code (Wasm bytes) in a program blob (docs/abi.md, "Program blob").
 *
 * @example const blob = programFromWasm(wasm, { preemptible: true });
 */
export function programFromWasm(code: Uint8Array, meta: Partial<ProgramMetadata> = {}): Uint8Array {
  return ProgramBlob.enc({
    magic: PROGRAM_MAGIC,
    abiVersion: ABI_VERSION,
    format: { tag: "Wasm", value: undefined },
    metadata: {
      name: meta.name ?? "test",
      preemptible: meta.preemptible ?? false,
      build: meta.build ?? "wat",
      interface: meta.interface ?? "",
    },
    code,
  });
}

/**
 * Builds a program blob from WAT text: the quickest way to get a real actor in a test.
 *
 * @example
 * const blob = programFromWat(`(module
 *   (memory (export "memory") 1)
 *   (func (export "main"))
 *   (func (export "call") (param i64) (result i32) (i32.const 0)))`);
 * const program = createWasmEngine().load(blob);
 */
export function programFromWat(wat: string, meta: Partial<ProgramMetadata> = {}): Uint8Array {
  return programFromWasm(wasmFromWat(wat), meta);
}
