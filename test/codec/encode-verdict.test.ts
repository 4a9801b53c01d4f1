/** `encodeVerdict` (one-buffer writer) gives scale-ts's `Verdict.enc` bytes, on real and random verdicts. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesEqual } from "../../src/codec/bytes.ts";
import { decodeExact } from "../../src/codec/types.ts";
import { Verdict } from "../../src/pov/types.ts";
import { encodeVerdict } from "../../src/pov/validate.ts";
import { verdicts } from "../pov/arbitraries.ts";
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
    const verdict = verdicts({ calls: 70, bytes: 40, text: fc.string({ unit: "grapheme", maxLength: 20 }) });
    fc.assert(
      fc.property(verdict, (v) => {
        expect(bytesEqual(encodeVerdict(v), Verdict.enc(v))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
