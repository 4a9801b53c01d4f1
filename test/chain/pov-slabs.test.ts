import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePovSlabs } from "../../src/chain/pool.ts";
import type { ActorId } from "../../src/codec/ids.ts";
import { decodeExact, Pov } from "../../src/codec/types.ts";

const actor = fc.nat(0xffff_ffff).map((n) => n as ActorId);
const bytes = fc.uint8Array({ maxLength: 90 });
const item = fc.record({
  actor,
  entry: fc.oneof(
    fc.record({ tag: fc.constant("Service" as const), value: fc.record({ times: fc.nat(0xffff_ffff) }) }),
    fc.record({ tag: fc.constant("Call" as const), value: fc.record({ input: bytes, output: bytes }) }),
  ),
});
const slab = fc.record({ actor, sequence: fc.bigInt(0n, (1n << 64n) - 1n), pre: bytes, post: bytes });
const pov = fc.record({
  agenda: fc.array(item, { maxLength: 6 }),
  slabs: fc.array(slab, { maxLength: 3 }),
  witness: bytes,
});

/** What the whole strict decoding says: the slabs, or that it refuses. */
function strict(b: Uint8Array): Pov["slabs"] | "refused" {
  try {
    return decodeExact(Pov, b, "PoV").slabs;
  } catch {
    return "refused";
  }
}

describe("decodePovSlabs: a PoV's slabs without its agenda (property, against the Pov struct)", () => {
  it("decodes the slabs decodeExact(Pov) decodes, and refuses exactly what it refuses", () => {
    fc.assert(
      fc.property(
        pov,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
        fc.integer({ min: -2, max: 2 }),
        fc.boolean(),
        (p, edits, cut, views) => {
          let b = Pov.enc(p as Pov);
          for (const [at, x] of edits) if (b.length > 0) b[at % b.length] = x;
          if (cut < 0) b = b.slice(0, Math.max(0, b.length + cut));
          else if (cut > 0) b = Uint8Array.from([...b, ...new Array(cut).fill(3)]);
          const want = strict(b);
          if (want === "refused") {
            expect(() => decodePovSlabs(b, views)).toThrow("Malformed PoV");
            return;
          }
          const got = decodePovSlabs(b, views);
          expect(got.slabs).toEqual(want);
          for (const s of got.slabs) expect(s.pre.buffer === b.buffer).toBe(views);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("refuses an agenda item whose invocation tag is out of range, though the slabs after it are fine", () => {
    const b = Pov.enc({
      agenda: [{ actor: 1 as ActorId, entry: { tag: "Service", value: { times: 1 } } }],
      slabs: [],
      witness: new Uint8Array(),
    });
    expect(decodePovSlabs(b).slabs).toEqual([]);
    const bad = b.slice();
    bad[1 + 4] = 2; // the item's invocation tag: Service 0, Call 1
    expect(strict(bad)).toBe("refused");
    expect(() => decodePovSlabs(bad)).toThrow("Malformed PoV");
  });
});
