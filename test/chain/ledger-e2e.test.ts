/**
 * Issue "Must show" 4: the ledger example's cross-branch transfer, end to end through postcards.
 * Branch 0 debits and sends a credit postcard; the chain puts it in branch 1's pigeonhole when branch 0's
 * PoV canonicalises; branch 1's next play receives it (checked against the pigeonhole's hash chain) and
 * credits the account. Real AssemblyScript → Wasm, real pov build/validate, protocol per
 * examples/ledger/assembly/index.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type Chain, createChain, createMemoryStorage } from "../../src/chain/index.ts";
import type { ActorId, CodeHash } from "../../src/codec/ids.ts";
import { CallOutput } from "../../src/codec/types.ts";
import { buildPov, type DraftItem, validatePov } from "../../src/pov/index.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { alice, bob, collator, testConfig, tx } from "./helpers.ts";

const engine = createWasmEngine();
let blob: Uint8Array;

beforeAll(async () => {
  const { buildProgram } = await import("../../src/build/index.ts");
  blob = (await buildProgram("examples/ledger", { preemptible: false })).blob;
}, 120_000);

const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const u128 = (n: bigint) => {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return b;
};
const readU128 = (b: Uint8Array, at = 0) => {
  let n = 0n;
  for (let i = 15; i >= 0; i--) n = (n << 8n) | BigInt(b[at + i]);
  return n;
};
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const KEY_A = new Uint8Array(32).fill(0xaa);
const KEY_B = new Uint8Array(32).fill(0xbb);
const method = (sel: number, ...args: Uint8Array[]) => cat(new Uint8Array([sel]), ...args);
const setPeer = (branch: number, actor: number) => method(0x04, u32(branch), u32(actor));
const mint = (key: Uint8Array, amount: bigint) => method(0x01, key, u128(amount));
const transfer = (from: Uint8Array, toBranch: number, to: Uint8Array, amount: bigint) =>
  method(0x02, from, u32(toBranch), to, u128(amount));
const balanceOf = (key: Uint8Array) => method(0x00, key);

function okBytes(output: Uint8Array | undefined): Uint8Array {
  const o = CallOutput.dec(output as Uint8Array);
  if (!o.success) throw new Error(`call failed: ${JSON.stringify(o.value)}`);
  return o.value;
}

/**
 * One play of `actor`, as a collator builds it and a validator checks it: the actor's queued calls
 * (`before` of them ahead of the Service, the rest after), then canonicalisation in a block.
 */
function play(chain: Chain, actor: ActorId, before: number) {
  const calls = chain
    .pendingCalls(actor)
    .map((c): DraftItem => ({ actor, entry: { tag: "Call", value: { input: c.input } } }));
  const service: DraftItem = { actor, entry: { tag: "Service", value: { times: 1 } } };
  // every actor may be a recipient (a collator names those its play sends to)
  const view = chain.relayView([actor], { recipients: chain.actorIds() });
  const w = chain.witness([actor]);
  const built = buildPov({
    view,
    slabs: [{ actor, pre: chain.slab(actor) as Uint8Array }],
    agenda: [...calls.slice(0, before), service, ...calls.slice(before)],
    witness: { messages: w.messages, preimages: w.preimages },
    engine,
    codes: chain.codeSource,
  });
  const verdict = validatePov(built.pov, view, chain.codeSource, engine);
  if (verdict.tag !== "Valid") throw new Error(`invalid: ${JSON.stringify(verdict.value)}`);
  const r = chain.applyBlock({
    txs: [],
    povs: [{ core: 0, pov: built.pov, effects: verdict.value, collator: collator.publicKey }],
    author: collator.publicKey,
  });
  expect(r.canonicalised.length).toBe(1);
  return { r, effects: verdict.value };
}

describe("ledger example: cross-branch transfer through postcards", () => {
  it("debits branch 0, delivers a credit postcard, credits branch 1", () => {
    const chain = createChain({
      storage: createMemoryStorage(),
      engine,
      config: { ...testConfig, maxCodeSize: 1 << 20 },
    });
    const apply = (txs: Uint8Array[]) => {
      const r = chain.applyBlock({ txs, author: collator.publicKey });
      for (const t of r.txs) if (!t.result.ok) throw t.result.error;
      return r;
    };
    const up = apply([tx(chain, alice, { tag: "Upload", value: { blob } })]);
    const codeHash = (up.txs[0].result.ok && up.txs[0].result.value.codeHash) as CodeHash;
    const create = (branch: number) =>
      tx(chain, alice, {
        tag: "Create",
        value: { codeHash, args: cat(u32(branch), u32(100), u128(1n)), endowment: 1_000n },
      });
    const made = apply([create(0)]);
    const b0 = (made.txs[0].result.ok && made.txs[0].result.value.actor) as ActorId;
    const made1 = apply([create(1)]);
    const b1 = (made1.txs[0].result.ok && made1.txs[0].result.value.actor) as ActorId;

    // open both branches: peers set by agenda Calls, then main reads its args
    const call = (actor: ActorId, input: Uint8Array, nonce: bigint) =>
      tx(chain, bob, { tag: "Call", value: { actor, input } }, nonce);
    let n = chain.nonceOf(bob.publicKey);
    apply([call(b0, setPeer(1, b1), n++), call(b1, setPeer(0, b0), n++)]);
    play(chain, b0, 1);
    play(chain, b1, 1);

    // branch 0: mint to A, then move 300 from A (branch 0) to B (branch 1)
    const queued = apply([call(b0, mint(KEY_A, 1000n), n++), call(b0, transfer(KEY_A, 1, KEY_B, 300n), n++)]);
    const sent = play(chain, b0, 0);
    expect(sent.effects.sent).toHaveLength(1);
    expect(sent.effects.sent[0]).toMatchObject({ from: { tag: "Actor", value: b0 }, to: b1 });
    expect(readU128(okBytes(chain.receipt(queued.txs[0].hash)?.output))).toBe(1000n);
    expect(okBytes(chain.receipt(queued.txs[1].hash)?.output)).toEqual(new Uint8Array([1])); // sent cross-branch
    // the credit is waiting in branch 1's pigeonhole, under its hash chain
    const ph = chain.pigeonhole(b1);
    expect(ph?.messages).toEqual(sent.effects.sent);

    // branch 1: its Service receives the postcard and credits B; then balances are read by Calls
    const reads = apply([call(b1, balanceOf(KEY_B), n++), call(b0, balanceOf(KEY_A), n++)]);
    const got = play(chain, b1, 0);
    expect(got.effects.received).toMatchObject([
      { actor: b1, count: 1, headBefore: ph?.head, headAfter: ph?.tail },
    ]);
    expect(chain.pigeonhole(b1)?.messages).toEqual([]);
    play(chain, b0, 0);
    expect(readU128(okBytes(chain.receipt(reads.txs[0].hash)?.output))).toBe(300n);
    expect(readU128(okBytes(chain.receipt(reads.txs[1].hash)?.output))).toBe(700n);
  });
});
