/**
 * The PVM actor image (DESIGN §12, docs/abi.md "PVM image"): main's registers and pc, main's status and
 * args, the page access map, and the 4 KiB pages, Merkle-hashed per page as Wasm images are. Images are
 * immutable and share unchanged page buffers (and their cached leaf hashes) with their ancestors.
 */
import type { CodeHash, Hash, StateHash } from "../../codec/ids.ts";
import { blake2b256 } from "../../crypto/blake2b.ts";
import type { ActorImage, MainStatus } from "../engine.ts";
import { ImageError } from "../errors.ts";
import { Reader, Writer } from "../scale-io.ts";
import type { PageRun } from "./layout.ts";
import { MAX_INPUT } from "./layout.ts";
import { REGISTERS } from "./machine.ts";
import { Access, PVM_PAGE } from "./memory.ts";

const TAG_FULL = 0;
const TAG_DELTA = 1;
/** Engine kind byte of a PVM image (Wasm images have 0). */
export const ENGINE_PVM = 1;
const D_LEAF = new Uint8Array([0]);
const D_NODE = new Uint8Array([1]);
const D_REST = new Uint8Array([2]);
const D_ROOT = new Uint8Array([3]);
const STATUSES: readonly MainStatus[] = ["pending", "suspended", "ended", "failed"];
const ZERO = new Uint8Array(PVM_PAGE);
const ZERO_LEAF = blake2b256(D_LEAF, ZERO);
/** Leaf hashes by page buffer: buffers are never written once an image holds them. */
const LEAVES = new WeakMap<Uint8Array, Hash>();

const isZero = (p: Uint8Array): boolean => Buffer.from(p.buffer, p.byteOffset, p.byteLength).equals(ZERO);

function leaf(p: Uint8Array | undefined): Hash {
  if (p === undefined) return ZERO_LEAF;
  let h = LEAVES.get(p);
  if (h === undefined) {
    h = blake2b256(D_LEAF, p);
    LEAVES.set(p, h);
  }
  return h;
}

export interface PvmImageFields {
  readonly codeHash: CodeHash;
  readonly regs: BigUint64Array;
  readonly pc: number;
  readonly status: MainStatus;
  readonly args: Uint8Array;
  readonly runs: readonly PageRun[];
  /** Non-zero pages only (absent = zero), keyed by page number. */
  readonly pages: ReadonlyMap<number, Uint8Array>;
}

export class PvmImage implements ActorImage, PvmImageFields {
  readonly codeHash: CodeHash;
  readonly regs: BigUint64Array;
  readonly pc: number;
  readonly status: MainStatus;
  readonly args: Uint8Array;
  readonly runs: readonly PageRun[];
  readonly pages: ReadonlyMap<number, Uint8Array>;
  private cachedHash: StateHash | undefined;

  constructor(f: PvmImageFields) {
    this.codeHash = f.codeHash;
    this.regs = f.regs;
    this.pc = f.pc;
    this.status = f.status;
    this.args = f.args;
    this.runs = f.runs;
    this.pages = f.pages;
  }

  /** Mapped memory in 64 KiB units, rounded up (the engine contract counts Wasm pages). */
  get pageCount(): number {
    return Math.ceil(this.runs.reduce((n, r) => n + r.count, 0) / 16);
  }

  get hash(): StateHash {
    if (this.cachedHash === undefined) {
      let level: Hash[] = [];
      for (const r of this.runs)
        for (let p = r.first; p < r.first + r.count; p++) level.push(leaf(this.pages.get(p)));
      while (level.length > 1) {
        const up: Hash[] = [];
        for (let i = 0; i + 1 < level.length; i += 2) up.push(blake2b256(D_NODE, level[i]!, level[i + 1]!));
        if (level.length % 2 === 1) up.push(level[level.length - 1]!);
        level = up;
      }
      const root = level[0] ?? (new Uint8Array(32) as Hash);
      this.cachedHash = blake2b256(D_ROOT, root, blake2b256(D_REST, this.rest())) as Uint8Array as StateHash;
    }
    return this.cachedHash;
  }

  private rest(w = new Writer(256)): Uint8Array {
    writeRest(w, this);
    return w.finish();
  }

  encode(): Uint8Array {
    const w = new Writer(64 + this.pages.size * (PVM_PAGE + 4));
    w.u8(TAG_FULL);
    writeRest(w, this);
    const keys = [...this.pages.keys()].sort((a, b) => a - b);
    w.compact(keys.length);
    for (const k of keys) {
      w.u32(k);
      w.raw(this.pages.get(k)!);
    }
    return w.finish();
  }

  encodeDelta(base: ActorImage): Uint8Array {
    if (!(base instanceof PvmImage)) return this.encode();
    const w = new Writer(64);
    w.u8(TAG_DELTA);
    w.raw(base.hash);
    writeRest(w, this);
    const keys = [...new Set([...this.pages.keys(), ...base.pages.keys()])].sort((a, b) => a - b);
    const changed = keys.filter((k) => {
      const a = this.pages.get(k);
      const b = base.pages.get(k);
      return a !== b && !(a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b)));
    });
    w.compact(changed.length);
    for (const k of changed) {
      w.u32(k);
      const p = this.pages.get(k);
      if (p === undefined) w.u8(0);
      else {
        w.u8(1);
        w.raw(p);
      }
    }
    return w.finish();
  }
}

function writeRest(w: Writer, f: PvmImageFields): void {
  w.u8(ENGINE_PVM);
  w.raw(f.codeHash);
  for (let i = 0; i < REGISTERS; i++) w.u64(f.regs[i]!);
  w.u32(f.pc);
  w.u8(STATUSES.indexOf(f.status));
  w.vec(f.args);
  w.compact(f.runs.length);
  for (const r of f.runs) {
    w.u32(r.first);
    w.u32(r.count);
    w.u8(r.access);
  }
}

function readRest(r: Reader, codeHash: CodeHash): Omit<PvmImageFields, "pages"> {
  if (r.u8() !== ENGINE_PVM) throw r.corrupt("not a PVM image");
  const hash = r.raw(32);
  if (!Buffer.from(hash).equals(Buffer.from(codeHash)))
    throw new ImageError("Image of another program", { code: "WRONG_PROGRAM", details: "code hash differs" });
  const regs = new BigUint64Array(REGISTERS);
  for (let i = 0; i < REGISTERS; i++) regs[i] = r.u64();
  const pc = r.u32();
  const s = r.u8();
  const status = STATUSES[s];
  if (status === undefined) throw r.corrupt(`unknown status ${s}`);
  const args = r.vec(MAX_INPUT).slice();
  const n = r.compact();
  const runs: PageRun[] = [];
  let end = 0;
  for (let i = 0; i < n; i++) {
    const first = r.u32();
    const count = r.u32();
    const access = r.u8();
    if (
      first < end ||
      count === 0 ||
      first + count > 2 ** 20 ||
      (access !== Access.Read && access !== Access.Write)
    )
      throw r.corrupt("page runs out of order, empty or with a bad access");
    end = first + count;
    runs.push({ first, count, access: access as Access });
  }
  return { codeHash, regs, pc, status, args, runs };
}

const mapped = (runs: readonly PageRun[], p: number): boolean =>
  runs.some((r) => p >= r.first && p < r.first + r.count);

export function decodePvmImage(bytes: Uint8Array, codeHash: CodeHash): PvmImage {
  const r = new Reader(bytes);
  if (r.u8() !== TAG_FULL) throw r.corrupt("not a full image");
  const rest = readRest(r, codeHash);
  const n = r.compact();
  const pages = new Map<number, Uint8Array>();
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const k = r.u32();
    if (k <= prev || !mapped(rest.runs, k)) throw r.corrupt(`page ${k} out of order or not mapped`);
    prev = k;
    const p = r.raw(PVM_PAGE).slice();
    if (isZero(p)) throw r.corrupt(`page ${k} listed but zero`);
    pages.set(k, p);
  }
  r.end();
  return new PvmImage({ ...rest, pages });
}

export function decodePvmImageAgainst(base: PvmImage, bytes: Uint8Array, codeHash: CodeHash): PvmImage {
  if (bytes[0] === TAG_FULL) return decodePvmImage(bytes, codeHash);
  const r = new Reader(bytes);
  if (r.u8() !== TAG_DELTA) throw r.corrupt("unknown image tag");
  if (!Buffer.from(r.raw(32)).equals(Buffer.from(base.hash)))
    throw new ImageError("Delta against another image", { code: "WRONG_BASE", details: "base hash differs" });
  const rest = readRest(r, codeHash);
  const pages = new Map(base.pages);
  const n = r.compact();
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const k = r.u32();
    if (k <= prev || !mapped(rest.runs, k)) throw r.corrupt(`page ${k} out of order or not mapped`);
    prev = k;
    const kind = r.u8();
    if (kind === 0) pages.delete(k);
    else if (kind === 1) pages.set(k, r.raw(PVM_PAGE).slice());
    else throw r.corrupt(`unknown page kind ${kind}`);
  }
  r.end();
  for (const k of pages.keys()) if (!mapped(rest.runs, k)) pages.delete(k);
  return new PvmImage({ ...rest, pages });
}

/** An image's pages loaded into a fresh memory (shared buffers: the memory copies a page before writing). */
export function pagesOf(img: PvmImage): Map<number, Uint8Array> {
  return new Map(img.pages);
}

export { isZero as isZeroPvmPage };
