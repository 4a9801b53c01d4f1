/** The program blob (src/codec/types.ts `ProgramBlob`): magic, ABI version, format, metadata, code. */

import { bytesEqual } from "../codec/bytes.ts";
import {
  ABI_VERSION,
  decodeExact,
  PROGRAM_MAGIC,
  ProgramBlob,
  type ProgramMetadata,
} from "../codec/types.ts";
import { BuildError } from "./errors.ts";

/**
 * Wraps Wasm code in a program blob with its header and metadata (no `interface`: an empty one, and
 * the program is called with hex).
 *
 * @example const blob = wrapProgram(wasm, { name: "counter", preemptible: false, build: "asc 0.28.20" });
 */
export function wrapProgram(
  code: Uint8Array,
  metadata: Omit<ProgramMetadata, "interface"> & { interface?: string },
  format: "Wasm" | "Riscv" = "Wasm",
): Uint8Array {
  return ProgramBlob.enc({
    magic: PROGRAM_MAGIC,
    abiVersion: ABI_VERSION,
    format: { tag: format, value: undefined },
    metadata: { ...metadata, interface: metadata.interface ?? "" },
    code,
  });
}

/**
 * Decodes a program blob, checking the magic and the ABI version. Throws {@link BuildError}.
 *
 * @example const { metadata, code } = unwrapProgram(readFileSync("counter.cpl"));
 */
export function unwrapProgram(blob: Uint8Array): ProgramBlob {
  if (blob.byteLength < 4 || !bytesEqual(blob.subarray(0, 4), PROGRAM_MAGIC)) {
    throw new BuildError("Not a Coreplay program blob", {
      code: "BUILD_NOT_A_PROGRAM",
      details: `expected magic 0x0063706c, got 0x${Buffer.from(blob.subarray(0, 4)).toString("hex")}`,
      hint: "build the actor with `coreplay build` and pass the .cpl file",
    });
  }
  let decoded: ProgramBlob;
  try {
    decoded = decodeExact(ProgramBlob, blob, "program blob");
  } catch (cause) {
    throw new BuildError("Malformed program blob", {
      code: "BUILD_MALFORMED_PROGRAM",
      details: (cause as Error).message,
      hint: "rebuild the actor with `coreplay build`",
      cause,
    });
  }
  if (decoded.abiVersion !== ABI_VERSION) {
    throw new BuildError("Program blob speaks another ABI version", {
      code: "BUILD_ABI_VERSION",
      details: `blob has ABI ${decoded.abiVersion}, this Coreplay speaks ${ABI_VERSION}`,
      hint: "rebuild the actor with this version of `coreplay build`",
    });
  }
  return decoded;
}
