/**
 * Properties over random plays (script engine): build then validate is always Valid with identical
 * effects; a flipped byte is never accepted with different effects unless `chain` would notice, or the
 * flip made another valid agenda whose own build gives exactly those effects.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { decodeExact, type Message, Pov } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import type { DraftItem } from "../../src/pov/build.ts";
import { PovBuildError } from "../../src/pov/errors.ts";
import { EMPTY_HEAD } from "../../src/pov/pigeonhole.ts";
import { effectsHash } from "../../src/pov/validate.ts";
import { call, hex, type Op, postcard, service, setup, utf8 } from "./fixtures.ts";
import { build, chainChecked, check, show } from "./helpers.ts";

const IDS = [1, 2, 3];
const PREIMAGES = ["alpha", "beta"].map(utf8);
const HASHES = [...PREIMAGES.map((p) => hex(blake2b256(p))), "00".repeat(32)];

const leafOp: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>(["inc"]),
  fc.constant<Op>(["recv"]),
  fc.tuple(fc.constantFrom(...IDS, 7), fc.string({ maxLength: 4 })).map(([to, s]): Op => ["send", to, s]),
  fc.constantFrom(...HASHES).map((h): Op => ["lookup", h]),
  fc.string({ maxLength: 4 }).map((s): Op => ["store", s]),
  fc
    .tuple(fc.constantFrom(...IDS, 8), fc.integer({ min: 0, max: 700 }))
    .map(([to, n]): Op => ["transfer", to, String(n)]),
  fc.constant<Op>(["log", "l"]),
  fc.constant<Op>(["balance"]),
  fc.constantFrom<Op>(["fail"], ["trap"], ["yield"], ["burn", 1e9], ["burn", 50]),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: leafOp },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...IDS, 9), fc.array(leafOp, { maxLength: 3 }))
      .map(([to, ops]): Op => ["call", to, ops]),
  },
);
// main's steps: no huge burns (a Service gets all the core's gas that is left).
const mainOp = leafOp.filter((o) => !(o[0] === "burn" && o[1] > 1000));

const scenario = fc.record({
  actors: fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 1, maxLength: 3 }),
  plans: fc.array(fc.array(fc.array(mainOp, { maxLength: 3 }), { maxLength: 3 }), {
    minLength: 3,
    maxLength: 3,
  }),
  items: fc.array(
    fc.oneof(
      fc.tuple(fc.nat(2), fc.array(op, { maxLength: 5 })).map(([i, ops]) => ({ i, ops, times: 0 })),
      fc
        .tuple(fc.nat(2), fc.integer({ min: 1, max: 3 }))
        .map(([i, times]) => ({ i, ops: [] as Op[], times })),
    ),
    { maxLength: 8 },
  ),
  inbox: fc.array(fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }), { minLength: 3, maxLength: 3 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function make(s: Scenario) {
  const fx = setup(
    s.actors.map((id, k) => ({ id, plan: s.plans[k], balance: 1000n })),
    { coreGas: 10_000_000n, callGas: 100_000n },
  );
  const agenda: DraftItem[] = s.items.map((it) => {
    const id = s.actors[it.i % s.actors.length] as number;
    return it.times ? service(id, it.times) : call(id, it.ops);
  });
  for (const id of s.actors) agenda.push(service(id));
  const messages = s.actors
    .map((id, k) => ({
      actor: actorId(id),
      headBefore: k % 2 ? EMPTY_HEAD : blake2b256(utf8(`h${id}`)),
      messages: (s.inbox[k] ?? []).map((d): Message => postcard(id, d)),
    }))
    .sort((a, b) => a.actor - b.actor);
  return { fx, agenda, witness: { messages, preimages: PREIMAGES } };
}

describe("build then validate", () => {
  it("is always Valid with the builder's effects", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { fx, agenda, witness } = make(s);
        const built = build(fx, agenda, { witness });
        const verdict = check(fx, built.pov);
        expect(verdict.tag).toBe("Valid");
        if (verdict.tag !== "Valid") return;
        expect(show(verdict.value)).toBe(show(built.effects));
        expect(effectsHash(verdict.value)).toEqual(built.effectsHash);
      }),
      { numRuns: 150 },
    );
  });

  it("never accepts a flipped byte with effects that neither chain nor the flipped agenda explain", () => {
    let invalid = 0;
    fc.assert(
      fc.property(scenario, fc.nat(), fc.integer({ min: 0, max: 7 }), (s, at, bit) => {
        const { fx, agenda, witness } = make(s);
        let built: ReturnType<typeof build>;
        try {
          built = build(fx, agenda, { witness });
        } catch (e) {
          if (e instanceof PovBuildError) return;
          throw e;
        }
        const bytes = built.pov.slice();
        const i = at % bytes.length;
        bytes[i] = (bytes[i] as number) ^ (1 << bit);
        const verdict = check(fx, bytes);
        if (verdict.tag === "Invalid") {
          invalid++;
          return;
        }
        if (show(verdict.value) === show(built.effects)) return;
        if (chainChecked(verdict.value) !== chainChecked(built.effects)) return;
        // The chain would not notice, so the flip must have made another valid agenda (a collator may
        // pick any, e.g. a Service of 3 steps instead of 2): the verdict must then be exactly what
        // building that agenda gives.
        const again = make(s);
        const flipped = decodeExact(Pov, bytes, "PoV").agenda.map(
          (it): DraftItem =>
            it.entry.tag === "Service"
              ? { actor: it.actor, entry: { tag: "Service", value: { times: it.entry.value.times } } }
              : { actor: it.actor, entry: { tag: "Call", value: { input: it.entry.value.input } } },
        );
        const rebuilt = build(again.fx, flipped, { witness: again.witness });
        expect(show(verdict.value)).toBe(show(rebuilt.effects));
      }),
      { numRuns: 300 },
    );
    // Most flips must be caught outright; the property above covers the rest.
    expect(invalid).toBeGreaterThan(150);
  });
});
