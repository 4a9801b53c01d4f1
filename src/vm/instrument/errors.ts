import { CoreplayError } from "../../errors.ts";

/** A program the instrumenter cannot accept (DESIGN §6: determinism rules and limits). */
export class InstrumentError extends CoreplayError {
  override name = "InstrumentError";
  constructor(
    shortMessage: string,
    opts: {
      code:
        | "NOT_WASM"
        | "UNSUPPORTED_FEATURE"
        | "MEMORY_TOO_LARGE"
        | "BAD_MEMORY"
        | "UNKNOWN_IMPORT"
        | "MISSING_EXPORT"
        | "BAD_SIGNATURE"
        | "SEGMENT_OUT_OF_BOUNDS"
        | "INTERNAL";
      details?: string;
      hint?: string;
      cause?: unknown;
    },
  ) {
    super(shortMessage, opts);
  }
}
