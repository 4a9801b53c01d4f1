/**
 * DESIGN §10 with the real engine, pov layer and chain: `set_code` takes effect when its PoV is
 * canonicalised; a PoV built meanwhile on the old image expires (PreHashMismatch); a refused upgrade
 * (`upgrade` traps) leaves the actor on its old code and the image its PoV left.
 */
import { describe, expect, it } from "vitest";
import { type Chain, chainConfig, createChain, createMemoryStorage } from "../../src/chain/index.ts";
import { actorId, type CodeHash } from "../../src/codec/ids.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { buildPov, validatePov } from "../../src/pov/index.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { P, propBlobs } from "../harness/prop-actor.ts";
import { alice, collator, testConfig, tx } from "./helpers.ts";

const engine = createWasmEngine();
const config = chainConfig({ ...testConfig, maxCodeSize: 64 * 1024 });
const [A, B] = propBlobs();
const [hA, hB] = [blake2b256(A), blake2b256(B)] as unknown as CodeHash[];
const id = actorId(0);

function start(): Chain {
  const chain = createChain({ storage: createMemoryStorage(), engine, config });
  for (const t of [
    { tag: "Upload" as const, value: { blob: A } },
    { tag: "Upload" as const, value: { blob: B } },
    { tag: "Create" as const, value: { codeHash: hA as CodeHash, args: new Uint8Array(), endowment: 0n } },
  ]) {
    const r = chain.applyBlock({ txs: [tx(chain, alice, t)], author: collator.publicKey });
    if (!r.txs[0]?.result.ok) throw new Error("setup failed");
  }
  return chain;
}

/** A PoV of actor 0: Calls with `inputs`, then a Service; `pre`/`sequence` default to the chain's. */
function pov(chain: Chain, inputs: number[][], at?: { pre: Uint8Array; sequence: bigint }) {
  const view = chain.relayView([id]);
  const built = buildPov({
    view,
    slabs: [{ actor: id, pre: at?.pre ?? (chain.slab(id) as Uint8Array), sequence: at?.sequence }],
    agenda: [
      ...inputs.map((i) => ({
        actor: id,
        entry: { tag: "Call" as const, value: { input: Uint8Array.from(i) } },
      })),
      { actor: id, entry: { tag: "Service" as const, value: { times: 1 } } },
    ],
    witness: { messages: chain.witness([id]).messages },
    engine,
    codes: chain.codeSource,
  });
  const verdict = validatePov(built.pov, view, chain.codeSource, engine);
  if (verdict.tag !== "Valid") throw new Error(JSON.stringify(verdict.value));
  const program = engine.load(chain.code(chain.actor(id)?.codeHash as CodeHash) as Uint8Array);
  const slab = built.decoded.slabs[0] as { pre: Uint8Array; post: Uint8Array; sequence: bigint };
  const post = program.decodeImageAgainst(program.decodeImage(slab.pre), slab.post);
  return {
    validated: { core: 0, pov: built.pov, effects: verdict.value, collator: collator.publicKey },
    next: { pre: post.encode(), sequence: slab.sequence + 1n },
    postHash: post.hash,
  };
}
const block = (chain: Chain, povs: ReturnType<typeof pov>["validated"][]) =>
  chain.applyBlock({ txs: [], povs, author: collator.publicKey });

describe("set_code through the chain", () => {
  it("takes effect at canonicalisation; a PoV pipelined on the old image expires", () => {
    const chain = start();
    // counter 1 (inc), then set_code(B) carrying 1: B's upgrade makes it 2 (not a multiple of 3)
    const first = pov(chain, [[P.inc], [P.setCode, ...hB]]);
    const pipelined = pov(chain, [[P.inc]], first.next);
    const r = block(chain, [first.validated]);
    expect(r.upgrades).toMatchObject([{ actor: id, from: hA, to: hB, outcome: { tag: "Upgraded" } }]);
    const a = chain.actor(id);
    expect(a?.codeHash).toEqual(hB);
    expect(a?.sequence).toBe(1n);
    expect(a?.stateHash).not.toEqual(first.postHash);
    const program = engine.load(B);
    expect(program.decodeImage(chain.slab(id) as Uint8Array).hash).toEqual(a?.stateHash);
    expect([chain.codeInfo(hA)?.refs, chain.codeInfo(hB)?.refs]).toEqual([1, 2]);
    const late = block(chain, [pipelined.validated]);
    expect(late.expired).toMatchObject([{ reason: { kind: "PreHashMismatch", actor: id } }]);
    // the next play runs B from its upgraded image: counter 2, inc → 3
    const next = pov(chain, [[P.inc]]);
    expect(next.validated.effects.calls[0]?.output).toEqual(Uint8Array.of(0, 16, 3, 0, 0, 0));
    expect(block(chain, [next.validated]).canonicalised).toHaveLength(1);
  });

  it("a refused upgrade (upgrade traps) keeps the old code and the image the PoV left", () => {
    const chain = start();
    // counter 2, carried: B's upgrade makes it 3 and traps
    const p = pov(chain, [[P.inc], [P.inc], [P.setCode, ...hB]]);
    const r = block(chain, [p.validated]);
    expect(r.canonicalised).toHaveLength(1);
    expect(r.upgrades[0]?.outcome).toMatchObject({ tag: "Refused", value: expect.stringMatching(/^Trap: /) });
    expect(chain.upgrade(id)?.outcome.tag).toBe("Refused");
    const a = chain.actor(id);
    expect(a?.codeHash).toEqual(hA);
    expect(a?.stateHash).toEqual(p.postHash);
    expect([chain.codeInfo(hA)?.refs, chain.codeInfo(hB)?.refs]).toEqual([2, 1]);
  });
});
