/**
 * Aura authorship (DESIGN §11): slot = ⌊unix ms / slot ms⌋, author = validators[slot mod n]; a header
 * from the wrong author, with a bad seal, from the future or not after its parent's slot is refused.
 * Pure: the caller passes the clock (`nowMs`); never throws on bad input.
 */
import type { BlockHeader } from "../chain/index.ts";
import { bytesEqual } from "../codec/bytes.ts";
import type { AccountId, Hash } from "../codec/ids.ts";
import { ok, type Result } from "../errors.ts";
import { type ConsensusRefusal, refuse } from "./errors.ts";
import { type SignedHeader, verifyHeader } from "./header.ts";

/**
 * The slot at unix time `ms`: ⌊ms / slotMs⌋ (DESIGN §11 "slot = ⌊unix ms / slot ms⌋").
 * @example slotAt(Date.now(), 2000)
 */
export const slotAt = (ms: number, slotMs: number): bigint => BigInt(Math.floor(ms / slotMs));

/** The unix ms at which `slot` starts. */
export const slotStartMs = (slot: bigint, slotMs: number): number => Number(slot) * slotMs;

/**
 * The index of the slot's author: slot mod n (DESIGN §11 "author = validators[slot mod n]").
 * @example validators[authorFor(slot, validators)]
 */
export const authorFor = (slot: bigint, validators: readonly AccountId[]): number =>
  Number(slot % BigInt(validators.length));

export interface HeaderContext {
  validators: readonly AccountId[];
  nowMs: number;
  slotMs: number;
  /** The header's parent as this node knows it (omit for a header whose parent is not checked here). */
  parent?: { hash: Hash; number: number; slot: bigint };
  /** How far ahead of this node's clock a slot may start and still be taken (default 500 ms). */
  maxDriftMs?: number;
}

/**
 * Checks a sealed header against Aura's rules; returns its hash and author index.
 *
 * @example
 * const r = checkHeader(signed, { validators, nowMs: Date.now(), slotMs: 2000, parent });
 * if (!r.ok) console.log(r.error.reason); // "WrongAuthor", "BadSignature", "FutureSlot", …
 */
export function checkHeader(
  signed: SignedHeader,
  ctx: HeaderContext,
): Result<{ hash: Hash; authorIndex: number }, ConsensusRefusal> {
  try {
    const { header } = signed;
    const { validators } = ctx;
    if (validators.length === 0) return refuse("UnknownVoter", "No validators to author blocks");
    if (typeof header.slot !== "bigint" || header.slot < 0n)
      return refuse("Malformed", "The slot is not a u64");
    const index = authorFor(header.slot, validators);
    if (!bytesEqual(header.author, validators[index] as AccountId)) {
      return refuse(
        "WrongAuthor",
        "Not this slot's author",
        `slot ${header.slot} belongs to validator ${index}`,
      );
    }
    const drift = ctx.maxDriftMs ?? 500;
    if (slotStartMs(header.slot, ctx.slotMs) > ctx.nowMs + drift) {
      return refuse(
        "FutureSlot",
        "The header is for a future slot",
        `slot ${header.slot}, now ${slotAt(ctx.nowMs, ctx.slotMs)}`,
      );
    }
    const p = ctx.parent;
    if (p !== undefined) {
      if (!bytesEqual(header.parent, p.hash) || header.number !== p.number + 1) {
        return refuse(
          "WrongParent",
          "The header does not extend its parent",
          `number ${header.number}, parent #${p.number}`,
        );
      }
      if (header.slot <= p.slot) {
        return refuse(
          "SlotNotIncreasing",
          "The slot is not after the parent's",
          `slot ${header.slot} ≤ parent's ${p.slot}`,
        );
      }
    }
    const v = verifyHeader(signed);
    if (!v.ok) return v;
    return ok({ hash: v.value, authorIndex: index });
  } catch (e) {
    return refuse("Malformed", "The header is malformed", (e as Error)?.message);
  }
}

export type { BlockHeader };
