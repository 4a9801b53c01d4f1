/**
 * Snapshot + hash of a 64 MiB actor image after a call that dirtied one page, against a full re-hash
 * (target ≥ 50× cheaper). Measured both ways the engine can find changed pages: the dirty-page map
 * (`trackWrites`, the default) and comparing memory against the committed pages.
 */
import { actorId } from "../src/codec/ids.ts";
import { createImage } from "../src/vm/image.ts";
import { programFromWat } from "../src/vm/testing.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";
import { type Bench, median, round, timeMs } from "./lib.ts";

const PAGES = 1024;
const GAS = 1n << 40n;

/** call: input[0] = 0 fills all memory with a pattern; 1 writes one byte at input[1..5] (u32 LE). */
const BIG = `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (memory (export "memory") ${PAGES})
  (func (export "main"))
  (func (export "call") (param i64) (result i32) (local $i i32)
    (drop (call $input (i32.const 0) (i32.const 5)))
    (if (i32.eqz (i32.load8_u (i32.const 0)))
      (then
        (block $d (loop $l
          (br_if $d (i32.ge_u (local.get $i) (i32.const ${PAGES * 16384})))
          (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.add (local.get $i) (i32.const 0x9e3779b9)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l))))
      (else (i32.store8 (i32.load offset=1 align=1 (i32.const 0)) (i32.load8_u (i32.const 5)))))
    (i32.const 0)))`;

function measure(trackWrites: boolean): { dirty1: number; full: number } {
  // A 64 MiB image, above the actor cap (64 pages): the bench measures hashing, not the cap.
  const program = createWasmEngine({ trackWrites, maxPages: PAGES }).load(programFromWat(BIG));
  const actor = program.instantiate(actorId(1), program.createImage(new Uint8Array()), {} as never);
  if (!actor.call(null, new Uint8Array([0]), GAS).output.success) throw new Error("fill failed");
  void actor.snapshot().hash;
  const dirty: number[] = [];
  const full: number[] = [];
  for (let k = 0; k < 7; k++) {
    const input = new Uint8Array(6);
    input[0] = 1;
    new DataView(input.buffer).setUint32(1, (k * 7919 * 64) % (PAGES << 16), true);
    input[5] = k + 1;
    dirty.push(
      timeMs(() => {
        actor.call(null, input, GAS);
        void actor.snapshot().hash;
      }),
    );
    const img = actor.snapshot();
    // The same image with no cached page hashes: what hashing without incremental state costs.
    full.push(timeMs(() => void createImage({ ...img, pages: img.pages.slice() }).hash));
  }
  return { dirty1: median(dirty.slice(2)), full: median(full.slice(2)) };
}

const bench: Bench = () => {
  const tracked = measure(true);
  const compared = measure(false);
  const full = Math.min(tracked.full, compared.full);
  return [
    {
      name: "image.dirty1_speedup",
      value: round(full / tracked.dirty1),
      unit: "×",
      target: { min: 50 },
      note: "64 MiB image, 1 dirty page, dirty-page map (default)",
    },
    {
      name: "image.dirty1_speedup_compare",
      value: round(full / compared.dirty1),
      unit: "×",
      note: "same, changed pages found by comparing memory",
    },
    { name: "image.full_rehash_64mib_ms", value: round(full), unit: "ms" },
    { name: "image.dirty1_ms", value: round(tracked.dirty1), unit: "ms", note: "call + commit + hash" },
    { name: "image.dirty1_compare_ms", value: round(compared.dirty1), unit: "ms" },
  ];
};
export default bench;
