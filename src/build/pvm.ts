/**
 * `.pvmasm` → program blob of format `Riscv` (DESIGN §12): the PVM assembler's standard program wrapped
 * with the Coreplay header. Every PVM actor is preemptible (the machine stops at any instruction).
 */
import { readFile } from "node:fs/promises";
import type { ProgramMetadata } from "../codec/types.ts";
import { CoreplayError } from "../errors.ts";
import { assemble } from "../vm/pvm/asm.ts";
import { encodeStandard } from "../vm/pvm/layout.ts";
import { wrapProgram } from "./blob.ts";
import { BuildError } from "./errors.ts";

export const PVMASM_BUILD = "coreplay pvmasm 1";

/** Wraps a standard program in a program blob of format `Riscv`. */
export function wrapPvmProgram(
  code: Uint8Array,
  metadata: Omit<ProgramMetadata, "interface"> & { interface?: string },
): Uint8Array {
  return wrapProgram(code, metadata, "Riscv");
}

/** Assembles `.pvmasm` source into a blob's code (a standard program). Throws {@link BuildError}. */
export function assemblePvm(source: string, file: string): Uint8Array {
  try {
    return encodeStandard(assemble(source));
  } catch (e) {
    if (!(e instanceof CoreplayError)) throw e;
    throw new BuildError("PVM assembly failed", {
      code: "BUILD_COMPILE_FAILED",
      details: `${file}: ${e.details ?? e.shortMessage}`,
      hint: "see docs/abi.md, 'PVM assembly'",
      cause: e,
    });
  }
}

export async function readPvmAsm(file: string): Promise<string> {
  return readFile(file, "utf8");
}
