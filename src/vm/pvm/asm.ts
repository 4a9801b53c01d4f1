/**
 * The PVM assembler: `.pvmasm` text → a standard program (layout.ts). Labels, data sections and the
 * jump table; operands in the order docs/abi.md ("PVM assembly") gives. Pure; errors name the line.
 *
 * @example
 * const program = assemble(".entry main, call\nmain:\n  ecalli yield\n  jump main\ncall:\n  jump_ind ra, 0");
 */
import { HOST_CALLS } from "./abi.ts";
import { encodeBlob } from "./blob.ts";
import { PvmError } from "./errors.ts";
import { RO_START, rwStart, type StandardProgram } from "./layout.ts";
import { ARGS, Args, OPCODES, TERMINATORS } from "./opcodes.ts";

export { HOST_CALLS } from "./abi.ts";

/** polkavm's register names (RISC-V roles) beside r0–r12. */
const REG_ALIASES: Record<string, number> = {
  ra: 0,
  sp: 1,
  t0: 2,
  t1: 3,
  t2: 4,
  s0: 5,
  s1: 6,
  a0: 7,
  a1: 8,
  a2: 9,
  a3: 10,
  a4: 11,
  a5: 12,
};

interface Inst {
  op: number;
  operands: string[];
  line: number;
}

type Section = "text" | "ro" | "rw";

function fail(line: number, details: string): PvmError {
  return new PvmError("PVM assembly error", { code: "PVM_BAD_ASM", details: `line ${line}: ${details}` });
}

/** Minimal little-endian bytes whose sign extension to 64 bits is `v` (taken mod 2^32 as signed). */
function immBytes(v: number, line: number): number[] {
  if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 32)
    throw fail(line, `immediate ${v} does not fit 32 bits`);
  const s = v | 0;
  let l = 0;
  while (s !== 0 && !(s >= -(2 ** (8 * l - 1)) && s < 2 ** (8 * l - 1))) l++;
  const out: number[] = [];
  for (let i = 0; i < l; i++) out.push((s >>> (8 * i)) & 0xff);
  return out;
}

function splitOperands(text: string): string[] {
  return text.trim() === "" ? [] : text.split(",").map((s) => s.trim());
}

function parseString(text: string, line: number): Uint8Array {
  try {
    return new TextEncoder().encode(JSON.parse(text) as string);
  } catch {
    throw fail(line, `bad string ${text}`);
  }
}

export function assemble(source: string): StandardProgram {
  const insts: Inst[] = [];
  /** Code labels → index into insts (the instruction that follows). */
  const codeLabels = new Map<string, number>();
  const dataLabels = new Map<string, { section: "ro" | "rw"; offset: number }>();
  const ro: number[] = [];
  const rw: number[] = [];
  let entries: string[] = [];
  let heapPages = 0;
  let stackSize = 4096;
  let section: Section = "text";
  const dataFixups: { section: "ro" | "rw"; at: number; size: number; expr: string; line: number }[] = [];

  const lines = source.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = n + 1;
    let text = lines[n]!.replace(/(^|\s)[;#].*$/, "").trim();
    const label = /^([A-Za-z_.$][\w.$]*):/.exec(text);
    if (label) {
      const name = label[1]!;
      if (codeLabels.has(name) || dataLabels.has(name)) throw fail(line, `label ${name} defined twice`);
      if (section === "text") {
        // A jump may only land on a basic block's start: end the block before every code label.
        const last = insts[insts.length - 1];
        if (last !== undefined && !TERMINATORS.has(last.op)) insts.push({ op: 1, operands: [], line });
        codeLabels.set(name, insts.length);
      } else dataLabels.set(name, { section, offset: (section === "ro" ? ro : rw).length });
      text = text.slice(label[0].length).trim();
    }
    if (text === "") continue;
    const [head, ...rest] = text.split(/\s+/);
    const args = rest.join(" ");
    if (head!.startsWith(".")) {
      const d = head!;
      if (d === ".text" || d === ".ro" || d === ".rw") section = d.slice(1) as Section;
      else if (d === ".entry") entries = splitOperands(args);
      else if (d === ".heap") heapPages = Number(args);
      else if (d === ".stack") stackSize = Number(args);
      else if (section === "text") throw fail(line, `${d} outside a data section (.ro / .rw)`);
      else {
        const out = section === "ro" ? ro : rw;
        const sizes: Record<string, number> = { ".u8": 1, ".u16": 2, ".u32": 4, ".u64": 8 };
        if (d in sizes) {
          for (const expr of splitOperands(args)) {
            dataFixups.push({ section, at: out.length, size: sizes[d]!, expr, line });
            for (let i = 0; i < sizes[d]!; i++) out.push(0);
          }
        } else if (d === ".string") out.push(...parseString(args, line));
        else if (d === ".zero") for (let i = 0; i < Number(args); i++) out.push(0);
        else throw fail(line, `unknown directive ${d}`);
      }
      continue;
    }
    if (section !== "text") throw fail(line, `instruction ${head} in a data section`);
    const op = OPCODES.get(head!);
    if (op === undefined) throw fail(line, `unknown instruction ${head}`);
    insts.push({ op, operands: splitOperands(args), line });
  }
  if (!Number.isInteger(heapPages) || heapPages < 0 || heapPages > 0xffff)
    throw fail(0, ".heap must be 0..65535 pages");
  if (!Number.isInteger(stackSize) || stackSize < 0 || stackSize >= 2 ** 24)
    throw fail(0, ".stack must be below 16 MiB");

  const roStart = RO_START;
  const rwBase = rwStart({ roData: new Uint8Array(ro.length) });
  const dataAddress = (name: string): number | undefined => {
    const d = dataLabels.get(name);
    return d === undefined ? undefined : (d.section === "ro" ? roStart : rwBase) + d.offset;
  };

  // Pass until every instruction's length is stable (lengths only shrink, so this ends).
  let pcs: number[] = insts.map((_, i) => i * 16);
  let encoded: number[][] = [];
  for (let pass = 0; pass < 64; pass++) {
    const labelPc = (name: string): number | undefined => {
      const i = codeLabels.get(name);
      return i === undefined
        ? undefined
        : i < insts.length
          ? pcs[i]
          : (pcs[insts.length - 1] ?? 0) + (encoded[insts.length - 1]?.length ?? 16);
    };
    encoded = insts.map((inst, i) => encodeInst(inst, pcs[i]!, { labelPc, dataAddress, entries }));
    const next: number[] = [];
    let pc = 0;
    for (const e of encoded) {
      next.push(pc);
      pc += e.length;
    }
    if (next.every((p, i) => p === pcs[i])) break;
    pcs = next;
  }
  const codeBytes = encoded.flat();
  const code = new Uint8Array(codeBytes);
  const starts = new Uint8Array(code.length);
  for (const p of pcs) if (p < code.length) starts[p] = 1;
  const jumpTable = entries.map((e) => {
    const pc = codeLabels.has(e) ? pcs[codeLabels.get(e)!] : undefined;
    if (pc === undefined) throw fail(0, `.entry ${e}: no such code label`);
    return pc;
  });
  for (const f of dataFixups) {
    const v = evalExpr(f.expr, f.line, {
      labelPc: (l) => (codeLabels.has(l) ? pcs[codeLabels.get(l)!] : undefined),
      dataAddress,
      entries,
    });
    const out = f.section === "ro" ? ro : rw;
    let x = BigInt.asUintN(64, v);
    for (let i = 0; i < f.size; i++) {
      out[f.at + i] = Number(x & 0xffn);
      x >>= 8n;
    }
  }
  return {
    roData: new Uint8Array(ro),
    rwData: new Uint8Array(rw),
    heapPages,
    stackSize,
    code: encodeBlob(jumpTable, code, starts),
  };
}

interface Scope {
  labelPc(name: string): number | undefined;
  dataAddress(name: string): number | undefined;
  entries: string[];
}

/** number | label | label+n | label-n | jt(label) (its jump-table address) | host function name. */
function evalExpr(expr: string, line: number, scope: Scope): bigint {
  const m = /^([A-Za-z_.$][\w.$]*|jt\([\w.$]+\))\s*([+-]\s*(?:0x[\da-fA-F_]+|\d[\d_]*))?$/.exec(expr);
  if (m) {
    const base = m[1]!;
    const add = m[2] ? BigInt(m[2].replace(/[\s_]/g, "").replace(/^\+/, "")) : 0n;
    const jt = /^jt\((.+)\)$/.exec(base);
    if (jt) {
      const i = scope.entries.indexOf(jt[1]!);
      if (i < 0) throw fail(line, `${jt[1]} is not in .entry`);
      return BigInt((i + 1) * 2) + add;
    }
    const host = HOST_CALLS.indexOf(base as (typeof HOST_CALLS)[number]);
    if (host >= 0) return BigInt(host) + add;
    const v = scope.dataAddress(base) ?? scope.labelPc(base);
    if (v === undefined) throw fail(line, `unknown label ${base}`);
    return BigInt(v) + add;
  }
  const num = expr.replace(/_/g, "");
  if (!/^-?(0x[\da-fA-F]+|\d+)$/.test(num)) throw fail(line, `bad operand ${expr}`);
  return num.startsWith("-") ? -BigInt(num.slice(1)) : BigInt(num);
}

function reg(text: string | undefined, line: number): number {
  const t = (text ?? "").toLowerCase();
  if (t in REG_ALIASES) return REG_ALIASES[t]!;
  const m = /^r(\d+)$/.exec(t);
  if (!m || Number(m[1]) > 12)
    throw fail(line, `expected a register r0–r12 (or ra, sp, t0–t2, s0–s1, a0–a5), got "${text ?? ""}"`);
  return Number(m[1]);
}

function encodeInst(inst: Inst, pc: number, scope: Scope): number[] {
  const { op, operands: o, line } = inst;
  const args = ARGS[op] as Args;
  const counts: Record<Args, number> = {
    [Args.None]: 0,
    [Args.Imm]: 1,
    [Args.RegImm64]: 2,
    [Args.ImmImm]: 2,
    [Args.Offset]: 1,
    [Args.RegImm]: 2,
    [Args.RegImmImm]: 3,
    [Args.RegImmOffset]: 3,
    [Args.RegReg]: 2,
    [Args.RegRegImm]: 3,
    [Args.RegRegOffset]: 3,
    [Args.RegRegImmImm]: 4,
    [Args.RegRegReg]: 3,
  };
  if (o.length !== counts[args]) throw fail(line, `expected ${counts[args]} operands, got ${o.length}`);
  const imm = (e: string): number[] => {
    const v = evalExpr(e, line, scope);
    return immBytes(Number(v >= 2n ** 32n ? BigInt.asIntN(32, v) : v), line);
  };
  const off = (e: string): number[] => {
    const target = scope.labelPc(e);
    if (target === undefined) throw fail(line, `unknown code label ${e}`);
    return immBytes(target - pc, line);
  };
  switch (args) {
    case Args.None:
      return [op];
    case Args.Imm:
      return [op, ...imm(o[0]!)];
    case Args.RegImm64: {
      let v = BigInt.asUintN(64, evalExpr(o[1]!, line, scope));
      const out = [op, reg(o[0], line)];
      for (let i = 0; i < 8; i++) {
        out.push(Number(v & 0xffn));
        v >>= 8n;
      }
      return out;
    }
    case Args.ImmImm: {
      const x = imm(o[0]!);
      return [op, x.length, ...x, ...imm(o[1]!)];
    }
    case Args.Offset:
      return [op, ...off(o[0]!)];
    case Args.RegImm:
      return [op, reg(o[0], line), ...imm(o[1]!)];
    case Args.RegImmImm:
    case Args.RegImmOffset: {
      const x = imm(o[1]!);
      const y = args === Args.RegImmOffset ? off(o[2]!) : imm(o[2]!);
      return [op, reg(o[0], line) | (x.length << 4), ...x, ...y];
    }
    case Args.RegReg:
      return [op, reg(o[0], line) | (reg(o[1], line) << 4)];
    case Args.RegRegImm:
      return [op, reg(o[0], line) | (reg(o[1], line) << 4), ...imm(o[2]!)];
    case Args.RegRegOffset:
      return [op, reg(o[0], line) | (reg(o[1], line) << 4), ...off(o[2]!)];
    case Args.RegRegImmImm: {
      const x = imm(o[2]!);
      return [op, reg(o[0], line) | (reg(o[1], line) << 4), x.length, ...x, ...imm(o[3]!)];
    }
    case Args.RegRegReg:
      // Text order: destination first (`add_64 rd, ra, rb` is rd = ra + rb).
      return [op, reg(o[1], line) | (reg(o[2], line) << 4), reg(o[0], line)];
  }
}
