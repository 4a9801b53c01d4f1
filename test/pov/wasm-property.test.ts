/**
 * The build/validate properties with real Wasm actors (the WAT counter): random agendas always validate
 * to the builder's effects; a flipped byte is Invalid, or Valid with effects chain would reject.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import type { DraftItem } from "../../src/pov/build.ts";
import { PovBuildError } from "../../src/pov/errors.ts";
import { EMPTY_HEAD } from "../../src/pov/pigeonhole.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { postcard, service } from "./fixtures.ts";
import { build, chainChecked, check, show } from "./helpers.ts";
import { OP, op, setupWasm, wcall } from "./wat.ts";

const IDS = [1, 2, 3];
const PREIMAGE = new Uint8Array([7, 7, 7]);
const engine = createWasmEngine();

const leaf: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(OP.inc, OP.fail, OP.trap, OP.yield, OP.recv, OP.origin).map((c) => op(c)),
  fc.constant(op(OP.spin)),
  fc.tuple(fc.constantFrom(...IDS, 8), fc.uint8Array({ maxLength: 3 })).map(([to, d]) => op(OP.send, to, d)),
  fc
    .tuple(fc.constantFrom(...IDS, 8), fc.uint8Array({ maxLength: 3 }))
    .map(([to, d]) => op(OP.sendThenFail, to, d)),
  fc.constantFrom(blake2b256(PREIMAGE), new Uint8Array(32)).map((h) => op(OP.lookup, undefined, h)),
  fc
    .tuple(fc.constantFrom(...IDS, 9), fc.nat(600))
    .map(([to, n]) => op(OP.transfer, to, [n & 0xff, n >> 8, ...new Array(14).fill(0)])),
  fc.constant(op(OP.log, undefined, [111, 107])),
);
const input = fc.oneof(
  { weight: 3, arbitrary: leaf },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...IDS, 9), leaf).map(([to, inner]) => op(OP.callActor, to, inner)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...IDS), leaf).map(([to, inner]) => op(OP.callThenTrap, to, inner)),
  },
);

const scenario = fc.record({
  actors: fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 1, maxLength: 3 }),
  items: fc.array(
    fc.oneof(
      fc.tuple(fc.nat(2), input).map(([i, inp]) => ({ i, inp, times: 0 })),
      fc
        .tuple(fc.nat(2), fc.integer({ min: 1, max: 3 }))
        .map(([i, times]) => ({ i, inp: new Uint8Array(), times })),
    ),
    { maxLength: 6 },
  ),
  inbox: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function make(s: Scenario) {
  const fx = setupWasm(
    s.actors.map((id) => ({ id, balance: 1000n })),
    { coreGas: 200_000_000n, callGas: 400_000n, engine },
  );
  const agenda: DraftItem[] = s.items.map((it) => {
    const id = s.actors[it.i % s.actors.length] as number;
    return it.times ? service(id, it.times) : wcall(id, it.inp);
  });
  for (const id of s.actors) agenda.push(service(id));
  const messages = s.actors
    .map((id, k) => ({
      actor: actorId(id),
      headBefore: EMPTY_HEAD,
      messages: Array.from({ length: s.inbox[k] ?? 0 }, (_, j) => postcard(id, `m${j}`)),
    }))
    .sort((a, b) => a.actor - b.actor);
  return { fx, agenda, witness: { messages, preimages: [PREIMAGE] } };
}

describe("real Wasm properties", () => {
  it("build then validate is Valid with identical effects", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { fx, agenda, witness } = make(s);
        const built = build(fx, agenda, { witness });
        const verdict = check(fx, built.pov);
        expect(verdict.tag).toBe("Valid");
        if (verdict.tag === "Valid") expect(show(verdict.value)).toBe(show(built.effects));
      }),
      { numRuns: 30 },
    );
  });

  it("a flipped byte is never accepted with effects chain would not notice", () => {
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
        if (verdict.tag === "Invalid" || show(verdict.value) === show(built.effects)) return;
        expect(chainChecked(verdict.value)).not.toBe(chainChecked(built.effects));
      }),
      { numRuns: 40 },
    );
  });
});
