/**
 * The PVM interpreter (Graypaper A.5): the reference semantics of every instruction, one gas each.
 * `run` executes from `m.pc` until a status other than continue; pure and deterministic (bigint
 * registers, no host access: `ecalli` stops with status `host` and the caller resumes).
 */
import { type DecodedCode, OP_INVALID } from "./decode.ts";
import { HALT_ADDRESS, type PvmMachine } from "./machine.ts";
import { READ_ONLY } from "./memory.ts";

const M32 = 0xffffffffn;
const MAX_GAS_STEPS = 2 ** 53;

/** Sign-extends the low 32 bits to 64 (the Graypaper's X_4). */
const x4 = (v: bigint): bigint => BigInt.asUintN(64, BigInt.asIntN(32, v));
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export function popcount(v: bigint): bigint {
  let n = 0;
  let lo = Number(v & M32);
  let hi = Number(v >> 32n);
  while (lo) {
    lo &= lo - 1;
    n++;
  }
  while (hi) {
    hi &= hi - 1;
    n++;
  }
  return BigInt(n);
}

export function clz64(v: bigint): bigint {
  const hi = Number(v >> 32n);
  return BigInt(hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(Number(v & M32)));
}

export function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}

export function ctz64(v: bigint): bigint {
  const lo = Number(v & M32);
  return BigInt(lo !== 0 ? ctz32(lo) : 32 + ctz32(Number(v >> 32n)));
}

const rotr64 = (v: bigint, s: bigint): bigint => u64((v >> (s & 63n)) | (v << ((64n - (s & 63n)) & 63n)));
const rotl64 = (v: bigint, s: bigint): bigint => u64((v << (s & 63n)) | (v >> ((64n - (s & 63n)) & 63n)));
function rotr32(v: bigint, s: bigint): bigint {
  const x = Number(v & M32);
  const k = Number(s & 31n);
  return x4(BigInt(((x >>> k) | (x << (32 - k))) >>> 0));
}
const rotl32 = (v: bigint, s: bigint): bigint => rotr32(v, (32n - (s & 31n)) & 31n);

function divU(a: bigint, b: bigint): bigint {
  return b === 0n ? 0xffffffffffffffffn : a / b;
}
function divS(a: bigint, b: bigint, bits: 32 | 64): bigint {
  if (b === 0n) return 0xffffffffffffffffn;
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  if (sb === -1n && sa === -(1n << BigInt(bits - 1))) return u64(sa);
  return u64(sa / sb);
}
function remS(a: bigint, b: bigint, bits: 32 | 64): bigint {
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  if (sb === 0n) return u64(sa);
  if (sb === -1n) return 0n;
  return u64(sa % sb);
}

/** Runs until halt, panic, fault, out of gas or a host call; updates `m` in place. */
export function run(code: DecodedCode, m: PvmMachine): void {
  const { op, ra, rb, rd, next, immX, immY, numX, numY, target, blockStart, length } = code;
  const r = m.regs;
  const mem = m.memory;
  const budget = m.gas <= 0n ? 0 : m.gas > BigInt(MAX_GAS_STEPS) ? MAX_GAS_STEPS : Number(m.gas);
  let left = budget;
  let pc = m.pc;
  let status = undefined as PvmStatus | undefined;

  /** A static jump: to a basic block's start, or panic. */
  const branch = (to: number): boolean => {
    if (to < length && blockStart[to]) {
      pc = to;
      return true;
    }
    status = "panic";
    return false;
  };
  /** A dynamic jump through the jump table (Graypaper's djump). */
  const djump = (a: number): void => {
    if (a === HALT_ADDRESS) {
      status = "halt";
      return;
    }
    const jt = code.jumpTable;
    if (a === 0 || a % 2 !== 0 || a / 2 > jt.length) {
      status = "panic";
      return;
    }
    const to = jt[a / 2 - 1]!;
    if (to < length && blockStart[to]) pc = to;
    else status = "panic";
  };
  const addr = (base: bigint, off: number): number => (Number(base & M32) + off) >>> 0;
  const load = (a: number, n: number): bigint | undefined => {
    const f = mem.check(a, n, false);
    if (f >= 0) {
      status = "fault";
      m.faultAddress = f;
      return undefined;
    }
    return mem.load(a, n);
  };
  const store = (a: number, n: number, v: bigint): boolean => {
    const f = mem.check(a, n, true);
    if (f === READ_ONLY) {
      status = "panic";
      return false;
    }
    if (f >= 0) {
      status = "fault";
      m.faultAddress = f;
      return false;
    }
    mem.store(a, n, v);
    return true;
  };

  for (;;) {
    if (left === 0) {
      status = "oog";
      break;
    }
    left--;
    const i = Math.min(pc, length);
    const o = op[i]!;
    const a = ra[i]!;
    const b = rb[i]!;
    let nextPc = next[i]!;
    switch (o) {
      case 0:
      case OP_INVALID:
        status = "panic";
        break;
      case 1:
        break;
      case 10:
        status = "host";
        m.hostCall = Number(immX[i]! & M32);
        break;
      case 20:
        r[a] = immX[i]!;
        break;
      case 30:
      case 31:
      case 32:
      case 33:
        store(numX[i]! >>> 0, 1 << (o - 30), immY[i]!);
        break;
      case 40:
        if (branch(target[i]!)) nextPc = pc;
        break;
      case 50:
        djump(addr(r[a]!, numX[i]!));
        nextPc = pc;
        break;
      case 51:
        r[a] = immX[i]!;
        break;
      case 52:
      case 53:
      case 54:
      case 55:
      case 56:
      case 57:
      case 58: {
        const k = o - 52;
        const n = 1 << (k >> 1);
        const v = load(numX[i]! >>> 0, n);
        if (v !== undefined) r[a] = k & 1 && n < 8 ? u64(BigInt.asIntN(8 * n, v)) : v;
        break;
      }
      case 59:
      case 60:
      case 61:
      case 62:
        store(numX[i]! >>> 0, 1 << (o - 59), r[a]!);
        break;
      case 70:
      case 71:
      case 72:
      case 73:
        store(addr(r[a]!, numX[i]!), 1 << (o - 70), immY[i]!);
        break;
      case 80:
        r[a] = immX[i]!;
        if (branch(target[i]!)) nextPc = pc;
        break;
      case 81:
      case 82:
      case 83:
      case 84:
      case 85:
      case 86:
      case 87:
      case 88:
      case 89:
      case 90: {
        const x = r[a]!;
        const y = immX[i]!;
        let c: boolean;
        if (o === 81) c = x === y;
        else if (o === 82) c = x !== y;
        else if (o === 83) c = x < y;
        else if (o === 84) c = x <= y;
        else if (o === 85) c = x >= y;
        else if (o === 86) c = x > y;
        else {
          const sx = s64(x);
          const sy = s64(y);
          c = o === 87 ? sx < sy : o === 88 ? sx <= sy : o === 89 ? sx >= sy : sx > sy;
        }
        if (c && branch(target[i]!)) nextPc = pc;
        break;
      }
      case 100:
        r[rd[i]!] = r[a]!;
        break;
      case 101:
        // sbrk is not in the vectors and is gone from later Graypapers; a program using it panics.
        status = "panic";
        break;
      case 102:
        r[rd[i]!] = popcount(r[a]!);
        break;
      case 103:
        r[rd[i]!] = popcount(r[a]! & M32);
        break;
      case 104:
        r[rd[i]!] = clz64(r[a]!);
        break;
      case 105:
        r[rd[i]!] = BigInt(Math.clz32(Number(r[a]! & M32)));
        break;
      case 106:
        r[rd[i]!] = ctz64(r[a]!);
        break;
      case 107:
        r[rd[i]!] = BigInt(ctz32(Number(r[a]! & M32)));
        break;
      case 108:
        r[rd[i]!] = u64(BigInt.asIntN(8, r[a]!));
        break;
      case 109:
        r[rd[i]!] = u64(BigInt.asIntN(16, r[a]!));
        break;
      case 110:
        r[rd[i]!] = r[a]! & 0xffffn;
        break;
      case 111: {
        let v = r[a]!;
        let out = 0n;
        for (let k = 0; k < 8; k++) {
          out = (out << 8n) | (v & 0xffn);
          v >>= 8n;
        }
        r[rd[i]!] = out;
        break;
      }
      case 120:
      case 121:
      case 122:
      case 123:
        store(addr(r[b]!, numX[i]!), 1 << (o - 120), r[a]!);
        break;
      case 124:
      case 125:
      case 126:
      case 127:
      case 128:
      case 129:
      case 130: {
        const k = o - 124;
        const n = 1 << (k >> 1);
        const v = load(addr(r[b]!, numX[i]!), n);
        if (v !== undefined) r[a] = k & 1 && n < 8 ? u64(BigInt.asIntN(8 * n, v)) : v;
        break;
      }
      default:
        if (o >= 131 && o <= 161) r[a] = regImm(o, r[b]!, immX[i]!, r[a]!);
        else if (o >= 170 && o <= 175) {
          const x = r[a]!;
          const y = r[b]!;
          const c =
            o === 170
              ? x === y
              : o === 171
                ? x !== y
                : o === 172
                  ? x < y
                  : o === 173
                    ? s64(x) < s64(y)
                    : o === 174
                      ? x >= y
                      : s64(x) >= s64(y);
          if (c && branch(target[i]!)) nextPc = pc;
        } else if (o === 180) {
          const to = addr(r[b]!, numY[i]!);
          r[a] = immX[i]!;
          djump(to);
          nextPc = pc;
        } else if (o >= 190 && o <= 230) r[rd[i]!] = regReg(o, r[a]!, r[b]!, r[rd[i]!]!);
        else status = "panic";
    }
    if (status !== undefined) {
      // A host call completes its instruction; every other stop leaves pc on the instruction.
      if (status === "host") pc = nextPc;
      break;
    }
    pc = nextPc;
  }
  m.pc = pc;
  m.status = status ?? "panic";
  const used = budget - left;
  m.executed = used;
  m.gas -= BigInt(used);
}

type PvmStatus = PvmMachine["status"];

/** Two registers and an immediate: `ω_A' = f(ω_B, ν_X)` (opcodes 131–161). */
export function regImm(o: number, x: bigint, y: bigint, old: bigint): bigint {
  switch (o) {
    case 131:
      return x4(x + y);
    case 132:
      return x & y;
    case 133:
      return x ^ y;
    case 134:
      return x | y;
    case 135:
      return x4(x * y);
    case 136:
      return x < y ? 1n : 0n;
    case 137:
      return s64(x) < s64(y) ? 1n : 0n;
    case 138:
      return x4(x << (y & 31n));
    case 139:
      return x4((x & M32) >> (y & 31n));
    case 140:
      return u64(BigInt.asIntN(32, x) >> (y & 31n));
    case 141:
      return x4(y - x);
    case 142:
      return x > y ? 1n : 0n;
    case 143:
      return s64(x) > s64(y) ? 1n : 0n;
    case 144:
      return x4(y << (x & 31n));
    case 145:
      return x4((y & M32) >> (x & 31n));
    case 146:
      return u64(BigInt.asIntN(32, y) >> (x & 31n));
    case 147:
      return x === 0n ? y : old;
    case 148:
      return x !== 0n ? y : old;
    case 149:
      return u64(x + y);
    case 150:
      return u64(x * y);
    case 151:
      return u64(x << (y & 63n));
    case 152:
      return x >> (y & 63n);
    case 153:
      return u64(s64(x) >> (y & 63n));
    case 154:
      return u64(y - x);
    case 155:
      return u64(y << (x & 63n));
    case 156:
      return y >> (x & 63n);
    case 157:
      return u64(s64(y) >> (x & 63n));
    case 158:
      return rotr64(x, y);
    case 159:
      return rotr64(y, x);
    case 160:
      return rotr32(x, y);
    default:
      return rotr32(y, x);
  }
}

/** Three registers: `ω_D' = f(ω_A, ω_B)` (opcodes 190–230). */
export function regReg(o: number, x: bigint, y: bigint, old: bigint): bigint {
  switch (o) {
    case 190:
      return x4(x + y);
    case 191:
      return x4(x - y);
    case 192:
      return x4(x * y);
    case 193:
      return (y & M32) === 0n ? 0xffffffffffffffffn : x4((x & M32) / (y & M32));
    case 194:
      return x4(divS(x, y & M32, 32));
    case 195:
      return (y & M32) === 0n ? x4(x) : x4((x & M32) % (y & M32));
    case 196:
      return x4(remS(x, y, 32));
    case 197:
      return x4(x << (y & 31n));
    case 198:
      return x4((x & M32) >> (y & 31n));
    case 199:
      return u64(BigInt.asIntN(32, x) >> (y & 31n));
    case 200:
      return u64(x + y);
    case 201:
      return u64(x - y);
    case 202:
      return u64(x * y);
    case 203:
      return divU(x, y);
    case 204:
      return divS(x, y, 64);
    case 205:
      return y === 0n ? x : x % y;
    case 206:
      return remS(x, y, 64);
    case 207:
      return u64(x << (y & 63n));
    case 208:
      return x >> (y & 63n);
    case 209:
      return u64(s64(x) >> (y & 63n));
    case 210:
      return x & y;
    case 211:
      return x ^ y;
    case 212:
      return x | y;
    case 213:
      return u64((s64(x) * s64(y)) >> 64n);
    case 214:
      return (x * y) >> 64n;
    case 215:
      return u64((s64(x) * y) >> 64n);
    case 216:
      return x < y ? 1n : 0n;
    case 217:
      return s64(x) < s64(y) ? 1n : 0n;
    case 218:
      return y === 0n ? x : old;
    case 219:
      return y !== 0n ? x : old;
    case 220:
      return rotl64(x, y);
    case 221:
      return rotl32(x, y);
    case 222:
      return rotr64(x, y);
    case 223:
      return rotr32(x, y);
    case 224:
      return x & ~y & 0xffffffffffffffffn;
    case 225:
      return u64(x | ~y);
    case 226:
      return u64(~(x ^ y));
    case 227:
      return s64(x) > s64(y) ? x : y;
    case 228:
      return x > y ? x : y;
    case 229:
      return s64(x) < s64(y) ? x : y;
    default:
      return x < y ? x : y;
  }
}
