import { CoreplayError } from "../errors.ts";
import type { InvalidReason } from "./types.ts";

/** Renders an {@link InvalidReason} as one line, for error messages and logs. */
export function describeReason(reason: InvalidReason): string {
  const v = reason.value;
  if (typeof v === "number" || typeof v === "bigint") return `${reason.tag}(${v})`;
  if (typeof v === "string") return `${reason.tag}: ${v}`;
  return `${reason.tag}(0x${Buffer.from(v).toString("hex")})`;
}

/**
 * A collator's draft cannot become a valid PoV. `reason` is the verdict a validator would give.
 *
 * @example
 * try { buildPov(draft) } catch (e) { if (e instanceof PovBuildError) console.log(e.reason.tag) }
 */
export class PovBuildError extends CoreplayError {
  override name = "PovBuildError";
  readonly reason: InvalidReason;
  constructor(reason: InvalidReason, hint?: string) {
    super("Draft agenda does not make a valid PoV", {
      code: `POV_BUILD_${reason.tag.replace(/[A-Z]/g, (c, i) => (i ? "_" : "") + c).toUpperCase()}`,
      details: describeReason(reason),
      hint: hint ?? "fix the draft (DESIGN §4 lists the validity rules) and build again",
    });
    this.reason = reason;
  }
}
