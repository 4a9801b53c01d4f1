/**
 * The Wasm actor image (DESIGN §5): memory as 64 KiB pages, the program's mutable globals, the call
 * depth, main's status, main's arguments and the suspended continuation (Asyncify data).
 *
 * Images are immutable values. A new image derived from an older one shares its unchanged page buffers
 * and its cached page hashes, so hashing after a play re-hashes only the changed pages and the ~log2(n)
 * Merkle nodes above them. The exact encoding and hash are specified in docs/abi.md, "Actor image".
 */
import type { CodeHash, Hash, StateHash } from "../codec/ids.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { PAGE_SIZE } from "./abi.ts";
import type { ActorImage, MainStatus } from "./engine.ts";
import { ImageError } from "./errors.ts";
import { decodeFibres, encodeFibres, type FibreTable, type Wake, wakeOf } from "./fibre/table.ts";
import type { WasmValueType } from "./instrument/layout.ts";
import { Reader, Writer } from "./scale-io.ts";

/** Image encoding tags (the first byte). */
const TAG_FULL = 0;
const TAG_DELTA = 1;
/** Engine kinds: only Wasm for now (DESIGN §2: RISC-V later). */
const ENGINE_WASM = 0;
/** Hash domain separators (docs/abi.md, "Image hash"). */
const D_LEAF = new Uint8Array([0]);
const D_NODE = new Uint8Array([1]);
const D_REST = new Uint8Array([2]);
const D_ROOT = new Uint8Array([3]);

const STATUSES: readonly MainStatus[] = ["pending", "suspended", "ended", "failed"];
/** Set in the status byte when a fibre table follows the continuation (an image that never used fibres has none). */
const HAS_FIBRES = 0x80;

/** A shared all-zero page, for comparisons only (never written). */
export const ZERO_PAGE = new Uint8Array(PAGE_SIZE);
/** blake2b-256(0x00 ‖ 65536 zero bytes): the leaf of every zero page. */
export const ZERO_LEAF: Hash = blake2b256(D_LEAF, ZERO_PAGE);
/** The root of an image with no pages. */
const EMPTY_ROOT = new Uint8Array(32) as Hash;

/** ZERO_NODES[k] = root of a full tree of 2^k zero pages (identity-compared to skip hashing). */
const ZERO_NODES: Hash[] = [ZERO_LEAF];
for (let k = 1; k <= 32; k++) ZERO_NODES.push(blake2b256(D_NODE, ZERO_NODES[k - 1], ZERO_NODES[k - 1]));

/** True when `page` is all zero bytes (memcmp speed). */
export function isZeroPage(page: Uint8Array): boolean {
  return Buffer.from(page.buffer, page.byteOffset, page.byteLength).equals(ZERO_PAGE);
}

export function pagesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  const x = a ?? ZERO_PAGE;
  const y = b ?? ZERO_PAGE;
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
    Buffer.from(y.buffer, y.byteOffset, y.byteLength),
  );
}

export function leafHash(page: Uint8Array | undefined): Hash {
  return page === undefined ? ZERO_LEAF : blake2b256(D_LEAF, page);
}

function nodeHash(level: number, l: Hash, r: Hash): Hash {
  if (l === ZERO_NODES[level] && r === ZERO_NODES[level]) return ZERO_NODES[level + 1];
  return blake2b256(D_NODE, l, r);
}

/** Builds every level of the Merkle tree above `leaves`; an odd last node is carried up unchanged. */
function buildLevels(leaves: Hash[]): Hash[][] {
  const levels = [leaves];
  let cur = leaves;
  while (cur.length > 1) {
    const next: Hash[] = new Array(Math.ceil(cur.length / 2));
    for (let i = 0; i < next.length; i++) {
      next[i] = 2 * i + 1 < cur.length ? nodeHash(levels.length - 1, cur[2 * i], cur[2 * i + 1]) : cur[2 * i];
    }
    levels.push(next);
    cur = next;
  }
  return levels;
}

/** Recomputes only the paths above `changed` leaves (levels already copied and leaves updated). */
function updateLevels(levels: Hash[][], changed: Iterable<number>): void {
  let idx = new Set(changed);
  for (let k = 0; k + 1 < levels.length; k++) {
    const cur = levels[k];
    const up = new Set<number>();
    for (const i of idx) up.add(i >>> 1);
    for (const j of up) {
      levels[k + 1][j] = 2 * j + 1 < cur.length ? nodeHash(k, cur[2 * j], cur[2 * j + 1]) : cur[2 * j];
    }
    idx = up;
  }
}

/** Everything in an image but the pages: the "rest" of DESIGN §5. */
export interface ImageRest {
  readonly codeHash: CodeHash;
  readonly pageCount: number;
  /** The program's mutable globals in index order, as u64 bit patterns (i32/f32 zero-extended). */
  readonly globals: readonly bigint[];
  /** `__cp_depth` when the image was taken (non-zero only inside a suspended `main`). */
  readonly depth: number;
  readonly status: MainStatus;
  /** main's input: kept while main is pending or suspended, empty once it ended. */
  readonly args: Uint8Array;
  /** Asyncify data of the suspended `main`; empty unless `status` is `suspended`. */
  readonly continuation: Uint8Array;
  /** The other fibres and what each waits for (DESIGN §13); absent until the actor uses fibres. */
  readonly fibres?: FibreTable;
}

export interface ImageFields extends ImageRest {
  /** `pageCount` entries; `undefined` is a zero page. Buffers are never mutated once in an image. */
  readonly pages: readonly (Uint8Array | undefined)[];
}

/** What an image must agree with to belong to a program (checked on decode). */
export interface ImageContext {
  codeHash: CodeHash;
  globalTypes: readonly WasmValueType[];
  maxPages: number;
  /** The program's initial memory: an image never has fewer pages. */
  minPages: number;
  /** Bytes available for the continuation in the runtime's Asyncify area. */
  maxContinuation: number;
}

function encodeRest(w: Writer, r: ImageRest): void {
  w.u8(ENGINE_WASM);
  w.raw(r.codeHash);
  w.u32(r.pageCount);
  w.compact(r.globals.length);
  for (const g of r.globals) w.u64(g);
  w.u32(r.depth);
  w.u8(STATUSES.indexOf(r.status) | (r.fibres === undefined ? 0 : HAS_FIBRES));
  w.vec(r.args);
  w.vec(r.continuation);
  if (r.fibres !== undefined) encodeFibres(w, r.fibres);
}

function decodeRest(r: Reader, ctx: ImageContext): ImageRest {
  const engine = r.u8();
  if (engine !== ENGINE_WASM) throw r.corrupt(`unknown engine kind ${engine}`);
  const codeHash = r.raw(32);
  if (!Buffer.from(codeHash).equals(Buffer.from(ctx.codeHash))) {
    throw new ImageError("Image of another program", {
      code: "WRONG_PROGRAM",
      details: `image code hash 0x${Buffer.from(codeHash).toString("hex")}, program 0x${Buffer.from(ctx.codeHash).toString("hex")}`,
    });
  }
  const pageCount = r.u32();
  if (pageCount > ctx.maxPages) throw r.corrupt(`${pageCount} pages above the cap of ${ctx.maxPages}`);
  if (pageCount < ctx.minPages) throw r.corrupt(`${pageCount} pages, below the program's ${ctx.minPages}`);
  const n = r.compact();
  if (n !== ctx.globalTypes.length)
    throw r.corrupt(`${n} globals, the program has ${ctx.globalTypes.length}`);
  const globals: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const g = r.u64();
    const t = ctx.globalTypes[i];
    if ((t === "i32" || t === "f32") && g > 0xffff_ffffn)
      throw r.corrupt(`global ${i} (${t}) has high bits set`);
    globals.push(g);
  }
  const depth = r.u32();
  const byte = r.u8();
  const s = byte & ~HAS_FIBRES;
  const status = STATUSES[s];
  if (status === undefined) throw r.corrupt(`unknown main status ${s}`);
  const args = r.vec(ctx.maxPages * PAGE_SIZE).slice();
  const continuation = r.vec(ctx.maxContinuation).slice();
  if ((status === "suspended") !== continuation.byteLength > 0) {
    throw r.corrupt(`status ${status} with a ${continuation.byteLength}-byte continuation`);
  }
  if ((status === "ended" || status === "failed") && args.byteLength > 0) {
    throw r.corrupt(`status ${status} with pending args`);
  }
  const rest = {
    codeHash: codeHash.slice() as CodeHash,
    pageCount,
    globals,
    depth,
    status,
    args,
    continuation,
  };
  if ((byte & HAS_FIBRES) === 0) return rest;
  return { ...rest, fibres: decodeFibres(r, status === "suspended") };
}

/**
 * An immutable actor image with an incrementally maintained Merkle tree over its pages.
 *
 * @example
 * const img = createImage({ codeHash, pageCount: 1, pages: [undefined], globals: [], depth: 0,
 *   status: "pending", args: new Uint8Array(), continuation: new Uint8Array() });
 * img.hash; // blake2b-256 Merkle root (docs/abi.md)
 */
export class WasmImage implements ActorImage, ImageFields {
  readonly engine = "wasm" as const;
  readonly codeHash: CodeHash;
  readonly pageCount: number;
  readonly pages: readonly (Uint8Array | undefined)[];
  readonly globals: readonly bigint[];
  readonly depth: number;
  readonly status: MainStatus;
  readonly args: Uint8Array;
  readonly continuation: Uint8Array;
  readonly fibres: FibreTable | undefined;

  /** Merkle levels once hashed; before that, the nearest hashed ancestor and the pages changed since. */
  private levels: Hash[][] | undefined;
  private base: WasmImage | undefined;
  private changed: Set<number> | undefined;
  private cachedHash: StateHash | undefined;

  constructor(f: ImageFields, base?: WasmImage, changed?: Iterable<number>) {
    if (f.pages.length !== f.pageCount) throw new RangeError("pages.length must equal pageCount");
    this.codeHash = f.codeHash;
    this.pageCount = f.pageCount;
    this.pages = f.pages;
    this.globals = f.globals;
    this.depth = f.depth;
    this.status = f.status;
    this.args = f.args;
    this.continuation = f.continuation;
    this.fibres = f.fibres;
    if (base !== undefined) {
      // Skip unhashed ancestors: their changes fold into ours, so chains of plays hash once.
      if (base.levels !== undefined) {
        this.base = base;
        this.changed = new Set(changed);
      } else if (base.base !== undefined) {
        this.base = base.base;
        this.changed = new Set([...(base.changed ?? []), ...(changed ?? [])]);
      }
    }
  }

  /** When this actor wants a Service next (relay-visible: the image is committed by its state hash). */
  wake(): Wake {
    return wakeOf(this.status === "pending" || this.status === "suspended", this.fibres);
  }

  /** Merkle root of the page hashes (zero pages cost nothing: their leaf is precomputed). */
  get pagesRoot(): Hash {
    if (this.levels === undefined) this.levels = this.computeLevels();
    this.base = undefined;
    this.changed = undefined;
    const top = this.levels[this.levels.length - 1];
    return top.length === 0 ? EMPTY_ROOT : top[0];
  }

  /** blake2b-256(0x03 ‖ pagesRoot ‖ blake2b-256(0x02 ‖ rest)) — docs/abi.md, "Image hash". */
  get hash(): StateHash {
    if (this.cachedHash === undefined) {
      const w = new Writer(128 + this.args.byteLength + this.continuation.byteLength);
      encodeRest(w, this);
      const restHash = blake2b256(D_REST, w.finish());
      this.cachedHash = blake2b256(D_ROOT, this.pagesRoot, restHash) as Uint8Array as StateHash;
    }
    return this.cachedHash;
  }

  /** The page hashes (leaves), computing what is missing. */
  pageHashes(): readonly Hash[] {
    void this.pagesRoot;
    return this.levels![0];
  }

  private computeLevels(): Hash[][] {
    const base = this.base;
    const changed = this.changed ?? new Set<number>();
    const baseLevels = base?.levels;
    if (baseLevels !== undefined && base!.pageCount === this.pageCount) {
      const levels = baseLevels.map((l) => l.slice());
      for (const i of changed) levels[0][i] = leafHash(this.pages[i]);
      updateLevels(levels, changed);
      return levels;
    }
    const leaves: Hash[] = new Array(this.pageCount);
    for (let i = 0; i < this.pageCount; i++) {
      leaves[i] =
        baseLevels !== undefined && i < base!.pageCount && !changed.has(i)
          ? baseLevels[0][i]
          : leafHash(this.pages[i]);
    }
    return buildLevels(leaves);
  }

  /** Canonical full encoding: `0x00 ‖ rest ‖ compact(n) ‖ n × (u32 index ‖ page)`, non-zero pages only. */
  encode(): Uint8Array {
    const nonZero: number[] = [];
    for (let i = 0; i < this.pageCount; i++) if (this.pages[i] !== undefined) nonZero.push(i);
    const w = new Writer(
      256 + this.args.byteLength + this.continuation.byteLength + nonZero.length * (PAGE_SIZE + 4),
    );
    w.u8(TAG_FULL);
    encodeRest(w, this);
    w.compact(nonZero.length);
    for (const i of nonZero) {
      w.u32(i);
      w.raw(this.pages[i]!);
    }
    return w.finish();
  }

  /**
   * Delta encoding against `base`: `0x01 ‖ base hash ‖ rest ‖ compact(n) ‖ n × (u32 index ‖ kind ‖ page?)`
   * listing the pages that differ (kind 0 = now zero, 1 = the page follows).
   */
  encodeDelta(base: ActorImage): Uint8Array {
    if (!(base instanceof WasmImage)) throw new TypeError("encodeDelta: base must be a Wasm image");
    const entries: number[] = [];
    for (let i = 0; i < this.pageCount; i++) {
      const before = i < base.pageCount ? base.pages[i] : undefined;
      if (!pagesEqual(this.pages[i], before)) entries.push(i);
    }
    const w = new Writer(
      256 + this.args.byteLength + this.continuation.byteLength + entries.length * (PAGE_SIZE + 5),
    );
    w.u8(TAG_DELTA);
    w.raw(base.hash);
    encodeRest(w, this);
    w.compact(entries.length);
    for (const i of entries) {
      w.u32(i);
      const page = this.pages[i];
      w.u8(page === undefined ? 0 : 1);
      if (page !== undefined) w.raw(page);
    }
    return w.finish();
  }
}

/**
 * An image from fields; with `base`, the pages listed in `changed` are the only ones that differ from
 * it (the rest share `base`'s buffers and hashes).
 */
export function createImage(fields: ImageFields, base?: WasmImage, changed?: Iterable<number>): WasmImage {
  return new WasmImage(fields, base, changed);
}

/** Decodes a full image strictly: truncated, trailing, non-canonical or foreign bytes throw ImageError. */
export function decodeImage(bytes: Uint8Array, ctx: ImageContext): WasmImage {
  const r = new Reader(bytes.slice());
  const tag = r.u8();
  if (tag !== TAG_FULL)
    throw r.corrupt(tag === TAG_DELTA ? "a delta where a full image is required" : `unknown tag ${tag}`);
  const rest = decodeRest(r, ctx);
  const pages: (Uint8Array | undefined)[] = new Array(rest.pageCount).fill(undefined);
  const n = r.compact();
  if (n > rest.pageCount) throw r.corrupt(`${n} pages listed, the image has ${rest.pageCount}`);
  let last = -1;
  for (let k = 0; k < n; k++) {
    const i = r.u32();
    if (i <= last || i >= rest.pageCount) throw r.corrupt(`page index ${i} out of order or range`);
    const page = r.raw(PAGE_SIZE);
    if (isZeroPage(page)) throw r.corrupt(`page ${i} is zero (zero pages are omitted)`);
    pages[i] = page;
    last = i;
  }
  r.end();
  return new WasmImage({ ...rest, pages });
}

/** Decodes a slab `post`: a full image, or a delta against `base` (whose hash it names). */
export function decodeImageAgainst(base: WasmImage, bytes: Uint8Array, ctx: ImageContext): WasmImage {
  if (bytes[0] !== TAG_DELTA) return decodeImage(bytes, ctx);
  const r = new Reader(bytes.slice());
  r.u8();
  const baseHash = r.raw(32);
  if (!Buffer.from(baseHash).equals(Buffer.from(base.hash))) {
    throw new ImageError("Delta against another base image", {
      code: "WRONG_BASE",
      details: `delta names base 0x${Buffer.from(baseHash).toString("hex")}`,
    });
  }
  const rest = decodeRest(r, ctx);
  const pages: (Uint8Array | undefined)[] = new Array(rest.pageCount);
  for (let i = 0; i < rest.pageCount; i++) pages[i] = i < base.pageCount ? base.pages[i] : undefined;
  const n = r.compact();
  if (n > rest.pageCount) throw r.corrupt(`${n} pages listed, the image has ${rest.pageCount}`);
  const changed: number[] = [];
  let last = -1;
  for (let k = 0; k < n; k++) {
    const i = r.u32();
    if (i <= last || i >= rest.pageCount) throw r.corrupt(`page index ${i} out of order or range`);
    const kind = r.u8();
    if (kind === 0) pages[i] = undefined;
    else if (kind === 1) {
      const page = r.raw(PAGE_SIZE);
      if (isZeroPage(page)) throw r.corrupt(`page ${i} is zero but not marked so`);
      pages[i] = page;
    } else throw r.corrupt(`unknown page kind ${kind}`);
    changed.push(i);
    last = i;
  }
  r.end();
  return new WasmImage({ ...rest, pages }, base, changed);
}
