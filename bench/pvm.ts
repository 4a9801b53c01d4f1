/**
 * The PVM engine (DESIGN §12) on one compute kernel, a prime count by trial division in registers, run
 * side by side: our interpreter, our fast path, @fluffylabs/anan-as (a peer PVM in AssemblyScript→Wasm,
 * a dev dependency for this bench only) on the same program bytes, and the same kernel as plain Wasm.
 * Every side must compute the same count with the same instruction count (the PVMs) before it is timed.
 * anan-as runs through `nSteps` (its `runProgram` was slower still when tried).
 */
import * as anan from "@fluffylabs/anan-as/release";
import { assemble } from "../src/vm/pvm/asm.ts";
import { decodeBlob } from "../src/vm/pvm/blob.ts";
import { decodeCode } from "../src/vm/pvm/decode.ts";
import { runFast } from "../src/vm/pvm/fastpath.ts";
import { run as interpret } from "../src/vm/pvm/interpreter.ts";
import { HALT_ADDRESS, PvmMachine } from "../src/vm/pvm/machine.ts";
import { wasmFromWat } from "../src/vm/testing.ts";
import { type Bench, round, sideBySide } from "./lib.ts";

const BOUND = 20_000;
const GAS = 10n ** 12n;

/** a0 = the number of primes below s0 (set by the caller in r5). */
export const PRIMES_PVMASM = `.entry main
main:
  load_imm a0, 0
  load_imm a1, 2
outer:
  branch_ge_u a1, s0, finish
  load_imm t0, 2
inner:
  mul_64 t1, t0, t0
  branch_lt_u a1, t1, prime
  rem_u_64 t2, a1, t0
  branch_eq_imm t2, 0, composite
  add_imm_64 t0, t0, 1
  jump inner
prime:
  add_imm_64 a0, a0, 1
composite:
  add_imm_64 a1, a1, 1
  jump outer
finish:
  jump_ind ra, 0`;

/** The same loop nest in Wasm (i64, like the PVM's registers). */
const PRIMES_WAT = `(module
  (func (export "count") (param $n i64) (result i64) (local $c i64) (local $k i64) (local $d i64)
    (local.set $k (i64.const 2))
    (block $done (loop $outer
      (br_if $done (i64.ge_u (local.get $k) (local.get $n)))
      (local.set $d (i64.const 2))
      (block $composite (block $prime (loop $inner
        (br_if $prime (i64.lt_u (local.get $k) (i64.mul (local.get $d) (local.get $d))))
        (br_if $composite (i64.eqz (i64.rem_u (local.get $k) (local.get $d))))
        (local.set $d (i64.add (local.get $d) (i64.const 1)))
        (br $inner)))
        (local.set $c (i64.add (local.get $c) (i64.const 1))))
      (local.set $k (i64.add (local.get $k) (i64.const 1)))
      (br $outer)))
    (local.get $c)))`;

const blob = assemble(PRIMES_PVMASM).code;
const code = decodeCode(decodeBlob(blob));

function ours(runner: typeof runFast): () => { count: bigint; instructions: number } {
  return () => {
    const m = new PvmMachine();
    m.regs[0] = BigInt(HALT_ADDRESS);
    m.regs[5] = BigInt(BOUND);
    m.gas = GAS;
    runner(code, m);
    if (m.status !== "halt") throw new Error(`kernel stopped with ${m.status}`);
    return { count: m.regs[7]!, instructions: m.executed };
  };
}

function peer(): { count: bigint; instructions: number } {
  const regs = new Array<number>(13 * 8).fill(0);
  const put = (i: number, v: bigint) => {
    for (let b = 0; b < 8; b++) regs[8 * i + b] = Number((v >> BigInt(8 * b)) & 0xffn);
  };
  put(0, BigInt(HALT_ADDRESS));
  put(5, BigInt(BOUND));
  anan.resetGenericWithMemory(Array.from(blob), regs, new Uint8Array(0), new Uint8Array(0), GAS, false);
  while (anan.nSteps(1_000_000)) {}
  const r = anan.getRegisters();
  return {
    count: Buffer.from(r.buffer, r.byteOffset, r.byteLength).readBigUInt64LE(7 * 8),
    instructions: Number(GAS - anan.getGasLeft()),
  };
}

const bench: Bench = () => {
  const interp = ours(interpret);
  const fast = ours(runFast);
  const a = interp();
  const b = fast();
  const c = peer();
  const wasm = new WebAssembly.Instance(
    new WebAssembly.Module(wasmFromWat(PRIMES_WAT, { optimize: true }) as Uint8Array<ArrayBuffer>),
  ).exports.count as (n: bigint) => bigint;
  const d = wasm(BigInt(BOUND));
  if (
    a.count !== b.count ||
    a.count !== c.count ||
    a.count !== d ||
    a.instructions !== b.instructions ||
    a.instructions !== c.instructions
  )
    throw new Error(
      `sides disagree: ${JSON.stringify({ a, b, c, d }, (_, v) => (typeof v === "bigint" ? `${v}` : v))}`,
    );
  const n = a.instructions;
  const vsPeer = sideBySide(fast, peer, 7);
  const vsInterp = sideBySide(interp, peer, 5);
  const vsWasm = sideBySide(fast, () => wasm(BigInt(BOUND)), 15);
  const mips = (ms: number) => round(n / ms / 1000);
  const note = `primes below ${BOUND}: ${n} PVM instructions; medians side by side on a shared machine (noisy)`;
  return [
    { name: "pvm.mips_interp", value: mips(vsInterp.a), unit: "MIPS", note },
    { name: "pvm.mips", value: mips(vsPeer.a), unit: "MIPS", note: "fast path (compiled basic blocks)" },
    {
      name: "pvm.anan_as_mips",
      value: mips(vsPeer.b),
      unit: "MIPS",
      note: "@fluffylabs/anan-as 1.2.0 release build",
    },
    {
      name: "pvm.speed_over_anan_as",
      value: round(vsPeer.b / vsPeer.a),
      unit: "×",
      target: { min: 1 },
      note: `fast path; the interpreter: ${round(vsInterp.b / vsInterp.a)}×`,
    },
    {
      name: "pvm.preemptible_over_wasm_plain",
      value: round(vsWasm.a / vsWasm.b),
      unit: "×",
      note: "PVM fast path (preemptible at every instruction) over the same kernel as plain, uninstrumented Wasm",
    },
  ];
};

export default bench;
