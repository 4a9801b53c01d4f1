/**
 * The PVM program blob (Graypaper A.2, deblob): `E(|j|) ‖ E1(z) ‖ E(|c|) ‖ E_z(j) ‖ E(c) ‖ E(k)`, a jump
 * table of `z`-byte entries, the code, and its opcode bitmask (bit i set = an instruction starts at i).
 * Pure; a malformed blob is a typed {@link PvmError}.
 */
import { PvmError } from "./errors.ts";

export interface PvmBlob {
  readonly jumpTable: Uint32Array;
  readonly code: Uint8Array;
  /** One byte per code byte: 1 where an instruction starts. */
  readonly starts: Uint8Array;
}

/** Reads the Graypaper's general natural-number encoding at `bytes[at]`; returns [value, next offset]. */
export function readVarU(bytes: Uint8Array, at: number): [number, number] {
  if (at >= bytes.length) throw bad("blob ends inside a length");
  const first = bytes[at]!;
  let l = 0;
  while (l < 8 && first & (0x80 >> l)) l++;
  if (at + 1 + l > bytes.length) throw bad("blob ends inside a length");
  let v = 0;
  for (let i = 0; i < l; i++) v += bytes[at + 1 + i]! * 2 ** (8 * i);
  if (l < 8) v += (first & (0xff >> (l + 1))) * 2 ** (8 * l);
  if (!Number.isSafeInteger(v)) throw bad("length too large");
  return [v, at + 1 + l];
}

/** The general natural-number encoding of `v` (the inverse of {@link readVarU}). */
export function writeVarU(v: number): number[] {
  if (v < 0x80) return [v];
  for (let l = 1; l < 8; l++) {
    if (v < 2 ** (7 * (l + 1))) {
      const out = [256 - 2 ** (8 - l) + Math.floor(v / 2 ** (8 * l))];
      for (let i = 0; i < l; i++) out.push(Math.floor(v / 2 ** (8 * i)) % 256);
      return out;
    }
  }
  const out = [255];
  for (let i = 0; i < 8; i++) out.push(Math.floor(v / 2 ** (8 * i)) % 256);
  return out;
}

function bad(details: string): PvmError {
  return new PvmError("Malformed PVM program blob", { code: "PVM_BAD_BLOB", details });
}

export function decodeBlob(bytes: Uint8Array): PvmBlob {
  let at = 0;
  let jumps: number;
  let codeLen: number;
  [jumps, at] = readVarU(bytes, at);
  if (at >= bytes.length) throw bad("blob ends before the jump-table entry size");
  const z = bytes[at++]!;
  [codeLen, at] = readVarU(bytes, at);
  if (z > 4 || (jumps > 0 && z === 0)) throw bad(`jump-table entry size ${z} (expected 1..4)`);
  const maskLen = Math.ceil(codeLen / 8);
  const need = at + jumps * z + codeLen + maskLen;
  if (need !== bytes.length) throw bad(`expected ${need} bytes from the header, got ${bytes.length}`);
  const jumpTable = new Uint32Array(jumps);
  for (let i = 0; i < jumps; i++) {
    let v = 0;
    for (let b = 0; b < z; b++) v += bytes[at + b]! * 2 ** (8 * b);
    jumpTable[i] = v;
    at += z;
  }
  const code = bytes.slice(at, at + codeLen);
  at += codeLen;
  const starts = new Uint8Array(codeLen);
  for (let i = 0; i < codeLen; i++) starts[i] = (bytes[at + (i >> 3)]! >> (i & 7)) & 1;
  return { jumpTable, code, starts };
}

/** Encodes a blob (used by the assembler); jump-table entries take the fewest bytes that fit. */
export function encodeBlob(jumpTable: readonly number[], code: Uint8Array, starts: Uint8Array): Uint8Array {
  const max = jumpTable.reduce((m, v) => Math.max(m, v), 0);
  const z = jumpTable.length === 0 ? 0 : max < 256 ? 1 : max < 65536 ? 2 : max < 2 ** 24 ? 3 : 4;
  const out: number[] = [...writeVarU(jumpTable.length), z, ...writeVarU(code.length)];
  for (const v of jumpTable) for (let b = 0; b < z; b++) out.push(Math.floor(v / 2 ** (8 * b)) % 256);
  for (const c of code) out.push(c);
  const mask = new Uint8Array(Math.ceil(code.length / 8));
  for (let i = 0; i < code.length; i++) if (starts[i]) mask[i >> 3]! |= 1 << (i & 7);
  for (const m of mask) out.push(m);
  return new Uint8Array(out);
}
