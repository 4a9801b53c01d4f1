/**
 * Decodes a blob's code once into flat per-pc arrays (Graypaper A.5 operand rules, skip, basic blocks ϖ)
 * that the interpreter indexes by pc. Pure; positions that start no instruction hold {@link OP_INVALID}.
 */
import type { PvmBlob } from "./blob.ts";
import { ARGS, Args, TERMINATORS } from "./opcodes.ts";

/** Not an instruction: executing it panics (as `trap` does). */
export const OP_INVALID = 255;

export interface DecodedCode {
  readonly length: number;
  readonly jumpTable: Uint32Array;
  /** Per pc (length + 1 entries; pc = length is the implicit trap past the end). */
  readonly op: Uint8Array;
  readonly ra: Uint8Array;
  readonly rb: Uint8Array;
  readonly rd: Uint8Array;
  /** The pc of the next instruction (ı + 1 + skip(ı)). */
  readonly next: Uint32Array;
  /** νX / νY as u64 (sign-extended), and as signed numbers for 32-bit address arithmetic. */
  readonly immX: bigint[];
  readonly immY: bigint[];
  readonly numX: Float64Array;
  readonly numY: Float64Array;
  /** A branch's or jump's target pc (mod 2^32). */
  readonly target: Float64Array;
  /** 1 where a basic block starts (the Graypaper's ϖ). */
  readonly blockStart: Uint8Array;
}

/** Sign-extended little-endian immediate of `l` ≤ 4 bytes at `at` (zero beyond the code). */
function imm(code: Uint8Array, at: number, l: number): number {
  let v = 0;
  for (let i = 0; i < l; i++) v += (code[at + i] ?? 0) * 2 ** (8 * i);
  if (l > 0 && v >= 2 ** (8 * l - 1)) v -= 2 ** (8 * l);
  return v;
}

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
const reg = (b: number): number => Math.min(12, b);

export function decodeCode(blob: PvmBlob): DecodedCode {
  const { code, starts, jumpTable } = blob;
  const n = code.length;
  const op = new Uint8Array(n + 1).fill(OP_INVALID);
  const ra = new Uint8Array(n + 1);
  const rb = new Uint8Array(n + 1);
  const rd = new Uint8Array(n + 1);
  const next = new Uint32Array(n + 1);
  const immX: bigint[] = new Array(n + 1).fill(0n);
  const immY: bigint[] = new Array(n + 1).fill(0n);
  const numX = new Float64Array(n + 1);
  const numY = new Float64Array(n + 1);
  const target = new Float64Array(n + 1);
  const blockStart = new Uint8Array(n + 1);
  op[n] = 0;
  next[n] = n;
  let prevTerminator = true;
  for (let i = 0; i < n; i++) {
    if (!starts[i]) continue;
    let skip = 0;
    while (skip < 24 && i + 1 + skip < n && !starts[i + 1 + skip]) skip++;
    const o = code[i]!;
    const args = ARGS[o]!;
    if (args !== 255) op[i] = o;
    if (prevTerminator && args !== 255) blockStart[i] = 1;
    prevTerminator = TERMINATORS.has(o);
    next[i] = i + 1 + skip;
    const b1 = code[i + 1] ?? 0;
    let x = 0;
    let y = 0;
    switch (args) {
      case Args.Imm:
        x = imm(code, i + 1, Math.min(4, skip));
        break;
      case Args.RegImm64: {
        ra[i] = reg(b1 & 15);
        let v = 0n;
        for (let k = 0; k < 8; k++) v |= BigInt(code[i + 2 + k] ?? 0) << BigInt(8 * k);
        immX[i] = v;
        numX[i] = Number(BigInt.asIntN(32, v));
        break;
      }
      case Args.ImmImm: {
        const lx = Math.min(4, b1 & 7);
        const ly = Math.min(4, Math.max(0, skip - lx - 1));
        x = imm(code, i + 2, lx);
        y = imm(code, i + 2 + lx, ly);
        break;
      }
      case Args.Offset:
        target[i] = (i + imm(code, i + 1, Math.min(4, skip))) >>> 0;
        break;
      case Args.RegImm:
        ra[i] = reg(b1 & 15);
        x = imm(code, i + 2, Math.min(4, Math.max(0, skip - 1)));
        break;
      case Args.RegImmImm:
      case Args.RegImmOffset: {
        ra[i] = reg(b1 & 15);
        const lx = Math.min(4, (b1 >> 4) & 7);
        const ly = Math.min(4, Math.max(0, skip - lx - 1));
        x = imm(code, i + 2, lx);
        y = imm(code, i + 2 + lx, ly);
        if (args === Args.RegImmOffset) target[i] = (i + y) >>> 0;
        break;
      }
      case Args.RegReg:
        rd[i] = reg(b1 & 15);
        ra[i] = reg(b1 >> 4);
        break;
      case Args.RegRegImm:
      case Args.RegRegOffset:
        ra[i] = reg(b1 & 15);
        rb[i] = reg(b1 >> 4);
        x = imm(code, i + 2, Math.min(4, Math.max(0, skip - 1)));
        if (args === Args.RegRegOffset) target[i] = (i + x) >>> 0;
        break;
      case Args.RegRegImmImm: {
        ra[i] = reg(b1 & 15);
        rb[i] = reg(b1 >> 4);
        const b2 = code[i + 2] ?? 0;
        const lx = Math.min(4, b2 & 7);
        const ly = Math.min(4, Math.max(0, skip - lx - 2));
        x = imm(code, i + 3, lx);
        y = imm(code, i + 3 + lx, ly);
        break;
      }
      case Args.RegRegReg:
        ra[i] = reg(b1 & 15);
        rb[i] = reg(b1 >> 4);
        rd[i] = reg(code[i + 2] ?? 0);
        break;
    }
    if (args !== Args.RegImm64) {
      immX[i] = u64(x);
      numX[i] = x;
    }
    immY[i] = u64(y);
    numY[i] = y;
  }
  return { length: n, jumpTable, op, ra, rb, rd, next, immX, immY, numX, numY, target, blockStart };
}
