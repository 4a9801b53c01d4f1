/** The pov rules with real Wasm actors (WAT, through createWasmEngine and programFromWat). */
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { CallOutput, type Pov } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { PovBuildError } from "../../src/pov/errors.ts";
import { EMPTY_HEAD } from "../../src/pov/pigeonhole.ts";
import { RelayView } from "../../src/pov/types.ts";
import { effectsHash, encodeVerdict } from "../../src/pov/validate.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { postcard, service } from "./fixtures.ts";
import { build, check, edit, editWitness, effectsOf, reasonOf, show } from "./helpers.ts";
import { counterBlob, OP, op, replyOf, replyPair, setupWasm, wcall } from "./wat.ts";

function validateInWorker(pov: Uint8Array, view: RelayView, blob: Uint8Array): Promise<Uint8Array> {
  const worker = new Worker(new URL("../../bin/worker.js", import.meta.url), {
    workerData: {
      entry: new URL("./validate-in-worker.ts", import.meta.url).href,
      pov,
      view: RelayView.enc(view),
      blob,
    },
  });
  return new Promise((resolve, reject) => {
    worker.once("message", (m: Uint8Array) => {
      void worker.terminate();
      resolve(new Uint8Array(m));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`validator worker exited with ${code}`)));
  });
}

const outs = (p: Pov) => p.agenda.flatMap((i) => (i.entry.tag === "Call" ? [i.entry.value.output] : []));
const u128 = (n: number) => Array.from({ length: 16 }, (_, i) => (i === 0 ? n : 0));

describe("real Wasm: build then validate", () => {
  it("agrees on effects, records outputs and posts deltas", () => {
    const fx = setupWasm([{ id: 1 }, { id: 2 }]);
    const built = build(fx, [
      wcall(1, op(OP.inc)),
      service(1, 2),
      wcall(1, op(OP.inc)),
      wcall(2, op(OP.send, 1, [1, 2, 3])),
      service(2),
    ]);
    const effects = effectsOf(check(fx, built.pov));
    expect(show(effects)).toBe(show(built.effects));
    expect(effectsHash(effects)).toEqual(built.effectsHash);
    expect(outs(built.decoded).map(replyOf)).toEqual([1, 202, 0]);
    expect(effects.payouts).toEqual([
      { actor: 1, amount: 202n },
      { actor: 2, amount: 100n },
    ]);
    expect(effects.sent).toEqual([
      { from: { tag: "Actor", value: 2 }, to: 1, data: new Uint8Array([1, 2, 3]) },
    ]);
  });
  it("chains plays: the next PoV starts from the previous post (pipelined, sequence 2)", () => {
    const fx = setupWasm([{ id: 1 }]);
    const first = build(fx, [wcall(1, op(OP.inc)), service(1)]);
    const program = fx.engine.load(fx.codes.code(fx.view.actors[0]!.codeHash)!);
    const slab = first.decoded.slabs[0] as Pov["slabs"][number];
    const after = program.decodeImageAgainst(program.decodeImage(slab.pre), slab.post);
    expect(Buffer.from(after.hash).equals(Buffer.from(first.effects.transitions[0]!.postHash))).toBe(true);
    const second = build(fx, [wcall(1, op(OP.inc)), service(1)], {
      slabs: [{ actor: actorId(1), pre: after.encode(), sequence: 2n }],
    });
    const effects = effectsOf(check(fx, second.pov));
    expect(outs(second.decoded).map(replyOf)).toEqual([102]);
    expect(effects.transitions[0]).toMatchObject({
      sequence: 2n,
      preHash: first.effects.transitions[0]!.postHash,
    });
    // The second post is a delta against a pre that already has the page: no larger than the full image.
    const post2 = (second.decoded.slabs[0] as Pov["slabs"][number]).post;
    expect(post2.byteLength).toBeLessThanOrEqual(after.encode().byteLength + 64);
  });
});

describe("real Wasm: each rule, negative", () => {
  const fx = setupWasm([{ id: 1 }, { id: 2 }], { callGas: 2_000_000n });
  const base = build(fx, [wcall(1, op(OP.inc)), service(1), service(2)]);

  it("rule 1: an actor without a Service", () => {
    const bad = edit(base.pov, (p) => {
      p.agenda = p.agenda.filter((i) => !(i.actor === 1 && i.entry.tag === "Service"));
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "AgendaMismatch", value: "actor 1 has no Service" });
  });
  it("rule 2: missing, extra and duplicate slabs", () => {
    const missing = edit(base.pov, (p) => {
      p.slabs = p.slabs.slice(0, 1);
    });
    expect(reasonOf(check(fx, missing))).toEqual({ tag: "SlabMismatch", value: "missing slab for actor 2" });
    const extra = edit(base.pov, (p) => {
      p.agenda = p.agenda.filter((i) => i.actor !== 2);
    });
    expect(reasonOf(check(fx, extra))).toEqual({ tag: "SlabMismatch", value: "extra slab for actor 2" });
    const dup = edit(base.pov, (p) => {
      p.slabs.push(p.slabs[1] as Pov["slabs"][number]);
    });
    expect(reasonOf(check(fx, dup))).toEqual({ tag: "SlabMismatch", value: "duplicate slab for actor 2" });
  });
  it("rule 3: a wrong sequence", () => {
    const view = { ...fx.view, actors: fx.view.actors.map((a) => ({ ...a, sequence: 1n })) };
    expect(reasonOf(check(fx, base.pov, view))).toEqual({ tag: "StaleSequence", value: 1 });
  });
  it("rule 4: a wrong Call output", () => {
    const bad = edit(base.pov, (p) => {
      const item = p.agenda[0] as Pov["agenda"][number];
      if (item.entry.tag === "Call")
        item.entry.value.output = CallOutput.enc({ success: true, value: new Uint8Array(4) });
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "OutputMismatch", value: 0 });
  });
  it("rule 5: a post that does not match", () => {
    const other = build(fx, [wcall(1, op(OP.inc)), wcall(1, op(OP.inc)), service(1), service(2)]);
    const bad = edit(base.pov, (p) => {
      (p.slabs[0] as Pov["slabs"][number]).post = (other.decoded.slabs[0] as Pov["slabs"][number]).post;
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "PostMismatch", value: 1 });
  });
  it("a pre that is not an image of the program", () => {
    const bad = edit(base.pov, (p) => {
      (p.slabs[0] as Pov["slabs"][number]).pre = new Uint8Array(40);
    });
    expect(reasonOf(check(fx, bad)).tag).toBe("BadImage");
  });
});

describe("real Wasm: failures are results, and roll back", () => {
  it("out of gas, trap, actor error and yield in call: recorded, image and effects rolled back", () => {
    const fx = setupWasm([{ id: 1 }, { id: 2 }], { callGas: 2_000_000n });
    const built = build(fx, [
      wcall(1, op(OP.spin)),
      wcall(1, op(OP.trap)),
      wcall(1, op(OP.fail)),
      wcall(1, op(OP.yield)),
      wcall(1, op(OP.sendThenFail, 2, [9])),
      wcall(1, op(OP.inc)),
      service(1),
      service(2),
    ]);
    const effects = effectsOf(check(fx, built.pov));
    expect(show(effects)).toBe(show(built.effects));
    expect(outs(built.decoded).map(replyOf)).toEqual([
      "err:OutOfGas",
      "err:Trap",
      "err:Actor",
      "err:YieldInCall",
      "err:Actor",
      1,
    ]);
    expect(effects.sent).toEqual([]);
  });
  it("call_actor: origin passed, NotCoscheduled, Reentry, callee's effects rolled back", () => {
    const fx = setupWasm([{ id: 1 }, { id: 2 }]);
    const built = build(fx, [
      wcall(1, op(OP.callActor, 2, op(OP.origin))),
      wcall(2, op(OP.origin)),
      wcall(1, op(OP.callActor, 9, op(OP.inc))),
      wcall(1, op(OP.callActor, 2, op(OP.callActor, 1, op(OP.inc)))),
      wcall(1, op(OP.callActor, 2, op(OP.sendThenFail, 5, [1]))),
      wcall(1, op(OP.callActor, 2, op(OP.send, 6, [2]))),
      service(1),
      service(2),
    ]);
    const effects = effectsOf(check(fx, built.pov));
    expect(show(effects)).toBe(show(built.effects));
    const o = outs(built.decoded);
    expect(replyPair(o[0] as Uint8Array)).toEqual([0, 1]); // callee saw origin = actor 1
    const none = CallOutput.dec(o[1] as Uint8Array);
    expect(none.success && Buffer.from(none.value).readBigInt64LE(0)).toBe(-1n); // agenda Call: no origin
    expect(replyPair(o[2] as Uint8Array)).toEqual([6, 0]); // NotCoscheduled
    expect(replyPair(o[3] as Uint8Array)).toEqual([0, 5]); // 2 → 1 is a re-entry (status 5)
    expect((replyPair(o[4] as Uint8Array) as number[])[0]).toBe(1); // Err(Actor) from the callee
    expect(effects.sent.map((m) => [m.from.value, m.to])).toEqual([[2, 6]]);
  });
  it("a caller that traps after a successful call_actor undoes the callee too", () => {
    const fx = setupWasm([{ id: 1 }, { id: 2 }]);
    const built = build(fx, [
      wcall(1, op(OP.callThenTrap, 2, op(OP.send, 7, [1]))),
      wcall(1, op(OP.callThenTrap, 2, op(OP.inc))),
      wcall(2, op(OP.inc)),
      service(1),
      service(2),
    ]);
    const effects = effectsOf(check(fx, built.pov));
    expect(outs(built.decoded).map(replyOf)).toEqual(["err:Trap", "err:Trap", 1]);
    expect(effects.sent).toEqual([]);
  });
  it("rejects re-entry into itself", () => {
    const fx = setupWasm([{ id: 1 }]);
    const built = build(fx, [wcall(1, op(OP.callActor, 1, op(OP.inc))), service(1)]);
    expect(replyPair(outs(built.decoded)[0] as Uint8Array)).toEqual([5, 0]);
  });
});

describe("real Wasm: gas, witness, transfers", () => {
  it("core gas: the last item may use it up, an item after that is invalid", () => {
    const fx = setupWasm([{ id: 1 }], { coreGas: 300_000n, callGas: 10_000_000n });
    const built = build(fx, [service(1), wcall(1, op(OP.spin))]);
    expect(effectsOf(check(fx, built.pov)).gasUsed).toBe(300_000n);
    const bad = edit(built.pov, (p) => {
      p.agenda.push({ actor: actorId(1), entry: { tag: "Service", value: { times: 1 } } });
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "CoreGasExceeded", value: 300_000n });
    expect(() => build(fx, [wcall(1, op(OP.spin)), service(1)])).toThrow(PovBuildError);
  });
  it("messages and preimages from the witness; a forged preimage is caught", () => {
    const fx = setupWasm([{ id: 1, balance: 5000n }]);
    const data = new Uint8Array([42, 1, 2]);
    const hash = blake2b256(data);
    const built = build(fx, [wcall(1, op(OP.recv)), wcall(1, op(OP.lookup, undefined, hash)), service(1)], {
      witness: {
        messages: [{ actor: actorId(1), headBefore: EMPTY_HEAD, messages: [postcard(1, "hi")] }],
        preimages: [data],
      },
    });
    const effects = effectsOf(check(fx, built.pov));
    expect(effects.received[0]).toMatchObject({ actor: 1, count: 1, seen: 1 });
    expect(outs(built.decoded).map(replyOf)).toEqual([expect.any(Number), 3]);
    expect(effects.payouts[0]?.amount).toBe(1000n + 42n + 100n);
    const forged = editWitness(built.pov, (w) => {
      w.preimages[0] = new Uint8Array([43, 1, 2]);
    });
    expect(reasonOf(check(fx, forged)).tag).toMatch(/OutputMismatch|BadWitness/);
  });
  it("transfers and logs", () => {
    const fx = setupWasm([
      { id: 1, balance: 50n },
      { id: 2, balance: 0n },
    ]);
    const built = build(fx, [
      wcall(1, op(OP.transfer, 2, u128(30))),
      wcall(1, op(OP.transfer, 2, u128(30))),
      wcall(2, op(OP.log, undefined, [104, 105])),
      service(1),
      service(2),
    ]);
    const effects = effectsOf(check(fx, built.pov));
    expect(outs(built.decoded).map(replyOf)).toEqual([0, -5, 0]);
    expect(effects.transfers).toEqual([{ from: 1, to: 2, amount: 30n }]);
    expect(effects.logs).toEqual([{ actor: 2, line: "hi" }]);
    expect(effects.payouts).toEqual([
      { actor: 1, amount: 20n },
      { actor: 2, amount: 30n },
    ]);
  });
});

describe("real Wasm: determinism", () => {
  it("two fresh engines and a worker thread give byte-identical verdicts, valid and invalid", async () => {
    const a = setupWasm([{ id: 1 }, { id: 2 }]);
    const built = build(a, [wcall(1, op(OP.callActor, 2, op(OP.inc))), service(1, 3), service(2)]);
    const bad = edit(built.pov, (p) => {
      (p.slabs[1] as Pov["slabs"][number]).post = (p.slabs[0] as Pov["slabs"][number]).post;
    });
    for (const pov of [built.pov, bad]) {
      const one = encodeVerdict(check({ ...a, engine: createWasmEngine() }, pov));
      const two = encodeVerdict(check({ ...a, engine: createWasmEngine({ trackWrites: false }) }, pov));
      expect(Buffer.from(one).equals(Buffer.from(two))).toBe(true);
      const three = await validateInWorker(pov, a.view, counterBlob());
      expect(Buffer.from(three).equals(Buffer.from(one))).toBe(true);
    }
  });
});
