/**
 * Stateless PoV validation (DESIGN §4): `(pov bytes, relay-parent view) -> Verdict`. Pure and
 * deterministic; never throws on bad input — every failure is an `Invalid` verdict.
 */
import type { Hash } from "../codec/ids.ts";
import { CodecError, decodeExact, encode, Pov, Witness } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import type { ActorImage, Engine } from "../vm/engine.ts";
import { executePlay } from "./executor.ts";
import { MAX_POV_SIZE } from "./limits.ts";
import { preparePlay } from "./prepare.ts";
import { type CodeSource, type InvalidReason, PovEffects, type RelayView, Verdict } from "./types.ts";

const invalid = (reason: InvalidReason): Verdict => ({ tag: "Invalid", value: reason });

/**
 * Validates a SCALE-encoded PoV against the relay-parent `view`, in the order of DESIGN §4:
 * strict decode → rule 1 (agenda) → rule 2 (slabs) → known actors → rule 3 (sequence) → code and `pre`
 * images → witness shape → rule 4 (execute: gas, each Call's output) → witness fully read → rule 5 (post).
 *
 * @example
 * const verdict = validatePov(povBytes, view, codes, createWasmEngine());
 * if (verdict.tag === "Valid") submitBacking(effectsHash(verdict.value));
 */
export function validatePov(
  povBytes: Uint8Array,
  view: RelayView,
  codes: CodeSource,
  engine: Engine,
): Verdict {
  try {
    return validate(povBytes, view, codes, engine);
  } catch (e) {
    // Not reachable through any input we know of; still a verdict, never a crash of the validator.
    return invalid({ tag: "Malformed", value: `unexpected failure: ${(e as Error)?.name ?? "unknown"}` });
  }
}

function validate(povBytes: Uint8Array, view: RelayView, codes: CodeSource, engine: Engine): Verdict {
  let pov: Pov;
  let witness: Witness;
  // issue 13 §3: a PoV above the bound is refused before anything is decoded
  if (povBytes.byteLength > MAX_POV_SIZE) {
    return invalid({
      tag: "Malformed",
      value: `PoV of ${povBytes.byteLength} bytes above MAX_POV_SIZE ${MAX_POV_SIZE}`,
    });
  }
  try {
    // Byte fields as views into the PoV's bytes, not copies (hundreds of call inputs and outputs per PoV).
    pov = decodeExact(Pov, povBytes, "PoV", { views: true });
    witness = decodeExact(Witness, pov.witness, "witness", { views: true });
  } catch (e) {
    if (e instanceof CodecError)
      return invalid({ tag: "Malformed", value: `${e.shortMessage}: ${e.details}` });
    throw e;
  }

  const prepared = preparePlay({
    view,
    agenda: pov.agenda,
    slabs: pov.slabs,
    witness,
    codes,
    engine,
    strict: true,
  });
  if (!prepared.ok) return invalid(prepared.error);
  const actors = prepared.value;

  const played = executePlay({
    now: view.now,
    nextActor: view.nextActor,
    room: view.room,
    coreGas: view.coreGas,
    callGas: view.callGas,
    actors,
    agenda: pov.agenda,
    witness,
  });
  if (!played.ok) return invalid(played.error);
  const { effects, finals, seen, preimagesUsed } = played.value;

  // The witness carries exactly what the play read: nothing a validator would have to trust unseen.
  for (let i = 0; i < witness.messages.length; i++) {
    const entry = witness.messages[i] as Witness["messages"][number];
    if (seen[i] !== entry.messages.length) {
      return invalid({ tag: "BadWitness", value: `actor ${entry.actor}: messages that were never read` });
    }
  }
  const unused = preimagesUsed.indexOf(false);
  if (unused >= 0) return invalid({ tag: "BadWitness", value: `preimage ${unused} was never looked up` });

  // Rule 5: each final image equals the slab's post, compared on the decoded image (DESIGN §6).
  for (let i = 0; i < actors.length; i++) {
    const actor = actors[i] as (typeof actors)[number];
    const slab = pov.slabs[i] as Pov["slabs"][number];
    let post: ActorImage;
    try {
      post = actor.program.decodeImageAgainst(actor.pre, slab.post);
    } catch {
      return invalid({ tag: "BadImage", value: `actor ${actor.actor}: post does not decode against pre` });
    }
    if (!Buffer.from(post.hash).equals(Buffer.from((finals[i] as ActorImage).hash))) {
      return invalid({ tag: "PostMismatch", value: actor.actor });
    }
  }
  return { tag: "Valid", value: effects };
}

/**
 * blake2b-256 of the SCALE-encoded effects: what a backing group agrees on (two validators with the
 * same effects hash saw the same play).
 *
 * @example const h = effectsHash(verdict.value)
 */
export function effectsHash(effects: PovEffects): Hash {
  return blake2b256(encode(PovEffects, effects));
}

/**
 * The canonical bytes of a verdict, e.g. to send it across a worker boundary or compare two.
 *
 * @example const same = Buffer.from(encodeVerdict(a)).equals(Buffer.from(encodeVerdict(b)))
 */
export function encodeVerdict(verdict: Verdict): Uint8Array {
  return encode(Verdict, verdict);
}
