/**
 * The canonical collator of an actor for one block (DESIGN §8, §11): the registered collators, ranked
 * for that actor by blake2b-256(parent hash ‖ actor ‖ collator key) (a seeded shuffle per actor), the
 * first not in the actor's `missed` list. A collator that was canonical for an actor with work and
 * brought no PoV for it is put on that list (chain.ts, after admission), so the next block draws
 * another one: no actor with work waits for a dead collator more than one block. The list is cleared
 * when the actor gets a PoV, and when it would exclude everyone. Pure.
 */
import { bytesEqual, toHex } from "../codec/bytes.ts";
import type { AccountId, ActorId } from "../codec/ids.ts";
import { blake2b256 } from "../crypto/blake2b.ts";

const actorBytes = (a: ActorId): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, a);
  return b;
};

/** The collators in their order for `actor` in the block on `parent` (best first). */
export function rankCollators(
  actor: ActorId,
  parent: Uint8Array,
  collators: readonly AccountId[],
): AccountId[] {
  const a = actorBytes(actor);
  return collators
    .map((c) => ({ c, k: toHex(blake2b256(parent, a, c)) }))
    .sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0))
    .map((x) => x.c);
}

/**
 * The canonical collator, or undefined when none is registered (then the chain checks nothing, as on
 * `coreplay dev`).
 *
 * @example canonicalCollator(actorId(3), parentHash, [c0, c1, c2], [c1])
 */
export function canonicalCollator(
  actor: ActorId,
  parent: Uint8Array,
  collators: readonly AccountId[],
  missed: readonly AccountId[] = [],
): AccountId | undefined {
  const ranked = rankCollators(actor, parent, collators);
  return ranked.find((c) => !missed.some((m) => bytesEqual(m, c))) ?? ranked[0];
}
