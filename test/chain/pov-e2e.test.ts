/**
 * End to end with the real Wasm engine and the real pov layer: a collator builds PoVs from the chain's
 * relayView/witness/slabs, a validator validates them statelessly, and the chain canonicalises their
 * effects (receipts, postcards through pigeonholes, payouts, pipelining).
 */
import { describe, expect, it } from "vitest";
import { type Chain, createChain, createMemoryStorage, type ValidatedPov } from "../../src/chain/index.ts";
import type { ActorId, CodeHash } from "../../src/codec/ids.ts";
import { CallOutput, Pov } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { buildPov, type DraftItem, validatePov } from "../../src/pov/index.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { counterBlob, OP, op, replyOf } from "../pov/wat.ts";
import { alice, bob, collator, testConfig, tx } from "./helpers.ts";

const engine = createWasmEngine();

function start() {
  const chain = createChain({ storage: createMemoryStorage(), engine, config: testConfig });
  const blob = counterBlob();
  const apply = (txs: Uint8Array[], povs: ValidatedPov[] = []) => {
    const r = chain.applyBlock({ txs, povs, author: collator.publicKey });
    for (const t of r.txs) if (!t.result.ok) throw t.result.error;
    for (const p of r.povs) if (!p.result.ok) throw p.result.error;
    return r;
  };
  const up = apply([tx(chain, alice, { tag: "Upload", value: { blob } })]);
  const codeHash = (up.txs[0].result.ok && up.txs[0].result.value.codeHash) as CodeHash;
  const ids: ActorId[] = [];
  for (let i = 0; i < 2; i++) {
    const r = apply([
      tx(chain, alice, { tag: "Create", value: { codeHash, args: new Uint8Array(), endowment: 5_000n } }),
    ]);
    ids.push((r.txs[0].result.ok && r.txs[0].result.value.actor) as ActorId);
  }
  return { chain, apply, ids };
}

/** What a collator does for one actor: queued calls as Call items, one Service, from the chain's state. */
function collate(
  chain: Chain,
  actor: ActorId,
  opts: { pre?: Uint8Array; sequence?: bigint; calls?: boolean } = {},
) {
  // every actor may be a recipient (a collator names those its play sends to)
  const view = chain.relayView([actor], { recipients: chain.actorIds() });
  const w = chain.witness([actor]);
  const agenda: DraftItem[] = [
    ...(opts.calls === false ? [] : chain.pendingCalls(actor)).map((c) => ({
      actor,
      entry: { tag: "Call" as const, value: { input: c.input } },
    })),
    { actor, entry: { tag: "Service", value: { times: 1 } } },
  ];
  const built = buildPov({
    view,
    slabs: [{ actor, pre: opts.pre ?? (chain.slab(actor) as Uint8Array), sequence: opts.sequence }],
    agenda,
    witness: { messages: w.messages, preimages: w.preimages },
    engine,
    codes: chain.codeSource,
  });
  return { built, view };
}

/** What a validator does: stateless validation against the relay view. */
function validate(
  chain: Chain,
  built: ReturnType<typeof collate>["built"],
  view: ReturnType<Chain["relayView"]>,
  core = 0,
): ValidatedPov {
  const verdict = validatePov(built.pov, view, chain.codeSource, engine);
  if (verdict.tag !== "Valid") throw new Error(`invalid PoV: ${JSON.stringify(verdict.value)}`);
  expect(verdict.value).toEqual(built.effects);
  return { core, pov: built.pov, effects: verdict.value, collator: collator.publicKey };
}

/** The full image after a built PoV (for pipelining the next one). */
function postImage(chain: Chain, actor: ActorId, built: ReturnType<typeof collate>["built"]): Uint8Array {
  const program = engine.load(chain.code(chain.actor(actor)?.codeHash as CodeHash) as Uint8Array);
  const slab = built.decoded.slabs[0];
  return program.decodeImageAgainst(program.decodeImage(slab.pre), slab.post).encode();
}

describe("chain + pov + wasm engine", () => {
  it("a queued call runs in a validated PoV, gets a receipt, and its postcard reaches the other actor", () => {
    const { chain, apply, ids } = start();
    const [a, b] = ids;
    const call = apply([
      tx(chain, bob, { tag: "Call", value: { actor: a, input: op(OP.inc) } }),
      tx(chain, bob, { tag: "Call", value: { actor: a, input: op(OP.send, b, [1, 2, 3]) } }, 1n),
    ]);
    const { built, view } = collate(chain, a);
    const paidBefore = chain.balanceOf(collator.publicKey);
    const r = apply([], [validate(chain, built, view)]);
    expect(r.canonicalised.length).toBe(1);
    const actor = chain.actor(a);
    expect(actor?.sequence).toBe(1n);
    expect(actor?.stateHash).toEqual(built.effects.transitions[0].postHash);
    // the stored slab is the post image in full: the next collator starts from it
    expect(
      engine
        .load(chain.code(actor?.codeHash as CodeHash) as Uint8Array)
        .decodeImage(chain.slab(a) as Uint8Array).hash,
    ).toEqual(actor?.stateHash);
    expect(replyOf(chain.receipt(call.txs[0].hash)?.output as Uint8Array)).toBe(1);
    expect(replyOf(chain.receipt(call.txs[1].hash)?.output as Uint8Array)).toBe(0);
    expect(chain.pendingCalls(a)).toEqual([]);
    const ph = chain.pigeonhole(b);
    expect(ph?.messages).toEqual([
      { from: { tag: "Actor", value: a }, to: b, data: new Uint8Array([1, 2, 3]) },
    ]);
    // payout(now) = the counter (1 from inc + 100 from main) goes to the collator
    expect(chain.balanceOf(collator.publicKey) - paidBefore).toBe(101n);
    expect(chain.balanceOf(a)).toBe(5_000n - 101n);

    // B receives it in its own play; the chain checks it against B's pigeonhole chain and dequeues it
    const recv = apply([tx(chain, bob, { tag: "Call", value: { actor: b, input: op(OP.recv) } })]);
    const next = collate(chain, b);
    expect(next.built.effects.received).toMatchObject([{ actor: b, count: 1 }]);
    apply([], [validate(chain, next.built, next.view)]);
    expect(replyOf(chain.receipt(recv.txs[0].hash)?.output as Uint8Array)).toBeGreaterThanOrEqual(0);
    expect(chain.pigeonhole(b)?.messages).toEqual([]);
    expect(chain.pigeonhole(b)?.head).toEqual(ph?.tail);
  });

  it("pipelined real PoVs for n+1, n+2, n+3 submitted out of order canonicalise in order", () => {
    const { chain, apply, ids } = start();
    const a = ids[0];
    const p1 = collate(chain, a, { calls: false });
    const p2 = collate(chain, a, { pre: postImage(chain, a, p1.built), sequence: 2n, calls: false });
    const p3 = collate(chain, a, { pre: postImage(chain, a, p2.built), sequence: 3n, calls: false });
    // validators see the relay view of the parent; sequences above it are valid (rule 3)
    const v = [p1, p2, p3].map((p) => validate(chain, p.built, p.view));
    apply([], [v[2]]);
    apply([], [v[1]]);
    expect(chain.actor(a)?.sequence).toBe(0n);
    const r = apply([], [v[0]]);
    expect(r.canonicalised.map((c) => c.id)).toEqual(v.map((p) => blake2b256(p.pov)));
    expect(chain.actor(a)?.sequence).toBe(3n);
    expect(chain.actor(a)?.stateHash).toEqual(p3.built.effects.transitions[0].postHash);

    // a competing n+4 pair: the first admitted wins, the other expires
    const c1 = collate(chain, a, { calls: false });
    apply([tx(chain, bob, { tag: "Call", value: { actor: a, input: op(OP.inc) } })]);
    const c2 = collate(chain, a);
    const w1 = validate(chain, c1.built, c1.view);
    const w2 = validate(chain, c2.built, c2.view);
    expect(w1.effects.transitions[0].postHash).not.toEqual(w2.effects.transitions[0].postHash);
    const r1 = apply([], [w2]);
    expect(r1.canonicalised.length).toBe(1);
    const r2 = chain.applyBlock({ txs: [], povs: [w1], author: collator.publicKey });
    expect(!r2.povs[0].result.ok && r2.povs[0].result.error.code).toBe("POV_STALE_SEQUENCE");
    expect(chain.actor(a)?.sequence).toBe(4n);
  });
});

describe("validators reject what the chain must never canonicalise (against chain.relayView)", () => {
  it("wrong Call output, wrong post, missing Service, missing or extra slab, stale sequence", () => {
    const { chain, apply, ids } = start();
    const [a, b] = ids;
    apply([tx(chain, bob, { tag: "Call", value: { actor: a, input: op(OP.inc) } })]);
    const { built, view } = collate(chain, a);
    const check = (pov: typeof built.decoded, v = view) =>
      validatePov(Pov.enc(pov), v, chain.codeSource, engine);
    const d = built.decoded;
    expect(check(d).tag).toBe("Valid");
    // rule 4: a Call whose recorded output differs
    const agenda = d.agenda.map((i) =>
      i.entry.tag === "Call"
        ? {
            ...i,
            entry: {
              tag: "Call" as const,
              value: {
                ...i.entry.value,
                output: CallOutput.enc({ success: true, value: new Uint8Array([9, 9, 9, 9]) }),
              },
            },
          }
        : i,
    );
    expect(check({ ...d, agenda })).toMatchObject({ tag: "Invalid", value: { tag: "OutputMismatch" } });
    // rule 5: a post image that is not what the play produced
    expect(check({ ...d, slabs: [{ ...d.slabs[0], post: d.slabs[0].pre }] })).toMatchObject({
      tag: "Invalid",
      value: { tag: "PostMismatch" },
    });
    // rule 1: no Service for the actor
    expect(check({ ...d, agenda: d.agenda.filter((i) => i.entry.tag !== "Service") })).toMatchObject({
      tag: "Invalid",
      value: { tag: "AgendaMismatch" },
    });
    // rule 2: a missing slab, an extra slab
    expect(check({ ...d, slabs: [] }, chain.relayView([a, b]))).toMatchObject({ tag: "Invalid" });
    const extra = {
      actor: b,
      sequence: 1n,
      pre: chain.slab(b) as Uint8Array,
      post: chain.slab(b) as Uint8Array,
    };
    expect(check({ ...d, slabs: [...d.slabs, extra] }, chain.relayView([a, b]))).toMatchObject({
      tag: "Invalid",
      value: { tag: "SlabMismatch" },
    });
    // rule 3: once canonical, the same PoV is stale against the new relay view; the chain refuses it too
    apply([], [validate(chain, built, view)]);
    expect(check(d, chain.relayView([a]))).toMatchObject({ tag: "Invalid", value: { tag: "StaleSequence" } });
  });
});
