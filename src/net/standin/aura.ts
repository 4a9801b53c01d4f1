/**
 * STAND-IN for the Aura checks of src/consensus/ (branch state-root). DESIGN §11: slot = ⌊unix ms /
 * slot ms⌋, author = validators[slot mod n]; headers are signed (ed25519); a block from the wrong
 * author or the future is refused. Pure (the caller passes the time).
 */
import type { AccountId, Hash } from "../../codec/ids.ts";
import { verify } from "../../crypto/ed25519.ts";
import { err, ok, type Result } from "../../errors.ts";
import { type NetBlock, sealMessage } from "../wire.ts";
import type { TreeEntry } from "./tree.ts";

/** A block may be this far ahead of the local clock (clock drift between machines). */
export const MAX_DRIFT_MS = 500;

export const slotAt = (ms: number, slotMs: number): bigint => BigInt(Math.floor(ms / slotMs));
export const authorOf = (slot: bigint, n: number): number => Number(slot % BigInt(n));

export type HeaderFault =
  | "WRONG_AUTHOR"
  | "BAD_SEAL"
  | "FUTURE_SLOT"
  | "BAD_NUMBER"
  | "SLOT_NOT_AFTER_PARENT";

/** Checks a header against its parent and the validator set. */
export function checkHeader(
  b: NetBlock,
  ctx: { genesis: Hash; validators: readonly AccountId[]; slotMs: number; nowMs: number; parent?: TreeEntry },
): Result<null, { fault: HeaderFault; details: string }> {
  const h = b.header;
  const n = ctx.validators.length;
  // "author = validators[slot mod n]"
  if (h.author !== authorOf(h.slot, n))
    return err({
      fault: "WRONG_AUTHOR",
      details: `slot ${h.slot} belongs to validator ${authorOf(h.slot, n)}, not ${h.author}`,
    });
  // "a block from ... the future is refused"
  if (Number(h.slot) * ctx.slotMs > ctx.nowMs + MAX_DRIFT_MS)
    return err({ fault: "FUTURE_SLOT", details: `slot ${h.slot} starts after now + ${MAX_DRIFT_MS} ms` });
  // "headers are signed"
  if (!verify(b.seal, sealMessage(ctx.genesis, h), ctx.validators[h.author]!))
    return err({ fault: "BAD_SEAL", details: `seal is not validator ${h.author}'s signature` });
  if (ctx.parent) {
    if (h.number !== ctx.parent.number + 1)
      return err({ fault: "BAD_NUMBER", details: `#${h.number} on parent #${ctx.parent.number}` });
    if (h.slot <= ctx.parent.slot)
      return err({ fault: "SLOT_NOT_AFTER_PARENT", details: `slot ${h.slot} ≤ parent's ${ctx.parent.slot}` });
  }
  return ok(null);
}
