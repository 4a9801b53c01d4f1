import { CoreplayError } from "../errors.ts";

/** Misuse of the harness: an unknown actor, a bad agenda, a program the engine rejects. */
export class HarnessError extends CoreplayError {
  override name = "HarnessError";
  constructor(
    shortMessage: string,
    opts: { code: string; details?: string; hint?: string; cause?: unknown },
  ) {
    super(shortMessage, opts);
  }
}
