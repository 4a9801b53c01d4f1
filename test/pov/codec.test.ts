/** Codecs of the pov contract, the journal and the pigeonhole chain (fast-check properties). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Hash } from "../../src/codec/ids.ts";
import { CodecError, decodeExact, type Message } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { describeReason } from "../../src/pov/errors.ts";
import { createJournal, pushJournaled } from "../../src/pov/journal.ts";
import { EMPTY_HEAD, headAfter, nextHead } from "../../src/pov/pigeonhole.ts";
import { Verdict } from "../../src/pov/types.ts";
import { messages, verdicts } from "./arbitraries.ts";
import { show } from "./helpers.ts";

const bytes = fc.uint8Array({ maxLength: 8 });
const message = messages(bytes);
const verdict = verdicts();

describe("Verdict codec", () => {
  it("round-trips strictly and rejects any truncation or trailing byte", () => {
    fc.assert(
      fc.property(verdict, (v) => {
        const enc = Verdict.enc(v);
        expect(show(decodeExact(Verdict, enc, "verdict"))).toBe(show(v));
        expect(() => decodeExact(Verdict, enc.subarray(0, enc.length - 1), "verdict")).toThrow(CodecError);
        expect(() => decodeExact(Verdict, new Uint8Array([...enc, 0]), "verdict")).toThrow(CodecError);
      }),
      { numRuns: 200 },
    );
  });
  it("describes every reason in one line", () => {
    expect(describeReason({ tag: "PostMismatch", value: 3 as never })).toBe("PostMismatch(3)");
    expect(describeReason({ tag: "BadWitness", value: "x" })).toBe("BadWitness: x");
    expect(describeReason({ tag: "UnknownCode", value: new Uint8Array([1, 255]) as never })).toBe(
      "UnknownCode(0x01ff)",
    );
  });
});

describe("journal", () => {
  it("rolls back to any mark exactly (model: snapshots of the list)", () => {
    const action = fc.oneof(
      fc.integer().map((n) => ({ kind: "push" as const, n })),
      fc.constant({ kind: "mark" as const }),
      fc.nat().map((k) => ({ kind: "rollback" as const, k })),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        const j = createJournal();
        const list: number[] = [];
        const marks: Array<{ mark: number; snapshot: number[] }> = [];
        for (const a of actions) {
          if (a.kind === "push") pushJournaled(j, list, a.n);
          else if (a.kind === "mark") marks.push({ mark: j.mark(), snapshot: [...list] });
          else if (marks.length > 0) {
            const { mark, snapshot } = marks.splice(a.k % marks.length)[0] as (typeof marks)[number];
            j.rollback(mark);
            expect(list).toEqual(snapshot);
          }
        }
      }),
    );
  });
});

describe("pigeonhole chain", () => {
  it("is a fold of nextHead, sensitive to every message and its order", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 2, maxLength: 4 }), (raw) => {
        const msgs = raw as unknown as Message[];
        const folded = msgs.reduce((h, m) => nextHead(h, m), EMPTY_HEAD);
        expect(headAfter(EMPTY_HEAD, msgs)).toEqual(folded);
        expect(headAfter(EMPTY_HEAD, [])).toEqual(EMPTY_HEAD);
        const swapped = [msgs[1], msgs[0], ...msgs.slice(2)] as Message[];
        if (show(msgs[0]) !== show(msgs[1])) expect(headAfter(EMPTY_HEAD, swapped)).not.toEqual(folded);
        expect(headAfter(blake2b256(new Uint8Array([1])) as Hash, msgs)).not.toEqual(folded);
      }),
    );
  });
});
