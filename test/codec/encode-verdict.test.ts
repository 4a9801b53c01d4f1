/** `encodeVerdict` (one-buffer writer) gives scale-ts's `Verdict.enc` bytes, on real and random verdicts. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesEqual } from "../../src/codec/bytes.ts";
import { decodeExact } from "../../src/codec/types.ts";
import { type PovEffects, Verdict } from "../../src/pov/types.ts";
import { encodeVerdict } from "../../src/pov/validate.ts";
import { call, service, setup } from "../pov/fixtures.ts";
import { build, check, edit } from "../pov/helpers.ts";

const same = (v: Verdict) => {
  const ours = encodeVerdict(v);
  expect(bytesEqual(ours, Verdict.enc(v))).toBe(true);
  expect(decodeExact(Verdict, ours, "verdict")).toEqual(v);
};

describe("encodeVerdict", () => {
  it("writes Verdict.enc's bytes for real verdicts, valid and invalid", () => {
    const fx = setup([{ id: 1, plan: [[["inc"]], [["inc"]]] }, { id: 2 }]);
    const built = build(fx, [call(1, [["inc"]]), service(1, 2), call(2, [["inc"], ["inc"]]), service(2)]);
    const valid = check(fx, built.pov);
    expect(valid).toMatchObject({ tag: "Valid" });
    same(valid);
    const verdicts = [
      check(fx, built.pov.subarray(0, built.pov.length - 1)),
      check(fx, new Uint8Array([1, 2, 3])),
      check(
        fx,
        edit(built.pov, (p) => {
          (p.slabs[0] as { sequence: bigint }).sequence = 0n;
        }),
      ),
    ];
    for (const v of verdicts) {
      expect(v.tag).toBe("Invalid");
      same(v);
    }
  });

  it("writes Verdict.enc's bytes for random verdicts", () => {
    const id = fc.integer({ min: 0, max: 0xffff_ffff });
    const bytes = fc.uint8Array({ maxLength: 40 });
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const u128 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    const text = fc.string({ unit: "grapheme", maxLength: 20 });
    const message = fc.record({
      from: fc.oneof(
        id.map((value) => ({ tag: "Actor" as const, value })),
        hash.map((value) => ({ tag: "Account" as const, value })),
      ),
      to: id,
      data: bytes,
    });
    const effects = fc.record({
      transitions: fc.array(fc.record({ actor: id, sequence: u64, preHash: hash, postHash: hash }), {
        maxLength: 3,
      }),
      sent: fc.array(message, { maxLength: 3 }),
      received: fc.array(
        fc.record({ actor: id, count: id, headBefore: hash, headAfter: hash, seen: id, headSeen: hash }),
        { maxLength: 2 },
      ),
      transfers: fc.array(fc.record({ from: id, to: id, amount: u128 }), { maxLength: 3 }),
      codeChanges: fc.array(fc.record({ actor: id, codeHash: hash }), { maxLength: 2 }),
      stored: fc.array(fc.record({ actor: id, data: bytes }), { maxLength: 2 }),
      released: fc.array(fc.record({ actor: id, hash }), { maxLength: 2 }),
      requested: fc.array(fc.record({ actor: id, hash }), { maxLength: 2 }),
      calls: fc.array(fc.record({ actor: id, input: bytes, output: bytes }), { maxLength: 70 }),
      payouts: fc.array(fc.record({ actor: id, amount: u128 }), { maxLength: 2 }),
      logs: fc.array(fc.record({ actor: id, line: text }), { maxLength: 2 }),
      gasUsed: u64,
    }) as unknown as fc.Arbitrary<PovEffects>;
    const verdict = fc.oneof(
      effects.map((value) => ({ tag: "Valid" as const, value }) as Verdict),
      fc
        .oneof(
          text.map((value) => ({ tag: "Malformed" as const, value })),
          id.map((value) => ({ tag: "PostMismatch" as const, value })),
          u64.map((value) => ({ tag: "CoreGasExceeded" as const, value })),
          hash.map((value) => ({ tag: "UnknownCode" as const, value })),
          text.map((value) => ({ tag: "BadWitness" as const, value })),
        )
        .map((value) => ({ tag: "Invalid" as const, value }) as Verdict),
    );
    fc.assert(
      fc.property(verdict, (v) => {
        expect(bytesEqual(encodeVerdict(v), Verdict.enc(v))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
