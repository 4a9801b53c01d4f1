/** Issue 13 §0 rule (b): the collator's memory of refused PoVs (src/node/refusals.ts). */
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { CALLS_OFF, createRefusals } from "../../src/node/refusals.ts";

const state = (sequence: bigint, byte: number) => ({
  actor: actorId(3),
  sequence,
  stateHash: new Uint8Array(32).fill(byte),
});

describe("refusals", () => {
  it("counts strikes per state, halves the calls offered, and stops offering calls at CALLS_OFF", () => {
    const r = createRefusals();
    expect(r.strikes(state(5n, 1))).toBe(0);
    r.note([state(5n, 1)]);
    expect(r.strikes(state(5n, 1))).toBe(1);
    expect(r.calls(10, 1)).toBe(5);
    for (let i = 1; i < CALLS_OFF; i++) r.note([state(5n, 1)]);
    expect(r.strikes(state(5n, 1))).toBe(CALLS_OFF);
    expect(r.calls(10, CALLS_OFF)).toBe(0);
  });
  it("forgets an actor's strikes once it moved on (a canonicalised play changes the sequence)", () => {
    const r = createRefusals();
    r.note([state(5n, 1)]);
    // same image, next sequence: a service-only play that changed no page still moved on
    expect(r.strikes(state(6n, 1))).toBe(0);
    expect(r.strikes(state(5n, 1))).toBe(0);
  });
});
