/**
 * The fast path against the interpreter (the reference): every vector, and the example actors preempted
 * at many gas budgets, give the same status, pc, gas, registers and memory.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../src/vm/pvm/asm.ts";
import { decodeBlob } from "../../../src/vm/pvm/blob.ts";
import { decodeCode } from "../../../src/vm/pvm/decode.ts";
import { runFast } from "../../../src/vm/pvm/fastpath.ts";
import { run } from "../../../src/vm/pvm/interpreter.ts";
import {
  ARGS_START,
  decodeStandard,
  encodeStandard,
  memoryRuns,
  RO_START,
  rwStart,
  STACK_TOP,
} from "../../../src/vm/pvm/layout.ts";
import { HALT_ADDRESS, PvmMachine } from "../../../src/vm/pvm/machine.ts";
import { PVM_PAGE } from "../../../src/vm/pvm/memory.ts";
import { parseVector, runVector } from "../../../src/vm/pvm/vectors.ts";

const DIR = join(import.meta.dirname, "vectors", "programs");

describe("PVM fast path = interpreter", () => {
  it("on all 311 vectors", () => {
    for (const f of readdirSync(DIR).filter((f) => f.endsWith(".json"))) {
      const v = parseVector(readFileSync(join(DIR, f), "utf8"));
      const { mismatches: _, ...slow } = runVector(v, run);
      const { mismatches: __, ...fast } = runVector(v, runFast);
      expect(fast, v.name).toEqual(slow);
    }
  });

  it("stops where the interpreter stops at every gas budget, resuming in the middle of blocks", () => {
    const src = readFileSync(join(import.meta.dirname, "../../../examples/pvm-primes/primes.pvmasm"), "utf8");
    const p = decodeStandard(encodeStandard(assemble(src)));
    const code = decodeCode(decodeBlob(p.code));
    const machine = () => {
      const m = new PvmMachine();
      for (const r of memoryRuns(p, 4)) m.memory.setAccess(r.first * PVM_PAGE, r.count * PVM_PAGE, r.access);
      m.memory.write(rwStart(p), p.rwData);
      m.memory.write(ARGS_START, new Uint8Array([0xd0, 0x07, 0, 0])); // bound 2000
      m.regs.set([BigInt(HALT_ADDRESS), BigInt(STACK_TOP), 0n, 0n, 0n, 0n, 0n, BigInt(ARGS_START), 4n]);
      m.pc = code.jumpTable[0]!;
      return m;
    };
    for (const budget of [1n, 2n, 3n, 7n, 13n, 100n, 997n, 5_000n]) {
      const a = machine();
      const b = machine();
      for (let step = 0; step < 400; step++) {
        a.gas = budget;
        b.gas = budget;
        run(code, a);
        runFast(code, b);
        expect([b.status, b.pc, b.gas, [...b.regs]]).toEqual([a.status, a.pc, a.gas, [...a.regs]]);
        if (a.status !== "oog") break;
      }
      expect(b.memory.read(rwStart(p), 48)).toEqual(a.memory.read(rwStart(p), 48));
    }
    expect(RO_START).toBe(0x10000);
  });
});
