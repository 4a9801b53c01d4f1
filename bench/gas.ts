/**
 * Gas calibration (issue 13 §3, as Substrate benchmarks weights): how many gas units the instrumented
 * Wasm engine executes per second on this machine, for kernels that stress different costs, so that a
 * full core's budget (`coreGas`) runs in at most half the block time. The slowest kernel (fewest gas
 * per second) sets the bound: `coreGas ≤ rate × blockTime / 2`.
 */

import { DEFAULT_CHAIN_CONFIG } from "../src/chain/config.ts";
import type { ActorId } from "../src/codec/ids.ts";
import { noHostEnv } from "../src/vm/engine.ts";
import { programFromWat } from "../src/vm/testing.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";
import { type Figure, median } from "./lib.ts";

/** `main` never yields: every kernel runs until its gas is gone. */
const KERNELS: Record<string, string> = {
  // branch-only loop: the cheapest instructions, the most metering per unit of work
  loop: `(module (memory (export "memory") 1)
    (func (export "main") (local $i i32) (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
    (func (export "call") (param i64) (result i32) (i32.const 0)))`,
  // loads and stores over 64 KiB (dirty-page tracking on every store)
  memory: `(module (memory (export "memory") 1)
    (func (export "main") (local $i i32)
      (loop $l
        (i32.store (local.get $i) (i32.add (i32.load (local.get $i)) (i32.const 1)))
        (local.set $i (i32.and (i32.add (local.get $i) (i32.const 4)) (i32.const 65532)))
        (br $l)))
    (func (export "call") (param i64) (result i32) (i32.const 0)))`,
  // calls (call-depth accounting and stack checks per call)
  calls: `(module (memory (export "memory") 1)
    (func $f (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 1)))
    (func (export "main") (local $i i32) (loop $l (local.set $i (call $f (local.get $i))) (br $l)))
    (func (export "call") (param i64) (result i32) (i32.const 0)))`,
};

const GAS = 200_000_000n;

export default async function gas(): Promise<Figure[]> {
  const engine = createWasmEngine();
  const figures: Figure[] = [];
  let slowest = Number.POSITIVE_INFINITY;
  for (const [name, wat] of Object.entries(KERNELS)) {
    const program = engine.load(programFromWat(wat, { name }));
    const image = program.createImage(new Uint8Array());
    const rates: number[] = [];
    for (let run = 0; run < 7; run++) {
      const instance = program.instantiate(0 as ActorId, image, noHostEnv(0 as ActorId, 1));
      const t0 = performance.now();
      const r = instance.service(GAS);
      const ms = performance.now() - t0;
      if (r.status !== "out-of-gas") throw new Error(`kernel ${name} ended with ${r.status}`);
      if (run >= 2) rates.push(Number(GAS) / (ms / 1000)); // two warm-ups (JIT tiers)
    }
    const rate = median(rates);
    slowest = Math.min(slowest, rate);
    figures.push({
      name: `gas.per_second_${name}`,
      value: Math.round(rate / 1e6),
      unit: "Mgas/s",
      note: "median of 5",
    });
  }
  const coreMs = (Number(DEFAULT_CHAIN_CONFIG.coreGas) / slowest) * 1000;
  figures.push({
    name: "gas.core_budget_ms",
    value: Math.round(coreMs),
    unit: "ms",
    // a full core's budget within half of the dev node's default block time (1000 ms)
    target: { max: 500 },
    note: `coreGas ${DEFAULT_CHAIN_CONFIG.coreGas} at the slowest kernel's rate`,
  });
  return figures;
}
