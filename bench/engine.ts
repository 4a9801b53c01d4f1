/**
 * Instrumented (cooperative and preemptible) vs plain Wasm on compute kernels, run side by side
 * (DESIGN §6 targets: cooperative ≤ 1.5×, stretch 1.25×; preemptible ≤ 1.5×, issue 18 §3), and a real
 * actor's transfers (examples/ledger, bench/ledger-kernel.ts) reported beside them.
 */
import { setFlagsFromString } from "node:v8";
import { actorId } from "../src/codec/ids.ts";
import { programFromWasm, wasmFromWat } from "../src/vm/testing.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";
import { KERNEL_RUNS, KERNELS } from "./kernels.wat.ts";
import { LEDGER_TRANSFERS, ledgerKernel } from "./ledger-kernel.ts";
import { type Bench, type Figure, round, sideBySide } from "./lib.ts";

const GAS = (1n << 62n) - 1n;
/** Both sides run the same Binaryen -O2 output, as a release toolchain would produce it. */
const CODE = wasmFromWat(KERNELS, { optimize: true });

// Compile every Wasm function with the optimising tier up front. With V8's default dynamic tiering a
// kernel's first calls run in the baseline compiler until a background re-compile lands, which on a
// loaded machine swamps the figure being measured. Plain and instrumented modules are treated alike.
setFlagsFromString("--no-wasm-dynamic-tiering");

function inputFor(id: number, n: number): Uint8Array {
  const b = new Uint8Array(5);
  b[0] = id;
  new DataView(b.buffer).setUint32(1, n, true);
  return b;
}

/** The kernel module with no instrumentation at all; imports are minimal stubs. */
function plainRunner(): (input: Uint8Array) => number {
  const module = new WebAssembly.Module(CODE as Uint8Array<ArrayBuffer>);
  let current: Uint8Array = new Uint8Array();
  let out = 0;
  let memory: WebAssembly.Memory;
  const inst = new WebAssembly.Instance(module, {
    coreplay: {
      input: (ptr: number, len: number) => {
        new Uint8Array(memory.buffer).set(current.subarray(0, len), ptr);
        return current.byteLength;
      },
      reply: (ptr: number) => {
        out = new DataView(memory.buffer).getUint32(ptr, true);
      },
    },
  });
  memory = inst.exports.memory as WebAssembly.Memory;
  const call = inst.exports.call as (o: bigint) => number;
  return (input) => {
    current = input;
    call(-1n);
    return out;
  };
}

function engineRunner(preemptible: boolean, trackWrites = true): (input: Uint8Array) => number {
  // The kernels declare 200 pages, above the actor cap (64): a bench of the instrumentation, not of the cap.
  const program = createWasmEngine({ trackWrites, maxPages: 256 }).load(
    programFromWasm(CODE, { preemptible }),
  );
  const actor = program.instantiate(actorId(1), program.createImage(new Uint8Array()), {} as never);
  return (input) => {
    const r = actor.call(null, input, GAS);
    if (!r.output.success) throw new Error(`kernel failed: ${JSON.stringify(r.output.value)}`);
    return new DataView(r.output.value.buffer, r.output.value.byteOffset).getUint32(0, true);
  };
}

const bench: Bench = async () => {
  const plain = plainRunner();
  const coop = engineRunner(false);
  const pre = engineRunner(true);
  const figures: Figure[] = [];
  let worstCoop = 0;
  let worstPre = 0;
  for (const k of KERNEL_RUNS) {
    const input = inputFor(k.id, k.n);
    const expected = plain(input);
    if (coop(input) !== expected || pre(input) !== expected) throw new Error(`${k.name}: results differ`);
    const c = sideBySide(
      () => coop(input),
      () => plain(input),
    );
    const p = sideBySide(
      () => pre(input),
      () => plain(input),
    );
    const rc = c.a / c.b;
    const rp = p.a / p.b;
    worstCoop = Math.max(worstCoop, rc);
    worstPre = Math.max(worstPre, rp);
    figures.push(
      { name: `engine.${k.name}.plain_ms`, value: round(c.b), unit: "ms" },
      { name: `engine.${k.name}.instrumented_over_plain`, value: round(rc), unit: "×", target: { max: 1.5 } },
      { name: `engine.${k.name}.preemptible_over_plain`, value: round(rp), unit: "×", target: { max: 1.5 } },
    );
  }
  // A real actor beside the kernels: examples/ledger, one call per transfer (bench/ledger-kernel.ts).
  // Its ratio also holds the engine's per-call work, so it is reported apart from the worst kernel.
  const ledger = await ledgerKernel();
  const lc = sideBySide(ledger.coop, ledger.plain);
  const lp = sideBySide(ledger.pre, ledger.plain);
  figures.push(
    { name: "engine.ledger.plain_ms", value: round(lc.b), unit: "ms", note: `${LEDGER_TRANSFERS} transfers` },
    {
      name: "engine.ledger.instrumented_over_plain",
      value: round(lc.a / lc.b),
      unit: "×",
      note: "per call: instrumentation + the engine's entry, reply and dirty pages",
    },
    { name: "engine.ledger.preemptible_over_plain", value: round(lp.a / lp.b), unit: "×" },
  );
  figures.unshift(
    {
      name: "engine.instrumented_over_plain",
      value: round(worstCoop),
      unit: "×",
      target: { max: 1.5, stretch: 1.25 },
      note: `worst of ${KERNEL_RUNS.map((k) => k.name).join(", ")} (cooperative, median of 5)`,
    },
    {
      name: "engine.preemptible_over_plain",
      value: round(worstPre),
      unit: "×",
      target: { max: 1.5 },
      note: "worst kernel, preemptible",
    },
  );
  return figures;
};
export default bench;
