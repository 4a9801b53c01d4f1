/**
 * The base of every error Coreplay throws, shaped after viem's: a one-line `shortMessage`, optional
 * `details` (what exactly was wrong) and a `hint` (what to do), plus the standard `cause`.
 *
 * @example
 * throw new CoreplayError("Program is not WebAssembly", {
 *   details: "expected magic 0x0061736d, got 0x7f454c46",
 *   hint: "build the actor with `coreplay build` first",
 * });
 */
export class CoreplayError extends Error {
  override name = "CoreplayError";
  /** Stable machine-readable code, e.g. `"CODEC_TRAILING_BYTES"`. */
  readonly code: string;
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly hint: string | undefined;

  constructor(
    shortMessage: string,
    opts: { code?: string; details?: string; hint?: string; cause?: unknown } = {},
  ) {
    const lines = [shortMessage];
    if (opts.details) lines.push(`Details: ${opts.details}`);
    if (opts.hint) lines.push(`Hint: ${opts.hint}`);
    super(lines.join("\n"), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code ?? "COREPLAY_ERROR";
    this.shortMessage = shortMessage;
    this.details = opts.details;
    this.hint = opts.hint;
  }
}

/** Expected protocol failures are values, not exceptions (typeberry style). */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });
