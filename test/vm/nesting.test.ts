import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import type { ActorInstance } from "../../src/vm/engine.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { fakeHost } from "./fixtures.ts";

const MAX_DEPTH = 300;
const GAS = 1_000_000_000n;

/**
 * `call` input: [k u32, n u32]. Recurses k levels; at the bottom, with n > 0 it asks actor 2 (via
 * call_actor) to recurse n levels, else returns. Replies the call_actor status (or 0).
 */
const NESTER = `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (import "coreplay" "call_actor" (func $call_actor (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $down (param $k i32) (result i32)
    (if (result i32) (i32.eqz (local.get $k))
      (then (if (result i32) (i32.eqz (i32.load (i32.const 4))) (then (i32.const 0))
        (else (i32.store (i32.const 0) (i32.load (i32.const 4)))
              (i32.store (i32.const 4) (i32.const 0))
              (call $call_actor (i32.const 2) (i32.const 0) (i32.const 8)))))
      (else (i32.add (i32.const 0) (call $down (i32.sub (local.get $k) (i32.const 1)))))))
  (func (export "main"))
  (func (export "call") (param i64) (result i32)
    (drop (call $input (i32.const 0) (i32.const 8)))
    (i32.store (i32.const 16) (call $down (i32.load (i32.const 0))))
    (call $reply (i32.const 16) (i32.const 4))
    (i32.const 0)))`;

function u32pair(k: number, n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, k, true);
  new DataView(b.buffer).setUint32(4, n, true);
  return b;
}

describe("engine: actors calling each other share one call-depth budget", () => {
  const engine = createWasmEngine({ maxCallDepth: MAX_DEPTH });
  const program = engine.load(programFromWat(NESTER));
  let callee: ActorInstance;
  const caller = program.instantiate(
    actorId(1),
    program.createImage(new Uint8Array()),
    fakeHost(1, {
      callActor: (_to, data, gas) => {
        const r = callee.call(actorId(1), data, gas);
        return { output: r.output, gasUsed: r.gasUsed };
      },
    }),
  );
  callee = program.instantiate(actorId(2), program.createImage(new Uint8Array()), fakeHost(2));
  const status = (k: number, n: number) => {
    const out = caller.call(null, u32pair(k, n), GAS).output;
    if (!out.success) return `caller failed: ${out.value.tag}`;
    return new DataView(out.value.buffer, out.value.byteOffset).getUint32(0, true);
  };

  it("lets a callee recurse deeply when its caller is shallow", () => {
    expect(callee.call(null, u32pair(MAX_DEPTH - 20, 0), GAS).output.success).toBe(true);
    expect(status(10, MAX_DEPTH - 40)).toBe(0);
  });

  it("makes a deep caller's callee hit the limit (status Trap), the same way every time", () => {
    const half = Math.floor(MAX_DEPTH / 2);
    expect(status(half, half - 20)).toBe(0);
    expect(status(half, MAX_DEPTH - 40)).toBe(3); // CALL_STATUS.Trap: the shared budget ran out
    expect(status(half, MAX_DEPTH - 40)).toBe(3);
    // The failed callee rolled back and both instances keep working.
    expect(status(10, 10)).toBe(0);
  });
});
