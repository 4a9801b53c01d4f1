/**
 * `node.calls_per_s`: user calls canonicalised per second through a whole in-process node — signed
 * transactions, collators batching many calls per PoV on every core, validation in the worker pool,
 * canonicalisation — from the first submit to the last receipt.
 */

import type { Hash } from "../src/codec/ids.ts";
import { createNode } from "../src/node/node.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";
import { deployCounters } from "../test/node/programs.ts";
import { type Bench, round } from "./lib.ts";

const ACTORS = 8;
const CALLS = 8_000;

const bench: Bench = async () => {
  const node = await createNode({
    blockTime: "manual",
    cores: 4,
    validators: 2,
    backers: 1,
    engine: createWasmEngine(),
  });
  try {
    const actors = await deployCounters(node, ACTORS);

    const t0 = performance.now();
    const calls = Array.from({ length: CALLS }, (_, i) =>
      node.submit({ tag: "Call", value: { actor: actors[i % ACTORS]!, input: Uint8Array.of(1) } }),
    );
    const blockMs: number[] = [];
    const timed = async () => {
      const b0 = performance.now();
      await node.produceBlock();
      blockMs.push(Math.round(performance.now() - b0));
    };
    await timed(); // includes the transactions
    const ids = (await Promise.all(calls)).map((r) => r.hash as Hash);
    let blocks = 1;
    while (ids.some((id) => !node.chain.receipt(id)) && blocks < 200) {
      await timed();
      blocks++;
    }
    const ms = performance.now() - t0;
    const done = ids.filter((id) => node.chain.receipt(id)).length;
    return [
      {
        name: "node.calls_per_s",
        value: round((done / ms) * 1000),
        unit: "calls/s",
        target: { min: 10_000 },
        note: `${done}/${CALLS} calls on ${ACTORS} actors in ${blocks} blocks (${blockMs.join(" + ")} ms), ${Math.round(ms)} ms`,
      },
    ];
  } finally {
    await node.stop();
  }
};
export default bench;
