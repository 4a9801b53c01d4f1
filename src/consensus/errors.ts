/**
 * Why consensus refused an input (a header, a vote, a commit): an expected outcome, so a value with
 * a reason and no stack (as codec/fast.ts `Refusal`), viem-shaped (`shortMessage`, `details`, `code`).
 */

export type RefusalReason =
  /** Bytes that do not decode (truncated, trailing, non-canonical). */
  | "Malformed"
  /** Bytes over the bound for that message. */
  | "Oversized"
  | "BadSignature"
  /** Aura: the header's author is not validators[slot mod n]. */
  | "WrongAuthor"
  /** A vote or header from a key outside the validator set. */
  | "UnknownVoter"
  /** Aura: a slot after the current one (beyond the allowed drift). */
  | "FutureSlot"
  /** Aura: a slot not above the parent's. */
  | "SlotNotIncreasing"
  /** The header does not extend the parent it names (number or hash). */
  | "WrongParent"
  /** GRANDPA: a vote or commit for another voter set. */
  | "WrongSetId"
  /** GRANDPA: a commit whose precommits do not reach the threshold for its target. */
  | "BelowThreshold"
  /** GRANDPA: a vote for a round this voter no longer (or not yet) counts. */
  | "OutOfRound"
  /** Block tree: the block is not known (a parent, a vote target). */
  | "UnknownBlock"
  /** Block tree: finalising would revert a finalised block. */
  | "ConflictsWithFinalized";

const snake = (r: string) => r.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

/** An input refused by consensus. */
export class ConsensusRefusal {
  /** `CONSENSUS_` + the reason in SCREAMING_SNAKE, e.g. `CONSENSUS_WRONG_AUTHOR`. */
  readonly code: string;
  constructor(
    readonly reason: RefusalReason,
    readonly shortMessage: string,
    readonly details?: string,
  ) {
    this.code = `CONSENSUS_${snake(reason)}`;
  }
}

export const refuse = (reason: RefusalReason, shortMessage: string, details?: string) => ({
  ok: false as const,
  error: new ConsensusRefusal(reason, shortMessage, details),
});
