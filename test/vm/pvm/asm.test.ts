/** The PVM assembler against the interpreter: what it assembles runs as written. */
import { describe, expect, it } from "vitest";
import { assemble, HOST_CALLS } from "../../../src/vm/pvm/asm.ts";
import { decodeBlob } from "../../../src/vm/pvm/blob.ts";
import { decodeCode } from "../../../src/vm/pvm/decode.ts";
import { PvmError } from "../../../src/vm/pvm/errors.ts";
import { run } from "../../../src/vm/pvm/interpreter.ts";
import { decodeStandard, encodeStandard, RO_START, rwStart } from "../../../src/vm/pvm/layout.ts";
import { HALT_ADDRESS, PvmMachine } from "../../../src/vm/pvm/machine.ts";
import { Access } from "../../../src/vm/pvm/memory.ts";

function exec(src: string, gas = 1_000_000n): PvmMachine {
  const p = decodeStandard(encodeStandard(assemble(src)));
  const code = decodeCode(decodeBlob(p.code));
  const m = new PvmMachine();
  m.memory.setAccess(RO_START, Math.max(1, p.roData.length), Access.Read);
  m.memory.write(RO_START, p.roData);
  m.memory.setAccess(rwStart(p), Math.max(1, p.rwData.length), Access.Write);
  m.memory.write(rwStart(p), p.rwData);
  m.regs[0] = BigInt(HALT_ADDRESS);
  m.pc = code.jumpTable[0] ?? 0;
  m.gas = gas;
  run(code, m);
  return m;
}

describe("PVM assembler", () => {
  it("loops over labels (a fallthrough opens each block) and halts through ra", () => {
    const m = exec(`.entry main
main:
  load_imm a0, 0
  load_imm a1, 100
loop:
  add_64 a0, a0, a1
  add_imm_64 a1, a1, -1
  branch_ne_imm a1, 0, loop
  load_imm_64 a2, 0xfedcba9876543210
  jump_ind ra, 0`);
    expect(m.status).toBe("halt");
    expect(m.regs[7]).toBe(5050n);
    expect(m.regs[9]).toBe(0xfedcba9876543210n);
  });

  it("data labels are addresses; .ro is read-only, .rw writable", () => {
    const m = exec(`.ro
msg: .string "hi"
k: .u32 0x01020304
.rw
v: .u64 7, msg
.text
.entry main
main:
  load_u16 a0, msg
  load_u32 a1, k
  load_u64 a2, v+8
  load_u64 a3, v
  add_imm_64 a3, a3, 1
  store_u64 a3, v
  load_u64 a4, v
  store_u8 a4, msg`);
    expect(m.regs[7]).toBe(0x6968n);
    expect(m.regs[8]).toBe(0x01020304n);
    expect(m.regs[9]).toBe(BigInt(RO_START));
    expect(m.regs[11]).toBe(8n);
    expect(m.status).toBe("panic"); // the store to read-only data
  });

  it("ecalli takes host function names, in src/vm/abi.ts order", () => {
    const m = exec(".entry main\nmain:\n  ecalli log");
    expect(m.status).toBe("host");
    expect(HOST_CALLS[m.hostCall]).toBe("log");
  });

  it("names the line of an error", () => {
    expect(() => assemble(".entry main\nmain:\n  add_64 a0, a1")).toThrow(/line 3: expected 3 operands/);
    expect(() => assemble("main:\n  frobnicate a0")).toThrow(PvmError);
    expect(() => assemble("main:\n  jump nowhere")).toThrow(/unknown code label nowhere/);
    expect(() => assemble("main:\n  load_imm r13, 1")).toThrow(/expected a register/);
  });
});
