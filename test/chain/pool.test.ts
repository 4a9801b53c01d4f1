/** DESIGN §4: admission, canonicalisation, the two expiry rules, pipelining. */
import { describe, expect, it } from "vitest";
import { createChain, createMemoryStorage, type PovRejectCode } from "../../src/chain/index.ts";
import type { ActorId } from "../../src/codec/ids.ts";
import { Pov } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { block, bob, bytes, fakeEngine, makePov, nextSlab, setup, testConfig } from "./helpers.ts";

function rejected(
  chain: ReturnType<typeof setup>["chain"],
  povs: ReturnType<typeof makePov>[],
  code: PovRejectCode,
  index = povs.length - 1,
) {
  const before = chain.pool().length;
  const r = block(chain, [], povs);
  const p = r.povs[index].result;
  expect(p.ok).toBe(false);
  if (!p.ok) expect(p.error.code).toBe(code);
  return { r, before };
}

describe("canonicalisation", () => {
  it("applies a PoV whose slab is sequence + 1 from the current state hash", () => {
    const { chain, ids } = setup(1);
    const s = nextSlab(chain, ids[0], "a");
    const r = block(chain, [], [makePov([s])]);
    expect(r.povs[0].result.ok).toBe(true);
    expect(r.canonicalised.map((c) => c.actors)).toEqual([[ids[0]]]);
    const a = chain.actor(ids[0]);
    expect(a?.sequence).toBe(1n);
    expect(a?.stateHash).toEqual(blake2b256(s.post));
    expect(chain.slab(ids[0])).toEqual(s.post);
    expect(chain.pool()).toEqual([]);
    expect(chain.block(r.number)?.canonicalised).toEqual([r.povs[0].id]);
  });

  it("canonicalises co-scheduled actors together", () => {
    const { chain, ids } = setup(2);
    const r = block(chain, [], [makePov([nextSlab(chain, ids[0], "x"), nextSlab(chain, ids[1], "x")])]);
    expect(r.canonicalised[0].actors).toEqual(ids);
    expect(ids.map((id) => chain.actor(id)?.sequence)).toEqual([1n, 1n]);
  });

  it("a PoV for n+2 waits in the pool until n+1 is canonical", () => {
    const { chain, ids } = setup(1);
    const s1 = nextSlab(chain, ids[0], "a");
    const s2 = nextSlab(chain, ids[0], "a", s1);
    block(chain, [], [makePov([s2])]);
    expect(chain.pool().map((p) => p.slabs[0].sequence)).toEqual([2n]);
    expect(chain.actor(ids[0])?.sequence).toBe(0n);
    const r = block(chain, [], [makePov([s1])]);
    expect(r.canonicalised.length).toBe(2);
    expect(chain.actor(ids[0])?.sequence).toBe(2n);
    expect(chain.actor(ids[0])?.stateHash).toEqual(blake2b256(s2.post));
  });

  it("pipelining: n+1, n+2, n+3 submitted out of order canonicalise in order; a competing n+1 expires", () => {
    const { chain, ids } = setup(1);
    const s1 = nextSlab(chain, ids[0], "main");
    const s2 = nextSlab(chain, ids[0], "main", s1);
    const s3 = nextSlab(chain, ids[0], "main", s2);
    const rival = nextSlab(chain, ids[0], "rival");
    // one PoV per actor per block: n+3 first, then n+2, then n+1 and the rival n+1 (admitted later)
    const p3 = makePov([s3]);
    const p2 = makePov([s2]);
    const p1 = makePov([s1], {}, { core: 1 });
    expect(block(chain, [], [p3]).canonicalised).toEqual([]);
    expect(block(chain, [], [p2]).canonicalised).toEqual([]);
    const r3 = block(chain, [], [p1]);
    expect(r3.canonicalised.map((c) => c.id)).toEqual([p1, p2, p3].map((p) => blake2b256(p.pov)));
    expect(chain.actor(ids[0])?.sequence).toBe(3n);
    const r = block(chain, [], [makePov([rival])]);
    expect(r.povs[0].result.ok).toBe(false); // stale on admission already
    expect(chain.actor(ids[0])?.stateHash).toEqual(blake2b256(s3.post));

    // a rival n+2 built on a rival n+1 waits; once the real n+1 is canonical its pre is wrong: expiry rule 2
    const { chain: c2, ids: i2 } = setup(1);
    const t1 = nextSlab(c2, i2[0], "main");
    const r2 = nextSlab(c2, i2[0], "rival", nextSlab(c2, i2[0], "rival"));
    block(c2, [], [makePov([r2])]);
    const done = block(c2, [], [makePov([t1])]);
    expect(done.canonicalised.map((c) => c.id)).toEqual([done.povs[0].id]);
    expect(done.expired.map((e) => e.reason)).toEqual([{ kind: "PreHashMismatch", actor: i2[0] }]);
    expect(c2.actor(i2[0])?.sequence).toBe(1n);
    expect(c2.pool()).toEqual([]);
  });

  it("a waiting rival n+2 expires as superseded when the real n+2 canonicalises first", () => {
    const { chain, ids } = setup(1);
    const t1 = nextSlab(chain, ids[0], "main");
    const t2 = nextSlab(chain, ids[0], "main", t1);
    const r2 = nextSlab(chain, ids[0], "rival", nextSlab(chain, ids[0], "rival"));
    block(chain, [], [makePov([t2])]);
    block(chain, [], [makePov([r2])]);
    const done = block(chain, [], [makePov([t1])]);
    expect(done.canonicalised.length).toBe(2);
    expect(done.expired.map((e) => e.reason)).toEqual([{ kind: "Superseded", actor: ids[0] }]);
    expect(chain.actor(ids[0])?.stateHash).toEqual(blake2b256(t2.post));
  });

  it("two competing n+1 PoVs: the one admitted first wins, the other expires as superseded", () => {
    const { chain, ids } = setup(2);
    const a1 = nextSlab(chain, ids[0], "a");
    const b1 = nextSlab(chain, ids[0], "b");
    const other = nextSlab(chain, ids[1], "o");
    const other2 = nextSlab(chain, ids[1], "o", other);
    // pair each competitor with a waiting slab of actor 1 so both are admitted before either is ready
    block(chain, [], [makePov([a1, other2], {}, { core: 0 })]);
    block(chain, [], [makePov([b1, other], {}, { core: 1 })]);
    // block 2: b1+other is ready → canonical; a1+other2 then ready too (other2 follows other)?
    // a1's pre is the old state: after b1, actor 0 is at sequence 1 = a1.sequence → Superseded
    const last = chain.block(chain.head().number);
    expect(last?.canonicalised.length).toBe(1);
    expect(last?.expired.length).toBe(1);
    expect(last?.expired[0]).toEqual(blake2b256(makePov([a1, other2], {}, { core: 0 }).pov));
    expect(chain.actor(ids[0])?.stateHash).toEqual(blake2b256(b1.post));
    expect(chain.actor(ids[1])?.sequence).toBe(1n);
  });

  it("expiry rule 2: at n, a PoV for n+1 whose pre is another state expires", () => {
    const { chain, ids } = setup(1);
    const bad = { ...nextSlab(chain, ids[0], "x"), pre: bytes("not the current image") };
    const r = block(chain, [], [makePov([bad])]);
    expect(r.povs[0].result.ok).toBe(true);
    expect(r.expired).toEqual([{ id: r.povs[0].id, reason: { kind: "PreHashMismatch", actor: ids[0] } }]);
    expect(chain.actor(ids[0])?.sequence).toBe(0n);
  });

  it("one expiring slab expires the whole PoV; the other actor is untouched", () => {
    const { chain, ids } = setup(2);
    const good = nextSlab(chain, ids[0], "g");
    const bad = { ...nextSlab(chain, ids[1], "b"), pre: bytes("forged") };
    const r = block(chain, [], [makePov([good, bad])]);
    expect(r.expired.length).toBe(1);
    expect(chain.actor(ids[0])?.sequence).toBe(0n);
  });

  it("a post image that does not hash to postHash is rejected whole", () => {
    const { chain, ids } = setup(1);
    const s = nextSlab(chain, ids[0], "a");
    const v = makePov([s]);
    v.effects.transitions[0].postHash = blake2b256(bytes("other")) as never;
    const r = block(chain, [], [v]);
    expect(r.expired[0].reason).toMatchObject({ kind: "EffectsRejected", code: "BAD_SLAB" });
    // effects that claim the current state as preHash while the slab carries another pre image
    const lying = makePov([{ ...s, pre: bytes("another pre") }]);
    lying.effects.transitions[0].preHash = chain.actor(ids[0])?.stateHash as never;
    const r1 = block(chain, [], [lying]);
    expect(r1.expired[0].reason).toMatchObject({ kind: "EffectsRejected", code: "BAD_SLAB" });
    const corrupt = makePov([{ ...s, post: new Uint8Array([0xff, 1]) }]);
    const r2 = block(chain, [], [corrupt]);
    expect(r2.expired[0].reason).toMatchObject({ kind: "EffectsRejected", code: "BAD_SLAB" });
    expect(chain.actor(ids[0])?.sequence).toBe(0n);
  });
});

describe("admission", () => {
  it("rejects a stale sequence (validity rule 3), an unknown actor, an empty or duplicated slab list", () => {
    const { chain, ids } = setup(1);
    block(chain, [], [makePov([nextSlab(chain, ids[0], "a")])]);
    rejected(chain, [makePov([{ ...nextSlab(chain, ids[0], "b"), sequence: 1n }])], "POV_STALE_SEQUENCE");
    rejected(
      chain,
      [makePov([{ ...nextSlab(chain, ids[0], "b"), actor: 9 as ActorId }])],
      "POV_UNKNOWN_ACTOR",
    );
    rejected(chain, [makePov([])], "POV_NO_SLABS");
    const s = nextSlab(chain, ids[0], "d");
    rejected(chain, [makePov([s, s])], "POV_DUPLICATE_SLAB");
    expect(chain.pool()).toEqual([]);
  });

  it("rejects an actor on two cores in one block, a taken core and a core out of range", () => {
    const { chain, ids } = setup(2);
    const a = nextSlab(chain, ids[0], "a");
    const a2 = nextSlab(chain, ids[0], "a2");
    const b = nextSlab(chain, ids[1], "b");
    const { r } = rejected(
      chain,
      [makePov([a], {}, { core: 0 }), makePov([a2, b], {}, { core: 1 })],
      "POV_ACTOR_ON_TWO_CORES",
    );
    expect(r.povs[0].result.ok).toBe(true);
    expect(r.canonicalised.length).toBe(1);
    rejected(
      chain,
      [
        makePov([nextSlab(chain, ids[0], "c")], {}, { core: 2 }),
        makePov([nextSlab(chain, ids[1], "c")], {}, { core: 2 }),
      ],
      "POV_CORE_TAKEN",
    );
    rejected(chain, [makePov([nextSlab(chain, ids[1], "z")], {}, { core: 4 })], "POV_BAD_CORE");
  });

  it("rejects a duplicate PoV, malformed PoV bytes, and slabs that disagree with the effects", () => {
    const { chain, ids } = setup(1);
    const s1 = nextSlab(chain, ids[0], "a");
    const s2 = nextSlab(chain, ids[0], "a", s1);
    const p = makePov([s2]);
    block(chain, [], [p]);
    rejected(chain, [p], "POV_DUPLICATE");
    const junk = { ...makePov([s1]), pov: bytes("junk") };
    rejected(chain, [junk], "POV_MALFORMED");
    const mismatch = makePov([s1]);
    const decoded = Pov.dec(mismatch.pov);
    mismatch.pov = Pov.enc({ ...decoded, slabs: [{ ...decoded.slabs[0], sequence: 5n }] });
    rejected(chain, [mismatch], "POV_MALFORMED");
    expect(chain.pool().length).toBe(1);
  });

  it("keeps the pool across blocks and lists it", () => {
    const { chain, ids } = setup(1);
    const s1 = nextSlab(chain, ids[0], "a");
    const s3 = nextSlab(chain, ids[0], "a", nextSlab(chain, ids[0], "a", s1));
    block(chain, [], [makePov([s3], {}, { collator: bob.publicKey })]);
    block(chain);
    expect(chain.pool()).toMatchObject([
      { core: 0, collator: bob.publicKey, slabs: [{ actor: ids[0], sequence: 3n }] },
    ]);
  });
});

describe("bounded pool", () => {
  it("rejects a slab more than maxPipeline ahead, admits one exactly maxPipeline ahead", () => {
    const { chain, ids } = setup(1);
    const s = nextSlab(chain, ids[0], "far");
    const max = BigInt(chain.config.maxPipeline);
    rejected(chain, [makePov([{ ...s, sequence: max + 1n }])], "POV_TOO_FAR_AHEAD");
    expect(block(chain, [], [makePov([{ ...s, sequence: max }])]).povs[0].result.ok).toBe(true);
  });

  it("a PoV whose predecessor never comes times out after poolTtl blocks", () => {
    const chain = createChain({
      storage: createMemoryStorage(),
      engine: fakeEngine(),
      config: { ...testConfig, poolTtl: 2 },
    });
    const { ids } = setup(1, 10n, chain);
    const s2 = nextSlab(chain, ids[0], "a", nextSlab(chain, ids[0], "a"));
    const admitted = block(chain, [], [makePov([s2])]);
    expect(block(chain).expired).toEqual([]);
    expect(block(chain).expired).toEqual([]);
    const r = block(chain);
    expect(r.expired).toEqual([
      { id: admitted.povs[0].id, reason: { kind: "TimedOut", admittedAt: admitted.number } },
    ]);
    expect(chain.pool()).toEqual([]);
  });
});
