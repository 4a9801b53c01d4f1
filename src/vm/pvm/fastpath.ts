/**
 * The PVM fast path: each basic block becomes straight-line JS (operands, targets and gas folded in),
 * all of a program's blocks one `switch` compiled once per decoded program (so once per code hash, as
 * programs are cached by it). Gas is charged per block; a block the gas cannot pay for in full, and any
 * pc inside a block (a resume after a host call or preemption), runs on the interpreter up to the next
 * block start, so every stop is at the same instruction, with the same gas, as the interpreter's (the
 * reference; test/vm/pvm/fastpath.test.ts holds them equal). Pure and deterministic.
 */
import { type DecodedCode, OP_INVALID } from "./decode.ts";
import { clz64, ctz32, ctz64, run as interpret, popcount, regImm, regReg } from "./interpreter.ts";
import { HALT_ADDRESS, type PvmMachine } from "./machine.ts";
import { READ_ONLY } from "./memory.ts";
import { TERMINATORS } from "./opcodes.ts";

/** Shared between the compiled program and its driver (no allocation per block). */
interface Frame {
  pc: number;
  left: number;
  /** Set when the machine stopped; undefined = hand over to the interpreter at `pc`. */
  status: PvmMachine["status"] | undefined;
  fault: number;
  host: number;
}

type Compiled = (r: BigUint64Array, mem: PvmMachine["memory"], f: Frame, h: Helpers) => void;

interface Helpers {
  regImm: typeof regImm;
  regReg: typeof regReg;
  popcount: typeof popcount;
  clz64: typeof clz64;
  ctz64: typeof ctz64;
  ctz32: typeof ctz32;
  rev: (v: bigint) => bigint;
  /** djump: the target pc, -1 to panic, -2 to halt. */
  djump: (a: number) => number;
}

interface Program {
  fn: Compiled;
  /** Instructions from each pc to the end of its block, inclusive. */
  rest: Uint32Array;
  helpers: Helpers;
}

const CACHE = new WeakMap<DecodedCode, Program>();
const MAX_GAS_STEPS = 2 ** 53;

const big = (v: bigint): string => `${v}n`;

/** JS for one instruction at `pc`, the `k`-th (0-based) of a block of `n`; `following`: the next case. */
function emit(code: DecodedCode, pc: number, k: number, n: number, following: number): string {
  const o = code.op[pc]!;
  const a = code.ra[pc]!;
  const b = code.rb[pc]!;
  const d = code.rd[pc]!;
  const x = code.immX[pc]!;
  const y = code.immY[pc]!;
  const nx = code.numX[pc]!;
  const ny = code.numY[pc]!;
  const next = code.next[pc]!;
  const refund = n - k - 1;
  // Into the next block: fall into its `case` when it is the one emitted next (no switch dispatch).
  const fall = next === following ? `pc=${next};` : `{pc=${next};continue;}`;
  const stop = (status: string, extra = "") =>
    `{f.pc=${pc};f.left=g+${refund};f.status="${status}";${extra}return;}`;
  const to = (target: number) =>
    target < code.length && code.blockStart[target] ? `{pc=${target};continue;}` : stop("panic");
  const addr = (reg: number, off: number) => `((Number(r[${reg}]&0xffffffffn)+${off})>>>0)`;
  const check = (w: boolean, n: number) =>
    `{const c=mem.check(A,${n},${w});if(c!==-1){if(c===${READ_ONLY})${stop("panic")}${stop("fault", "f.fault=c;")}}}`;
  const load = (at: string, k8: number, dst: number) => {
    const n = 1 << (k8 >> 1);
    const signed = k8 & 1 && n < 8;
    const v = signed ? `BigInt.asUintN(64,BigInt.asIntN(${8 * n},mem.load(A,${n})))` : `mem.load(A,${n})`;
    return `{const A=${at};${check(false, n)}r[${dst}]=${v};}`;
  };
  const store = (at: string, n: number, v: string) =>
    `{const A=${at};${check(true, n)}mem.store(A,${n},${v});}`;
  const dj = (at: string, pre = "") =>
    `{const t=h.djump(${at});${pre}if(t===-2)${stop("halt")}if(t<0)${stop("panic")}pc=t;continue;}`;
  const cond = (c: string, target: number) => `if(${c})${to(target)}`;
  const s = (reg: number) => `BigInt.asIntN(64,r[${reg}])`;
  const target = code.target[pc]!;
  switch (o) {
    case 0:
    case OP_INVALID:
      return stop("panic");
    case 1:
      return `${fall}`;
    case 10:
      return `{f.pc=${next};f.left=g+${refund};f.status="host";f.host=${Number(x & 0xffffffffn)};return;}`;
    case 20:
    case 51:
      return `r[${a}]=${big(x)};`;
    case 30:
    case 31:
    case 32:
    case 33:
      return store(`${nx >>> 0}`, 1 << (o - 30), big(y));
    case 40:
      return to(target);
    case 50:
      return dj(addr(a, nx));
    case 59:
    case 60:
    case 61:
    case 62:
      return store(`${nx >>> 0}`, 1 << (o - 59), `r[${a}]`);
    case 70:
    case 71:
    case 72:
    case 73:
      return store(addr(a, nx), 1 << (o - 70), big(y));
    case 80:
      return `r[${a}]=${big(x)};${to(target)}`;
    case 81:
      return `${cond(`r[${a}]===${big(x)}`, target)}${fall}`;
    case 82:
      return `${cond(`r[${a}]!==${big(x)}`, target)}${fall}`;
    case 83:
      return `${cond(`r[${a}]<${big(x)}`, target)}${fall}`;
    case 84:
      return `${cond(`r[${a}]<=${big(x)}`, target)}${fall}`;
    case 85:
      return `${cond(`r[${a}]>=${big(x)}`, target)}${fall}`;
    case 86:
      return `${cond(`r[${a}]>${big(x)}`, target)}${fall}`;
    case 87:
      return `${cond(`${s(a)}<${BigInt.asIntN(64, x)}n`, target)}${fall}`;
    case 88:
      return `${cond(`${s(a)}<=${BigInt.asIntN(64, x)}n`, target)}${fall}`;
    case 89:
      return `${cond(`${s(a)}>=${BigInt.asIntN(64, x)}n`, target)}${fall}`;
    case 90:
      return `${cond(`${s(a)}>${BigInt.asIntN(64, x)}n`, target)}${fall}`;
    case 100:
      return `r[${d}]=r[${a}];`;
    case 101:
      return stop("panic");
    case 102:
      return `r[${d}]=h.popcount(r[${a}]);`;
    case 103:
      return `r[${d}]=h.popcount(r[${a}]&0xffffffffn);`;
    case 104:
      return `r[${d}]=h.clz64(r[${a}]);`;
    case 105:
      return `r[${d}]=BigInt(Math.clz32(Number(r[${a}]&0xffffffffn)));`;
    case 106:
      return `r[${d}]=h.ctz64(r[${a}]);`;
    case 107:
      return `r[${d}]=BigInt(h.ctz32(Number(r[${a}]&0xffffffffn)));`;
    case 108:
      return `r[${d}]=BigInt.asUintN(64,BigInt.asIntN(8,r[${a}]));`;
    case 109:
      return `r[${d}]=BigInt.asUintN(64,BigInt.asIntN(16,r[${a}]));`;
    case 110:
      return `r[${d}]=r[${a}]&0xffffn;`;
    case 111:
      return `r[${d}]=h.rev(r[${a}]);`;
    case 120:
    case 121:
    case 122:
    case 123:
      return store(addr(b, nx), 1 << (o - 120), `r[${a}]`);
    case 180:
      return dj(addr(b, ny), `r[${a}]=${big(x)};`);
  }
  if (o >= 52 && o <= 58) return load(`${nx >>> 0}`, o - 52, a);
  if (o >= 124 && o <= 130) return load(addr(b, nx), o - 124, a);
  if (o >= 170 && o <= 175) {
    const ops = ["===", "!==", "<", "<", ">=", ">="];
    const signed = o === 173 || o === 175;
    const l = signed ? s(a) : `r[${a}]`;
    const rr = signed ? s(b) : `r[${b}]`;
    return `${cond(`${l}${ops[o - 170]}${rr}`, target)}${fall}`;
  }
  if (o >= 131 && o <= 161) {
    // The common ones inline (BigUint64Array stores wrap mod 2^64); the rest through the interpreter's.
    if (o === 149) return `r[${a}]=r[${b}]+${big(x)};`;
    if (o === 132) return `r[${a}]=r[${b}]&${big(x)};`;
    if (o === 133) return `r[${a}]=r[${b}]^${big(x)};`;
    if (o === 134) return `r[${a}]=r[${b}]|${big(x)};`;
    if (o === 131) return `r[${a}]=BigInt.asIntN(32,r[${b}]+${big(x)});`;
    if (o === 151) return `r[${a}]=r[${b}]<<${big(x & 63n)};`;
    if (o === 152) return `r[${a}]=r[${b}]>>${big(x & 63n)};`;
    if (o === 136) return `r[${a}]=r[${b}]<${big(x)}?1n:0n;`;
    return `r[${a}]=h.regImm(${o},r[${b}],${big(x)},r[${a}]);`;
  }
  if (o >= 190 && o <= 230) {
    if (o === 200) return `r[${d}]=r[${a}]+r[${b}];`;
    if (o === 201) return `r[${d}]=r[${a}]-r[${b}];`;
    if (o === 202) return `r[${d}]=r[${a}]*r[${b}];`;
    if (o === 210) return `r[${d}]=r[${a}]&r[${b}];`;
    if (o === 211) return `r[${d}]=r[${a}]^r[${b}];`;
    if (o === 212) return `r[${d}]=r[${a}]|r[${b}];`;
    if (o === 190) return `r[${d}]=BigInt.asIntN(32,r[${a}]+r[${b}]);`;
    if (o === 191) return `r[${d}]=BigInt.asIntN(32,r[${a}]-r[${b}]);`;
    if (o === 216) return `r[${d}]=r[${a}]<r[${b}]?1n:0n;`;
    if (o === 205) return `{const y=r[${b}];r[${d}]=y===0n?r[${a}]:r[${a}]%y;}`;
    return `r[${d}]=h.regReg(${o},r[${a}],r[${b}],r[${d}]);`;
  }
  return stop("panic");
}

function rev(v: bigint): bigint {
  let out = 0n;
  for (let k = 0; k < 8; k++) {
    out = (out << 8n) | (v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function compile(code: DecodedCode): Program {
  const n = code.length;
  const rest = new Uint32Array(n + 1);
  const cases: string[] = [];
  const starts: number[] = [];
  for (let pc = 0; pc < n; pc++) if (code.blockStart[pc]) starts.push(pc);
  starts.forEach((pc, i) => {
    const block: number[] = [];
    let at = pc;
    for (;;) {
      block.push(at);
      const o = code.op[at]!;
      if (at >= n || o === OP_INVALID || TERMINATORS.has(o)) break;
      at = code.next[at]!;
    }
    const following = starts[i + 1] ?? -1;
    const body = block.map((p, k) => emit(code, p, k, block.length, following)).join("");
    cases.push(`case ${pc}:if(g<${block.length})break;g-=${block.length};${body}`);
  });
  // Instructions left in the block from every instruction start (for the interpreter hand-over).
  for (let pc = n - 1; pc >= 0; pc--) {
    const o = code.op[pc]!;
    if (o === OP_INVALID && code.next[pc] === 0) continue;
    const end = TERMINATORS.has(o) || o === OP_INVALID || code.next[pc]! >= n;
    rest[pc] = end ? 1 : 1 + rest[code.next[pc]!]!;
  }
  rest[n] = 1;
  const src = `let pc=f.pc;let g=f.left;for(;;){switch(pc){${cases.join("\n")}}f.pc=pc;f.left=g;f.status=undefined;return;}`;
  const fn = new Function("r", "mem", "f", "h", src) as Compiled;
  const jt = code.jumpTable;
  const djump = (a: number): number => {
    if (a === HALT_ADDRESS) return -2;
    if (a === 0 || a % 2 !== 0 || a / 2 > jt.length) return -1;
    const t = jt[a / 2 - 1]!;
    return t < n && code.blockStart[t] ? t : -1;
  };
  return { fn, rest, helpers: { regImm, regReg, popcount, clz64, ctz64, ctz32, rev, djump } };
}

export function compiled(code: DecodedCode): Program {
  let p = CACHE.get(code);
  if (p === undefined) {
    p = compile(code);
    CACHE.set(code, p);
  }
  return p;
}

/** Same contract as the interpreter's `run`: from `m.pc` until a stop, `m` updated in place. */
export function runFast(code: DecodedCode, m: PvmMachine): void {
  const p = compiled(code);
  const budget = m.gas <= 0n ? 0 : m.gas > BigInt(MAX_GAS_STEPS) ? MAX_GAS_STEPS : Number(m.gas);
  const f: Frame = { pc: m.pc, left: budget, status: undefined, fault: 0, host: 0 };
  const start = m.gas;
  for (;;) {
    p.fn(m.regs, m.memory, f, p.helpers);
    if (f.status !== undefined) break;
    // Inside a block, or a block the gas cannot pay for in full: the interpreter, to the block's end.
    const pc = f.pc;
    const step = Math.min(f.left, pc <= code.length ? p.rest[pc] || 1 : 1);
    m.pc = pc;
    m.gas = BigInt(step);
    interpret(code, m);
    f.left -= m.executed;
    f.pc = m.pc;
    if (m.status !== "oog" || f.left === 0) {
      f.status = m.status;
      f.fault = m.faultAddress;
      f.host = m.hostCall;
      break;
    }
  }
  m.pc = f.pc;
  m.status = f.status;
  m.faultAddress = f.fault;
  m.hostCall = f.host;
  m.executed = budget - f.left;
  m.gas = start - BigInt(m.executed);
}
