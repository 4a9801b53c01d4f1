import * as anan from "@fluffylabs/anan-as/release";
import { assemble } from "/work/wt/pvm/src/vm/pvm/asm.ts";
const p = assemble(`.entry main
main:
  load_imm a0, 0
  load_imm a1, 2
  load_imm s0, 20000
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
  jump_ind ra, 0`);
const regs = new Array(13 * 8).fill(0);
const halt = 0xffff0000n;
for (let i = 0; i < 8; i++) regs[i] = Number((halt >> BigInt(8 * i)) & 0xffn);
const t = performance.now();
anan.resetGenericWithMemory(Array.from(p.code), regs, new Uint8Array(0), new Uint8Array(0), 10n ** 12n, false);
while (anan.nSteps(1_000_000)) {}
const ms = performance.now() - t;
const r = anan.getRegisters();
const used = 10n ** 12n - anan.getGasLeft();
console.log("status", anan.getStatus(), "pc", anan.getProgramCounter(), "a0", Buffer.from(r).readBigUInt64LE(56), "gas", used, ms.toFixed(0), "ms", (Number(used) / ms / 1000).toFixed(1), "MIPS");
