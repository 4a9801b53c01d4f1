/**
 * The contract between `pov` (stateless build/validate, DESIGN §4) and `chain` (canonicalisation).
 * Everything that crosses a worker boundary has a SCALE codec here.
 */
import type { ActorId, CodeHash } from "../codec/ids.ts";
import {
  ActorIdCodec,
  BalanceCodec,
  CodeHashCodec,
  Enum,
  HashCodec,
  Message,
  Option,
  Struct,
  str,
  u32,
  u64,
  Vector,
  VecU8,
} from "../codec/types.ts";

/** What a validator knows of one actor at the relay parent. */
export const ActorView = Struct({
  actor: ActorIdCodec,
  codeHash: CodeHashCodec,
  sequence: u64,
  stateHash: HashCodec,
  balance: BalanceCodec,
});
export type ActorView = ReturnType<typeof ActorView.dec>;

/** Room of one actor at the relay parent (see {@link RelayView}). */
export const RoomView = Struct({ actor: ActorIdCodec, pigeonhole: u32, disk: u64 });
export type RoomView = ReturnType<typeof RoomView.dec>;

/**
 * The relay-parent view a stateless validator is given beside the PoV bytes: the actors it names and
 * the limits in force. Program blobs are fetched by code hash through {@link CodeSource}.
 */
export const RelayView = Struct({
  relayParent: HashCodec,
  now: u32,
  coreGas: u64,
  callGas: u64,
  actors: Vector(ActorView),
  /** Actor ids below this exist at the relay parent (actors are never removed): `send`/`transfer` to others fail. */
  nextActor: u32,
  /**
   * Room at the relay parent, in ascending actor order, for the co-scheduled actors and the recipients
   * the collator names: free pigeonhole slots and free disk reservation. The host functions decide
   * `send` (`Full`) and `store` (`Insufficient`) from it, so the chain never refuses a valid PoV's
   * effects for want of room (issue 13 §0). A recipient without an entry counts as full.
   */
  room: Vector(RoomView),
});
export type RelayView = ReturnType<typeof RelayView.dec>;

export interface CodeSource {
  code(hash: CodeHash): Uint8Array | undefined;
}

/** Everything a valid PoV does to the relay chain, applied atomically at canonicalisation (DESIGN §4). */
export const PovEffects = Struct({
  /** One per slab: the transition to check and apply. */
  transitions: Vector(
    Struct({ actor: ActorIdCodec, sequence: u64, preHash: HashCodec, postHash: HashCodec }),
  ),
  /** Postcards sent, in execution order. */
  sent: Vector(Message),
  /** Postcards received per actor: how many, and the pigeonhole chain head before them (DESIGN §4). */
  received: Vector(
    Struct({
      actor: ActorIdCodec,
      /** Messages consumed (`recv`ed by entries that did not fail): dequeue this many. */
      count: u32,
      headBefore: HashCodec,
      /** The pigeonhole head after the `count` consumed messages. */
      headAfter: HashCodec,
      /** Messages the play read at all (≥ count: failed entries read some again later or never). */
      seen: u32,
      /** The head after the `seen` messages: all of them must be real pigeonhole messages. */
      headSeen: HashCodec,
    }),
  ),
  transfers: Vector(Struct({ from: ActorIdCodec, to: ActorIdCodec, amount: BalanceCodec })),
  /** `set_code`s: at most one per actor (its last), applied after canonicalisation (DESIGN §10). */
  codeChanges: Vector(Struct({ actor: ActorIdCodec, codeHash: CodeHashCodec, carry: VecU8 })),
  stored: Vector(Struct({ actor: ActorIdCodec, data: VecU8 })),
  released: Vector(Struct({ actor: ActorIdCodec, hash: HashCodec })),
  requested: Vector(Struct({ actor: ActorIdCodec, hash: HashCodec })),
  /** Each agenda `Call` with its recorded output, for receipts. */
  calls: Vector(Struct({ actor: ActorIdCodec, input: VecU8, output: VecU8 })),
  /** `payout(now)` of each actor after the play, owed to the collator that built it (DESIGN §8). */
  payouts: Vector(Struct({ actor: ActorIdCodec, amount: BalanceCodec })),
  logs: Vector(Struct({ actor: ActorIdCodec, line: str })),
  gasUsed: u64,
});
export type PovEffects = ReturnType<typeof PovEffects.dec>;

/** Why a PoV is invalid: one code per validity rule of DESIGN §4, plus malformed input. */
export const InvalidReason = Enum({
  Malformed: str,
  UnknownActor: ActorIdCodec,
  UnknownCode: CodeHashCodec,
  /** Rule 1: an empty agenda, or an actor in the agenda without a `Service { times >= 1 }`. */
  AgendaMismatch: str,
  /** Rule 2: missing (agenda actor without a slab), extra (slab actor not in the agenda) or duplicate slab. */
  SlabMismatch: str,
  /** Rule 3: slab sequence not above the actor's sequence. */
  StaleSequence: ActorIdCodec,
  /** Rule 4: the core's gas budget is exceeded. */
  CoreGasExceeded: u64,
  /** Rule 4: a Call returned other than its recorded output (index into the agenda). */
  OutputMismatch: u32,
  /** Rule 5: an actor's final image differs from its slab's post. */
  PostMismatch: ActorIdCodec,
  BadImage: str,
  /** The witness disagrees with the view, is not canonical, or carries what the play did not read. */
  BadWitness: str,
});
export type InvalidReason = ReturnType<typeof InvalidReason.dec>;

export const Verdict = Enum({ Valid: PovEffects, Invalid: InvalidReason });
export type Verdict = ReturnType<typeof Verdict.dec>;

export const OptionalBytes = Option(VecU8);
export type { ActorId };
