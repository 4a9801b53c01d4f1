/**
 * Issue 13 §3 incentives: collators rank actors with work by what `payout()` offers per gas, fill cores
 * in that order, keep an actor that used a whole core to a core of its own, and run an actor that pays
 * nothing only on capacity left over.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { packCores } from "../../src/node/schedule.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

const limits = { maxItems: 4096, maxActors: 64 };

describe("packCores by rank", () => {
  it("fills cores best offer first; a group offering nothing waits while others fill the cores", () => {
    const r = packCores(
      [
        { actors: [1], weight: 90, collator: 0, rank: 0 },
        { actors: [2], weight: 2, collator: 1, rank: 5 },
        { actors: [3], weight: 2, collator: 2, rank: 1 },
      ],
      2,
      limits,
    );
    expect(r.cores.map((c) => c.actors)).toEqual([[2], [3]]);
    expect(r.deferred.map((g) => g.actors)).toEqual([[1]]);
  });
  it("a group that used a whole core gets one of its own and never shares it", () => {
    const r = packCores(
      [
        { actors: [1], weight: 1, collator: 0, rank: 3, alone: true },
        { actors: [2], weight: 1, collator: 0, rank: 2 },
      ],
      1,
      limits,
    );
    expect(r.cores.map((c) => c.actors)).toEqual([[1]]);
    expect(r.deferred.map((g) => g.actors)).toEqual([[2]]);
    // without `alone` the second would share the core of its collator
    const shared = packCores(
      [
        { actors: [1], weight: 1, collator: 0, rank: 3 },
        { actors: [2], weight: 1, collator: 0, rank: 2 },
      ],
      1,
      limits,
    );
    expect(shared.cores.map((c) => c.actors)).toEqual([[1, 2]]);
  });
});

/** `main` loops forever (no yield): it takes every gas it is given, and pays nothing. */
const hogWat = `(module
  (memory (export "memory") 1)
  (func (export "main") (loop $l (br $l)))
  (func (export "call") (param $origin i64) (result i32) (i32.const 0)))`;
/** Pays 1000 per play; `call` replies nothing. */
const payerWat = `(module
  (memory (export "memory") 1)
  (func (export "main"))
  (func (export "call") (param $origin i64) (result i32) (i32.const 0))
  (func (export "payout") (param $now i64) (result i64) (i64.const 1000)))`;

describe("a non-yielding actor that pays nothing runs only on spare capacity (real node, one core)", () => {
  let node: CoreplayNode;
  let hog: ActorId;
  let payer: ActorId;
  const deploy = async (wat: string, name: string) => {
    const up = node.submit({ tag: "Upload", value: { blob: programFromWat(wat, { name }) } });
    await node.produceBlock();
    const { codeHash } = await up;
    const made = node.submit({
      tag: "Create",
      value: { codeHash: codeHash!, args: new Uint8Array(), endowment: 10n ** 18n },
    });
    await node.produceBlock();
    return (await made).actor as ActorId;
  };
  beforeAll(async () => {
    node = await createNode({
      blockTime: "manual",
      validators: 1,
      cores: 1,
      collators: 1,
      coreGas: 20_000_000n,
      chain: { callGas: 5_000_000n },
      engine: createWasmEngine(),
    });
    payer = await deploy(payerWat, "payer");
    hog = await deploy(hogWat, "hog");
  }, 60_000);
  afterAll(async () => {
    await node.stop();
  });

  it("the paying actor gets the core whenever it has work; the hog when it has none", async () => {
    // calls queued for the hog make it the heavier group: weight alone would give it the core
    const queued = [0, 1, 2].map(() =>
      node.submit({ tag: "Call", value: { actor: hog, input: new Uint8Array() } }),
    );
    await node.produceBlock();
    await Promise.all(queued);
    for (let i = 0; i < 3; i++) {
      const call = node.submit({ tag: "Call", value: { actor: payer, input: new Uint8Array() } });
      await node.produceBlock();
      await call;
      const next = await node.produceBlock(); // the call is queued: the payer has work
      expect(next.povs.map((p) => p.actors)).toEqual([[payer]]);
    }
    // nothing else to do: the hog gets the spare core
    const idle = await node.produceBlock();
    expect([...idle.povs, ...idle.dropped].flatMap((p) => p.actors)).toContain(hog);
  }, 60_000);
});
