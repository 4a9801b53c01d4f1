/**
 * Issue 13 §0 rule (b): a collator never builds again a PoV the chain refused. The host functions
 * decide every effect from the relay-parent view, so a refusal means the relay state moved under the
 * PoV (a race) or a bug; either way the same agenda on the same state must not be tried again.
 *
 * Per actor, the state a refused PoV started from and how often: while the actor is still in that
 * state it is built alone (no partner's effect can sink it, and it sinks none) with half as many
 * calls per strike; at {@link CALLS_OFF} strikes it runs with no calls (main only). Any canonicalised
 * play changes the state and forgets the strikes. Pure bookkeeping, no I/O.
 */
import { toHex } from "../codec/bytes.ts";
import type { ActorId } from "../codec/ids.ts";

/** Strikes after which a refused actor's calls are left out altogether. */
export const CALLS_OFF = 4;

/** An actor's state: its sequence (a canonicalised play always moves it) and image hash. */
export interface ActorState {
  actor: ActorId;
  sequence: bigint;
  stateHash: Uint8Array;
}

const stateKey = (s: ActorState): string => `${s.sequence}:${toHex(s.stateHash)}`;

export interface Refusals {
  /** The chain refused a PoV of these actors, built from these state hashes. */
  note(actors: ReadonlyArray<ActorState>): void;
  /** Strikes of the actor in its current state (0: never refused there). */
  strikes(now: ActorState): number;
  /** How many of `queued` calls to offer an actor with `strikes`. */
  calls(queued: number, strikes: number): number;
}

export function createRefusals(): Refusals {
  const byActor = new Map<ActorId, { state: string; strikes: number }>();
  return {
    note(actors) {
      for (const a of actors) {
        const { actor } = a;
        const state = stateKey(a);
        const r = byActor.get(actor);
        byActor.set(actor, { state, strikes: r?.state === state ? r.strikes + 1 : 1 });
      }
    },
    strikes(now) {
      const r = byActor.get(now.actor);
      if (!r) return 0;
      if (r.state !== stateKey(now)) {
        byActor.delete(now.actor);
        return 0;
      }
      return r.strikes;
    },
    calls: (queued, strikes) => (strikes >= CALLS_OFF ? 0 : Math.floor(queued / 2 ** strikes)),
  };
}
