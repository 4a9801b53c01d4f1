/**
 * Both engines behind one {@link Engine} (DESIGN §12): a blob's header says its format (`Wasm` or
 * `Riscv`, docs/abi.md "Program blob"), and `load` hands it to that engine. This is what the node, the
 * validators and the harness run, so Wasm and PVM actors play on the same stages and call each other.
 */
import type { Engine, Program } from "./engine.ts";
import { createPvmEngine, type PvmEngine } from "./pvm/engine.ts";
import { createWasmEngine, type WasmEngine, type WasmEngineOptions } from "./wasm-engine.ts";

/** Offset of the format byte in a program blob: magic (4 bytes), abiVersion (u16). */
const FORMAT_AT = 6;
const FORMAT_RISCV = 1;

export interface Engines extends Engine {
  readonly wasm: WasmEngine;
  readonly pvm: PvmEngine;
  /** Which engine runs `blob` (by its header; a malformed blob goes to Wasm, which says what is wrong). */
  formatOf(blob: Uint8Array): "wasm" | "riscv";
}

export function createEngine(options: Partial<WasmEngineOptions> = {}): Engines {
  const wasm = createWasmEngine(options);
  const pvm = createPvmEngine(options);
  const formatOf = (blob: Uint8Array): "wasm" | "riscv" =>
    blob[0] === 0 &&
    blob[1] === 0x63 &&
    blob[2] === 0x70 &&
    blob[3] === 0x6c &&
    blob[FORMAT_AT] === FORMAT_RISCV
      ? "riscv"
      : "wasm";
  return {
    format: "wasm+riscv",
    wasm,
    pvm,
    formatOf,
    load(blob: Uint8Array): Program {
      return formatOf(blob) === "riscv" ? pvm.load(blob) : wasm.load(blob);
    },
  };
}
