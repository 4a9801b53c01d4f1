/**
 * Programs whose frames keep many values on the operand stack (issue 12 §2), run at many depths: shared
 * by test/vm/stack-depth.test.ts on the main thread and by stack-worker.ts in a worker.
 */
import binaryen from "binaryen";
import { wrapProgram } from "../../src/build/blob.ts";
import { actorId } from "../../src/codec/ids.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { fakeHost } from "./fixtures.ts";

/**
 * The reproduction: `$r(n) = n == 0 ? 7 : load(a0) + (load(a1) + (… + $r(n-1)))` with `k`
 * nested adds of loads around the recursive call; `call` replies `$r(input & 4095)`.
 */
export function nestedAddsProgram(k: number, preemptible = false): Uint8Array {
  let e = "(call $r (i32.sub (local.get $n) (i32.const 1)))";
  for (let i = 0; i < k; i++) e = `(i32.add (i32.load offset=${(i % 64) * 4} (i32.const 0)) ${e})`;
  const mod = binaryen.parseText(`(module
    (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
    (import "coreplay" "reply" (func $reply (param i32 i32)))
    (memory (export "memory") 1)
    (func $r (param $n i32) (result i32)
      (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 7)) (else ${e})))
    (func (export "main"))
    (func (export "call") (param i64) (result i32)
      (drop (call $input (i32.const 0) (i32.const 4)))
      (i32.store (i32.const 0) (call $r (i32.and (i32.load (i32.const 0)) (i32.const 4095))))
      (call $reply (i32.const 0) (i32.const 4))
      (i32.const 0)))`);
  try {
    return wrapProgram(mod.emitBinary(), { name: `nested-${k}`, preemptible, build: "wat" });
  } finally {
    mod.dispose();
  }
}

export interface DepthResult {
  n: number;
  output: string;
  gasUsed: string;
}

/** Calls the program once per depth, on a fresh actor each time; outputs as strings (post-able). */
export function runDepths(blob: Uint8Array, depths: number[]): DepthResult[] {
  const program = createWasmEngine().load(blob);
  return depths.map((n) => {
    const a = program.instantiate(actorId(1), program.createImage(new Uint8Array()), fakeHost());
    const r = a.call(null, new Uint8Array(new Uint32Array([n]).buffer), 50_000_000n);
    const output = r.output.success
      ? `Ok ${Buffer.from(r.output.value).toString("hex")}`
      : `${r.output.value.tag} ${"value" in r.output.value ? String(r.output.value.value) : ""}`;
    return { n, output, gasUsed: String(r.gasUsed) };
  });
}
