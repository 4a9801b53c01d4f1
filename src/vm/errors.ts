/**
 * Engine-level errors: a program blob the engine refuses at upload, or image bytes it cannot use.
 * An actor's own failures at run time (trap, out of gas, yield in call) are not errors but results
 * (`ServiceOutcome`, `CallOutput`), because they are deterministic protocol outcomes (DESIGN §4 rule 4).
 */
import { CoreplayError } from "../errors.ts";

export type ProgramErrorCode =
  | "BAD_BLOB"
  | "BAD_MAGIC"
  | "BAD_ABI_VERSION"
  | "WRONG_FORMAT"
  | "NOT_WASM"
  | "TRUNCATED"
  | "INVALID_WASM"
  | "UNKNOWN_IMPORT"
  | "MISSING_EXPORT"
  | "BAD_SIGNATURE"
  | "BAD_MEMORY"
  | "MEMORY_TOO_LARGE"
  | "UNSUPPORTED_FEATURE"
  | "SEGMENT_OUT_OF_BOUNDS"
  | "INIT_FAILED"
  | "INTERNAL"
  | "INSTRUMENTER_NOT_LOADED";

const PROGRAM_HINTS: Partial<Record<ProgramErrorCode, string>> = {
  BAD_BLOB: "wrap the Wasm in a program blob (docs/abi.md, 'Program blob'), e.g. with `coreplay build`",
  BAD_MAGIC: "wrap the Wasm in a program blob (docs/abi.md, 'Program blob'), e.g. with `coreplay build`",
  BAD_ABI_VERSION: "rebuild the actor against ABI version 1",
  WRONG_FORMAT: "this engine runs Wasm programs only",
  NOT_WASM: "the blob's code must be a WebAssembly binary module (magic \\0asm, version 1)",
  INVALID_WASM: "the Wasm does not validate; check your toolchain's output and target (wasm32, MVP)",
  TRUNCATED: "the Wasm binary ends early; upload the whole file",
  UNKNOWN_IMPORT: "import only the host functions of docs/abi.md, from module `coreplay`",
  MISSING_EXPORT: "export `memory`, `main` and `call` (docs/abi.md, 'Exports')",
  BAD_SIGNATURE: "match the signatures of docs/abi.md exactly",
  MEMORY_TOO_LARGE: "declare a smaller initial memory (the cap is per actor, default 64 pages = 4 MiB)",
  UNSUPPORTED_FEATURE: "build for Wasm MVP + bulk memory, sign-ext, mutable globals (no SIMD, threads)",
  SEGMENT_OUT_OF_BOUNDS: "an active data or element segment must fit in the initial memory or table",
  INIT_FAILED: "the start function / `_initialize` may only compute and write memory, within the gas",
};

/** A program the engine refuses at upload (docs/abi.md). */
export class ProgramError extends CoreplayError {
  override name = "ProgramError";
  declare readonly code: ProgramErrorCode;
  constructor(
    shortMessage: string,
    opts: { code: ProgramErrorCode; details?: string; hint?: string; cause?: unknown },
  ) {
    super(shortMessage, { hint: PROGRAM_HINTS[opts.code], ...opts });
  }
}

export type ImageErrorCode = "CORRUPT" | "WRONG_PROGRAM" | "WRONG_BASE";

/** Image bytes that are truncated, non-canonical, or belong to another program (DESIGN §5). */
export class ImageError extends CoreplayError {
  override name = "ImageError";
  declare readonly code: ImageErrorCode;
  constructor(shortMessage: string, opts: { code: ImageErrorCode; details?: string; cause?: unknown }) {
    super(shortMessage, {
      hint:
        opts.code === "CORRUPT"
          ? "image bytes come from a slab; check the slab was transmitted whole"
          : "decode an image with the program (and, for a delta, the base image) it was made from",
      ...opts,
    });
  }
}
