/**
 * The Graypaper's standard program (A.7, `Y`): `E3(|o|) ‖ E3(|w|) ‖ E2(z) ‖ E3(s) ‖ o ‖ w ‖ E4(|c|) ‖ c`
 * with read-only data `o`, read-write data `w`, `z` extra heap pages, stack size `s` and the code blob
 * `c`; and the memory it lays out (DESIGN §12): read-only data at 64 KiB, read-write data and heap after
 * it, the stack and the arguments at the top. Pure.
 */
import { PvmError } from "./errors.ts";
import { Access, PVM_PAGE } from "./memory.ts";

/** The Graypaper's Z_Z (zone), Z_I (max input). */
export const ZONE = 0x10000;
export const MAX_INPUT = 1 << 24;

export interface StandardProgram {
  readonly roData: Uint8Array;
  readonly rwData: Uint8Array;
  readonly heapPages: number;
  readonly stackSize: number;
  readonly code: Uint8Array;
}

const pageUp = (x: number): number => Math.ceil(x / PVM_PAGE) * PVM_PAGE;
const zoneUp = (x: number): number => Math.ceil(x / ZONE) * ZONE;

export const RO_START = ZONE;
export const rwStart = (p: { roData: Uint8Array }): number => 2 * ZONE + zoneUp(p.roData.length);
/** Stack top (ω1 at entry) and the arguments' address (ω7). */
export const STACK_TOP = 2 ** 32 - 2 * ZONE - MAX_INPUT;
export const ARGS_START = 2 ** 32 - ZONE - MAX_INPUT;

/** One run of pages with one access (the image stores these). */
export interface PageRun {
  readonly first: number;
  readonly count: number;
  readonly access: Access;
}

/** The page runs of a program's memory with `argsLength` bytes of arguments, ascending. */
export function memoryRuns(p: StandardProgram, argsLength: number): PageRun[] {
  const runs: PageRun[] = [];
  const add = (start: number, bytes: number, access: Access): void => {
    if (bytes > 0) runs.push({ first: start / PVM_PAGE, count: pageUp(bytes) / PVM_PAGE, access });
  };
  add(RO_START, p.roData.length, Access.Read);
  add(rwStart(p), pageUp(p.rwData.length) + p.heapPages * PVM_PAGE, Access.Write);
  add(STACK_TOP - pageUp(p.stackSize), pageUp(p.stackSize), Access.Write);
  add(ARGS_START, argsLength, Access.Read);
  return runs;
}

/** Total bytes the layout maps (checked against the engine's memory cap). */
export function mappedBytes(p: StandardProgram): number {
  return pageUp(p.roData.length) + pageUp(p.rwData.length) + p.heapPages * PVM_PAGE + pageUp(p.stackSize);
}

function le(bytes: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v += bytes[at + i]! * 2 ** (8 * i);
  return v;
}
function putLe(out: number[], v: number, n: number): void {
  for (let i = 0; i < n; i++) out.push(Math.floor(v / 2 ** (8 * i)) % 256);
}

export function decodeStandard(bytes: Uint8Array): StandardProgram {
  const bad = (details: string) =>
    new PvmError("Malformed PVM standard program", { code: "PVM_BAD_BLOB", details });
  if (bytes.length < 15) throw bad(`${bytes.length} bytes, shorter than the 15-byte header`);
  const o = le(bytes, 0, 3);
  const w = le(bytes, 3, 3);
  const z = le(bytes, 6, 2);
  const s = le(bytes, 8, 3);
  let at = 11;
  if (at + o + w + 4 > bytes.length) throw bad("data sections run past the end");
  const roData = bytes.slice(at, at + o);
  at += o;
  const rwData = bytes.slice(at, at + w);
  at += w;
  const c = le(bytes, at, 4);
  at += 4;
  if (at + c !== bytes.length) throw bad(`code length ${c}, but ${bytes.length - at} bytes follow`);
  const p = { roData, rwData, heapPages: z, stackSize: s, code: bytes.slice(at) };
  if (rwStart(p) + pageUp(w) + z * PVM_PAGE > STACK_TOP - pageUp(s))
    throw bad("data, heap and stack overlap");
  return p;
}

export function encodeStandard(p: StandardProgram): Uint8Array {
  const out: number[] = [];
  putLe(out, p.roData.length, 3);
  putLe(out, p.rwData.length, 3);
  putLe(out, p.heapPages, 2);
  putLe(out, p.stackSize, 3);
  for (const b of p.roData) out.push(b);
  for (const b of p.rwData) out.push(b);
  putLe(out, p.code.length, 4);
  for (const b of p.code) out.push(b);
  return new Uint8Array(out);
}
