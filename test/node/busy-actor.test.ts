/**
 * Issue 18: a busy `main` (looping on `checkpoint()`) spends each Service down to CHECKPOINT_GAS, so
 * calls played after it would share the 2·10⁶ gas it leaves. The collator puts calls first: on a real
 * node every queued call of a busy actor completes in the play that runs it, and `main` still runs.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/build/index.ts";
import type { ActorId } from "../../src/codec/ids.ts";
import { callCount, callsBeforeServices, keepFirstCalls } from "../../src/node/agenda.ts";
import { decodeCallOutput } from "../../src/node/api.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { deployProgram } from "./programs.ts";

const CALLS = 3;
/** Rounds of work per call: well above what a checkpoint leaves (2·10⁶ gas), well below callGas. */
const ROUNDS = 200_000;

const u64 = (hex: string) => Buffer.from(hex.slice(2), "hex").readBigUInt64LE(0);
const workInput = (rounds: number) => {
  const b = new Uint8Array(5);
  new DataView(b.buffer).setUint32(1, rounds, true);
  return b;
};

describe("a busy actor's queued calls are not starved by its main (issue 18)", () => {
  let node: CoreplayNode;
  let actor: ActorId;
  beforeAll(async () => {
    const { blob } = await buildProgram(
      fileURLToPath(new URL("fixtures/assembly/busy.as.ts", import.meta.url)),
    );
    node = await createNode({ blockTime: "manual", validators: 1, cores: 1, engine: createWasmEngine() });
    actor = await deployProgram(node, blob);
    await node.produceBlock(); // main starts and checkpoints
    await node.produceBlock();
  }, 120_000);
  afterAll(async () => {
    await node.stop();
  });

  it("runs every queued call to completion in one play, and main still runs in it", async () => {
    expect(node.collators.status(actor)).toBe("suspended");
    const submitted = Array.from({ length: CALLS }, () =>
      node.submit({ tag: "Call", value: { actor, input: workInput(ROUNDS) } }),
    );
    await node.produceBlock(); // the calls are queued
    const txs = await Promise.all(submitted);
    const before = node.chain.actor(actor)!.sequence;
    const block = await node.produceBlock(); // one play runs them
    expect(block.povs.filter((p) => p.actors.includes(actor))).toHaveLength(1);
    expect(node.chain.actor(actor)!.sequence).toBe(before + 1n);
    const counts: bigint[] = [];
    for (const tx of txs) {
      const receipt = node.chain.receipt(tx.hash);
      expect(receipt, "every call has its receipt after one play").toBeDefined();
      expect(receipt!.block).toBe(block.number);
      const out = decodeCallOutput(receipt!.output);
      expect(out.error ?? "ok").toBe("ok");
      counts.push(u64(out.output));
    }
    // the calls ran before main's Service in that play (they all see the same count), and main ran after
    expect(new Set(counts).size).toBe(1);
    expect(node.chain.actor(actor)!.calls.len).toBe(0);
    const q = node.submit({ tag: "Call", value: { actor, input: workInput(0) } });
    await node.produceBlock();
    const probe = await q;
    await node.produceBlock();
    const last = decodeCallOutput(node.chain.receipt(probe.hash)!.output);
    expect(last.ok).toBe(true);
    expect(u64(last.output)).toBeGreaterThan(counts[0]!);
    expect(node.collators.status(actor)).toBe("suspended");
  });
});

describe("agenda order (agenda.ts)", () => {
  const inputs = (actor: ActorId, max: number) =>
    Array.from({ length: Math.min(max, actor) }, (_, i) => Uint8Array.of(actor, i));
  it("puts every actor's calls, in queue order, before one Service per actor, within the item budget", () => {
    const agenda = callsBeforeServices([1, 2, 3] as ActorId[], inputs, 7);
    expect(
      agenda.map((i) => (i.entry.tag === "Call" ? `c${[...i.entry.value.input]}` : `s${i.actor}`)),
    ).toEqual(["c1,0", "c2,0", "c2,1", "c3,0", "s1", "s2", "s3"]);
    expect(callCount(agenda)).toBe(4);
  });
  it("drops calls from the back, keeping each actor's a prefix of its queue and every Service", () => {
    const agenda = callsBeforeServices([2, 3] as ActorId[], inputs, 100);
    const kept = keepFirstCalls(agenda, 3);
    expect(callCount(kept)).toBe(3);
    expect(kept.filter((i) => i.entry.tag === "Service").map((i) => i.actor)).toEqual([2, 3]);
    expect(kept.filter((i) => i.actor === 3 && i.entry.tag === "Call")).toHaveLength(1);
  });
});
