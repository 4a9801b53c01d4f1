import { CoreplayError } from "../errors.ts";

/** One compiler diagnostic, as AssemblyScript reported it. */
export interface Diagnostic {
  /** "error" | "warning" | "info" */
  category: string;
  code: number;
  message: string;
  /** `file:line:column`, when the diagnostic points into a source. */
  location?: string;
}

/**
 * A program could not be built: the entry is missing, the AssemblyScript compiler reported errors, or
 * the resulting module breaks the ABI (src/vm/abi.ts).
 *
 * @example
 * try { await buildProgram("examples/counter") } catch (e) {
 *   if (e instanceof BuildError) for (const d of e.diagnostics) console.error(d.location, d.message);
 * }
 */
export class BuildError extends CoreplayError {
  override name = "BuildError";
  readonly diagnostics: readonly Diagnostic[];

  constructor(
    shortMessage: string,
    opts: { code: string; details?: string; hint?: string; diagnostics?: Diagnostic[]; cause?: unknown },
  ) {
    super(shortMessage, opts);
    this.diagnostics = opts.diagnostics ?? [];
  }
}
