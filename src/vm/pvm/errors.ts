/**
 * PVM program blobs the engine refuses (DESIGN §12). A running program's own failures (panic, page
 * fault, out of gas) are statuses, not errors.
 */
import { CoreplayError } from "../../errors.ts";

export type PvmErrorCode = "PVM_BAD_BLOB" | "PVM_BAD_ASM";

const HINTS: Record<PvmErrorCode, string> = {
  PVM_BAD_BLOB:
    "a PVM program is E(|j|) ‖ z ‖ E(|c|) ‖ jump table ‖ code ‖ bitmask (Graypaper A.2); build it with `coreplay build foo.pvmasm`",
  PVM_BAD_ASM: "see docs/abi.md, 'PVM assembly', for the syntax",
};

export class PvmError extends CoreplayError {
  override name = "PvmError";
  declare readonly code: PvmErrorCode;
  constructor(shortMessage: string, opts: { code: PvmErrorCode; details?: string; cause?: unknown }) {
    super(shortMessage, { hint: HINTS[opts.code], ...opts });
  }
}
