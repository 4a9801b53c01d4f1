import { decodeExact, Pov, Witness } from "../../src/codec/types.ts";
import { type BuiltPov, buildPov, type DraftItem, type PovDraft } from "../../src/pov/build.ts";
import type { InvalidReason, PovEffects, RelayView, Verdict } from "../../src/pov/types.ts";
import { validatePov } from "../../src/pov/validate.ts";
import type { Fixture } from "./fixtures.ts";

export function build(fx: Fixture, agenda: DraftItem[], extra: Partial<PovDraft> = {}): BuiltPov {
  return buildPov({ view: fx.view, engine: fx.engine, codes: fx.codes, slabs: fx.slabs, agenda, ...extra });
}

export function check(fx: Fixture, pov: Uint8Array, view: RelayView = fx.view): Verdict {
  return validatePov(pov, view, fx.codes, fx.engine);
}

/** Decode, change, re-encode a PoV (so the change is not caught as Malformed). */
export function edit(pov: Uint8Array, f: (p: Pov) => void): Uint8Array {
  const p = decodeExact(Pov, pov, "PoV");
  f(p);
  return Pov.enc(p);
}

export function editWitness(pov: Uint8Array, f: (w: Witness) => void): Uint8Array {
  return edit(pov, (p) => {
    const w = decodeExact(Witness, p.witness, "witness");
    f(w);
    p.witness = Witness.enc(w);
  });
}

export function reasonOf(v: Verdict): InvalidReason {
  if (v.tag !== "Invalid") throw new Error(`expected Invalid, got Valid`);
  return v.value;
}

export function effectsOf(v: Verdict) {
  if (v.tag !== "Valid") throw new Error(`expected Valid, got Invalid ${JSON.stringify(v.value, replacer)}`);
  return v.value;
}

const replacer = (_k: string, v: unknown) =>
  typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v;

/** JSON with bigints and bytes, for deep comparisons in failure messages. */
export const show = (v: unknown): string => JSON.stringify(v, replacer);

/**
 * The parts of the effects `chain` checks against its own state at canonicalisation (DESIGN §4): the
 * transitions, the pigeonhole heads, and each agenda Call against the actor's queue of calls.
 */
export const chainChecked = (e: PovEffects) =>
  show({
    c: e.calls.map((c) => [c.actor, c.input]),
    t: e.transitions.map((t) => [t.actor, t.sequence, t.preHash]),
    r: e.received.map((r) => [r.actor, r.headBefore, r.count, r.headAfter, r.seen, r.headSeen]),
  });
