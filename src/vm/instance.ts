/**
 * A live Wasm actor: one WebAssembly instance of an instrumented program with an image loaded
 * (DESIGN §5, §6; runtime duties in src/vm/instrument/layout.ts).
 *
 * After every entry the instance either commits (the changed pages are copied into its committed state)
 * or rolls back to the committed state (only the changed pages are written back). Changed pages are
 * found from the dirty-page map when the program was instrumented with `trackWrites`, else by comparing
 * memory with the committed pages. The committed state becomes an immutable image (sharing unchanged
 * pages with the previous one) only when one is asked for: a play of 400 calls makes one image, not 400.
 */
import type { ActorId } from "../codec/ids.ts";
import type { CallError, CallOutput } from "../codec/types.ts";
import { FIBRE_WAIT, HOST_ERROR, PAGE_SIZE } from "./abi.ts";
import type { ActorInstance, CallOutcome, FibreRun, HostEnv, MainStatus, ServiceOutcome } from "./engine.ts";
import { EMPTY_TABLE, type Fibre, type FibreTable, type FibreWait, RUN, wakeOf } from "./fibre/table.ts";
import { FIBRE_STACK_BYTES, hostCost, MAX_FIBRES, PAGE_DIRTY_GAS } from "./gas.ts";
import { createHostImports, type EntryKind, HostAbort, type HostRuntime } from "./host.ts";
import { createImage, type ImageFields, type ImageRest, type WasmImage, ZERO_PAGE } from "./image.ts";
import { FAULT, type Instrumented, type WasmValueType } from "./instrument/layout.ts";
import { callerDepth } from "./nesting.ts";

const EMPTY = new Uint8Array(0);

/** A program's instances handed back for reuse (see {@link WasmActorInstance.release}). */
export interface InstanceSpares {
  put(instance: WasmActorInstance): void;
}
const I64_MAX = (1n << 63n) - 1n;

/** The committed state: an image's fields, with a page table of the instance's own. */
type Committed = Omit<ImageFields, "pages"> & { pages: Array<Uint8Array | undefined> };
/** What an entry's commit sets beside memory and globals. */
type CommitRest = Pick<ImageRest, "status" | "args" | "continuation" | "depth" | "fibres">;

/** What an instance needs from its program (see wasm-engine.ts). */
export interface CompiledProgram {
  readonly module: WebAssembly.Module;
  readonly layout: Instrumented;
  readonly maxPages: number;
  readonly trackWrites: boolean;
  /** From the program's metadata: gas exhaustion preempts `main` instead of failing it (DESIGN §6). */
  readonly preemptible: boolean;
}

interface Exports {
  memory: WebAssembly.Memory;
  main: () => void;
  call: (origin: bigint) => number;
  payout?: (now: bigint) => bigint;
  dependencies?: (now: bigint) => void;
  _initialize?: () => void;
  upgrade?: () => void;
  cp_fibre?: (entry: number, arg: number) => void;
  cp_fibre_save?: (id: number) => void;
  cp_fibre_restore?: (id: number) => void;
  cp_fibre_drop?: (id: number) => void;
  __cp_start?: () => void;
  __cp_gas: WebAssembly.Global;
  __cp_fault: WebAssembly.Global;
  __cp_depth: WebAssembly.Global;
  __cp_pages: WebAssembly.Global;
  __cp_flush: () => void;
  asyncify_start_unwind: (ptr: number) => void;
  asyncify_stop_unwind: () => void;
  asyncify_start_rewind: (ptr: number) => void;
  asyncify_stop_rewind: () => void;
  asyncify_get_state: () => number;
}

type Failure = "OutOfGas" | "Trap" | "YieldInCall";
type Run<T> =
  | { ok: true; value: T; left: bigint }
  | { ok: false; kind: Failure; reason: string; left: bigint };

const scratch = new DataView(new ArrayBuffer(8));

/** Global value → u64 bit pattern (the image's representation). */
function toBits(type: WasmValueType, v: number | bigint): bigint {
  switch (type) {
    case "i32":
      return BigInt((v as number) >>> 0);
    case "i64":
      return BigInt.asUintN(64, v as bigint);
    case "f32":
      scratch.setFloat32(0, v as number, true);
      return BigInt(scratch.getUint32(0, true));
    case "f64":
      scratch.setFloat64(0, v as number, true);
      return scratch.getBigUint64(0, true);
  }
}

function fromBits(type: WasmValueType, bits: bigint): number | bigint {
  switch (type) {
    case "i32":
      return Number(BigInt.asIntN(32, bits));
    case "i64":
      return BigInt.asIntN(64, bits);
    case "f32":
      scratch.setUint32(0, Number(bits), true);
      return scratch.getFloat32(0, true);
    case "f64":
      scratch.setBigUint64(0, bits, true);
      return scratch.getFloat64(0, true);
  }
}

export class WasmActorInstance implements ActorInstance, HostRuntime {
  // HostRuntime state for the entry in progress.
  kind: EntryKind = "init";
  input: Uint8Array = EMPTY;
  reply: Uint8Array = EMPTY;
  resultBuffer: Uint8Array = EMPTY;
  private unwound: "yield" | "preempt" | undefined;
  private busy = false;
  /** The fibre running now (DESIGN §13): 0 is main, -1 outside a fibre. */
  fibre = -1;
  /** The fibre table as the running entry changes it (spawns); committed with the entry. */
  private table: FibreTable | undefined;
  /** What the running fibre's next yield waits for (`fibre_wait`), and what its last suspension did. */
  private armed: FibreWait = RUN;
  private suspendedOn: FibreWait = RUN;
  /** Between Asyncify's start and stop of an unwind: no code of the program runs, only Asyncify's. */
  private unwinding = false;
  /**
   * Pages already charged PAGE_DIRTY_GAS in this Service step: the step is one entry, so a page that
   * several fibres change (the heap, the stack they share) is paid once, by the first.
   */
  private readonly charged = new Set<number>();

  private ex!: Exports;
  private globals!: WebAssembly.Global[];
  private committed!: Committed;
  /** The committed state as an image, once one was asked for (undefined again after the next commit). */
  private committedImage: WasmImage | undefined;
  /** The last image made, and the pages committed since: the next image hashes only those. */
  private lastImage!: WasmImage;
  private sinceLastImage = new Set<number>();
  /**
   * Committed pages whose buffers this instance allocated since an image was last made: no image can
   * hold them, so the next commit may overwrite them in place instead of allocating a fresh 64 KiB copy
   * per changed page.
   */
  private owned = new Set<number>();
  /** A Buffer over the memory's current ArrayBuffer (replaced when `memory.grow` detaches it). */
  private memView: Buffer = Buffer.alloc(0);
  /** Where the logical memory starts in the physical one: above the scratch (layout.ts). */
  private readonly base: number;

  /**
   * `image` undefined: a fresh instance for `createImage` (data segments only; call {@link initialise}).
   */
  constructor(
    private readonly program: CompiledProgram,
    public actor: ActorId,
    image: WasmImage | undefined,
    public host: HostEnv | undefined,
    /** Where {@link release} hands the instance back (undefined: nowhere, it is dropped). */
    private readonly spares?: InstanceSpares,
  ) {
    this.base = program.layout.reservedPages * PAGE_SIZE;
    this.instantiate(image);
  }

  /**
   * Loads another actor's image into this instance, keeping its WebAssembly instance and memory (a new
   * one costs more than a whole small play). Everything an image does not hold is as in a new instance:
   * every logical page and the scratch are written, the globals and depth set, Asyncify is idle and the
   * hoisted ranges were flushed by the last entry. Only an instance whose memory is not larger than the
   * image needs may be reseated: physical memory is always logical + reserved pages (layout.ts).
   */
  reseat(actor: ActorId, image: WasmImage, host: HostEnv | undefined): void {
    this.actor = actor;
    this.host = host;
    this.kind = "init";
    this.input = EMPTY;
    this.reply = EMPTY;
    this.resultBuffer = EMPTY;
    this.unwound = undefined;
    this.busy = false;
    // Holding that very image already: memory, globals and scratch are as it says (every entry ends
    // in a commit or a rollback, layout.ts "Runtime duties"), so the instance goes on as a continuous
    // one would, without rewriting its pages.
    if (this.holds(image)) this.writeState(image);
    else this.load(image, true);
  }

  /**
   * Whether the memory holds `image`'s pages: it is the last image this instance made or was loaded
   * with, and no page was committed since (nor the memory grown: a new page may be zero, so unlisted).
   */
  holds(image: WasmImage): boolean {
    return (
      !this.busy &&
      this.lastImage === image &&
      this.sinceLastImage.size === 0 &&
      this.committed.pageCount === image.pageCount
    );
  }

  /** Physical memory in pages. */
  get physicalPages(): number {
    return this.ex.memory.buffer.byteLength / PAGE_SIZE;
  }

  release(): void {
    if (this.busy) return; // released from inside an entry: a bug of the caller, never reused
    this.spares?.put(this);
  }

  private instantiate(image: WasmImage | undefined): void {
    const inst = new WebAssembly.Instance(this.program.module, createHostImports(this));
    this.ex = inst.exports as unknown as Exports;
    this.globals = this.program.layout.globals.map(
      (g) => this.ex[g.exportName as keyof Exports] as WebAssembly.Global,
    );
    this.owned.clear();
    if (image !== undefined) this.load(image);
  }

  /**
   * Writes an image into the memory: a fresh one (whose data segments are already applied, and whose
   * pages beyond them are zero), or with `reused` one that held another image (every page is written,
   * the scratch zeroed).
   */
  private load(image: WasmImage, reused = false): void {
    const { reservedPages, initialPages } = this.program.layout;
    const mem = this.ex.memory;
    const have = mem.buffer.byteLength / PAGE_SIZE;
    if (have < image.pageCount + reservedPages) mem.grow(image.pageCount + reservedPages - have);
    const bytes = this.mem();
    const base = this.base;
    const zeroFrom = reused ? image.pageCount : initialPages;
    for (let i = 0; i < image.pageCount; i++) {
      const p = image.pages[i];
      if (p !== undefined) bytes.set(p, base + i * PAGE_SIZE);
      else if (i < zeroFrom) bytes.fill(0, base + i * PAGE_SIZE, base + (i + 1) * PAGE_SIZE);
    }
    if (reused) {
      bytes.fill(0, 0, base);
      bytes.fill(0, base + image.pageCount * PAGE_SIZE);
    }
    this.writeState(image);
  }

  /** Everything of `image` but its pages: the logical size, globals and depth, and the committed state. */
  private writeState(image: WasmImage): void {
    this.ex.__cp_pages.value = image.pageCount;
    this.writeGlobals(image);
    this.ex.__cp_depth.value = image.depth;
    this.adopt(image);
  }

  /** Makes `image` the committed state. */
  private adopt(image: WasmImage): void {
    const { codeHash, pageCount, globals, depth, status, args, continuation, fibres } = image;
    this.committed = {
      codeHash,
      pageCount,
      pages: image.pages.slice(),
      globals,
      depth,
      status,
      args,
      continuation,
      fibres,
    };
    this.committedImage = image;
    this.lastImage = image;
    this.sinceLastImage = new Set();
    this.owned.clear();
  }

  /** The committed state as an immutable image (made now if the state moved on since the last one). */
  private committedAsImage(): WasmImage {
    let img = this.committedImage;
    if (img === undefined) {
      img = createImage(
        { ...this.committed, pages: this.committed.pages.slice() },
        this.lastImage,
        this.sinceLastImage,
      );
      this.committedImage = img;
      this.lastImage = img;
      this.sinceLastImage = new Set();
    }
    // Its page table now shares the buffers: the next commit must not overwrite them.
    this.owned.clear();
    return img;
  }

  /**
   * The memory as a Buffer, made again only when the memory grew: the page compares, copies and fills of
   * every entry use Buffer's ranged `compare`/`copy`/`fill` on it instead of making views per page.
   */
  private mem(): Buffer {
    const buf = this.ex.memory.buffer;
    if (this.memView.buffer !== buf) this.memView = Buffer.from(buf);
    return this.memView;
  }

  /** Whether memory page `i` equals `page` (a zero page when undefined). */
  private pageIs(i: number, page: Uint8Array | undefined): boolean {
    const at = this.base + i * PAGE_SIZE;
    return this.mem().compare(page ?? ZERO_PAGE, 0, PAGE_SIZE, at, at + PAGE_SIZE) === 0;
  }

  private writeGlobals(image: { readonly globals: readonly bigint[] }): void {
    const types = this.program.layout.globals;
    for (let i = 0; i < types.length; i++) this.globals[i].value = fromBits(types[i].type, image.globals[i]);
  }

  private readGlobals(): bigint[] {
    const types = this.program.layout.globals;
    return this.globals.map((g, i) => toBits(types[i].type, g.value));
  }

  get image(): WasmImage {
    return this.committedAsImage();
  }

  get pages(): number {
    return this.committed.pageCount;
  }

  get status(): MainStatus {
    return this.committed.status;
  }

  snapshot(): WasmImage {
    return this.committedAsImage();
  }

  // ---- HostRuntime -------------------------------------------------------------------------------

  charge(gas: bigint): void {
    const left = this.ex.__cp_gas.value as bigint;
    if (left < gas) {
      this.ex.__cp_gas.value = 0n;
      throw new HostAbort("OutOfGas", "out of gas in a host function");
    }
    this.ex.__cp_gas.value = left - gas;
  }

  gasLeft(): bigint {
    const left = this.ex.__cp_gas.value as bigint;
    return left < 0n ? 0n : left;
  }

  depth(): number {
    return this.ex.__cp_depth.value as number;
  }

  private logicalBytes(): number {
    return (this.ex.__cp_pages.value as number) * PAGE_SIZE;
  }

  read(ptr: number, len: number): Uint8Array {
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (p + n > this.logicalBytes())
      throw new HostAbort("Trap", `host read of ${n} bytes at ${p} out of bounds`);
    const out = new Uint8Array(n);
    this.mem().copy(out, 0, this.base + p, this.base + p + n);
    return out;
  }

  write(ptr: number, bytes: Uint8Array): void {
    const p = ptr >>> 0;
    const end = this.logicalBytes();
    if (p + bytes.byteLength > end) {
      throw new HostAbort("Trap", `host write of ${bytes.byteLength} bytes at ${p} out of bounds`);
    }
    if (bytes.byteLength === 0) return;
    const mem = this.mem();
    mem.set(bytes, this.base + p);
    if (this.program.trackWrites) {
      // The map is at the bottom of the scratch (layout.ts, "Scratch layout").
      for (let i = Math.floor(p / PAGE_SIZE); i <= Math.floor((p + bytes.byteLength - 1) / PAGE_SIZE); i++) {
        mem[i] = 1;
      }
    }
  }

  private asyncifyArea(): { data: number; end: number } {
    return { data: this.program.layout.asyncifyDataOffset, end: this.base };
  }

  suspend(reason: "yield" | "preempt"): void {
    const ex = this.ex;
    if (ex.asyncify_get_state() === 2) {
      // Rewinding into the suspended stack has reached the point where it stopped: carry on from here.
      ex.asyncify_stop_rewind();
      this.clearAsyncifyArea();
      return;
    }
    if (reason === "yield") this.charge(hostCost("yield"));
    if (this.kind === "call") {
      throw new HostAbort(reason === "yield" ? "YieldInCall" : "OutOfGas", `${reason} inside call`);
    }
    if (this.kind !== "main")
      throw new HostAbort(reason === "yield" ? "Trap" : "OutOfGas", `${reason} in ${this.kind}`);
    const { data, end } = this.asyncifyArea();
    const view = new DataView(ex.memory.buffer);
    view.setUint32(data, data + 8, true);
    // A spawned fibre's continuation is bounded (gas.ts FIBRE_STACK_BYTES): Asyncify traps beyond it.
    view.setUint32(data + 4, this.fibre > 0 ? Math.min(end, data + 8 + FIBRE_STACK_BYTES) : end, true);
    this.unwound = reason;
    this.suspendedOn = reason === "preempt" ? RUN : this.armed;
    this.armed = RUN;
    this.unwinding = true;
    ex.asyncify_start_unwind(data);
  }

  // ---- fibres (DESIGN §13) -------------------------------------------------------------------------

  spawn(entry: number, arg: number): number {
    if (this.ex.cp_fibre === undefined) return HOST_ERROR.NotFound;
    const t = this.table ?? EMPTY_TABLE;
    if (t.fibres.length >= MAX_FIBRES - 1 || t.nextId >= 0x7fff_ffff) return HOST_ERROR.Full;
    const id = t.nextId;
    const born: Fibre = { id, entry, arg, status: "pending", wait: RUN, depth: 0, continuation: EMPTY };
    this.table = { ...t, nextId: id + 1, fibres: [...t.fibres, born] };
    return id;
  }

  armWait(kind: number, value: number): number {
    let wait: FibreWait;
    if (kind === FIBRE_WAIT.Postcard) wait = { kind: "postcard" };
    else if (kind === FIBRE_WAIT.Block) wait = { kind: "block", at: value };
    else if (kind === FIBRE_WAIT.Fibre) {
      if (value === this.fibre) return HOST_ERROR.NotFound;
      if (!this.alive(value, this.table))
        return value < (this.table ?? EMPTY_TABLE).nextId ? 1 : HOST_ERROR.NotFound;
      wait = { kind: "fibre", id: value };
    } else throw new HostAbort("Trap", `fibre_wait: unknown kind ${kind}`);
    if (this.satisfied(wait, this.table)) return 1;
    this.armed = wait;
    return 0;
  }

  /** Whether fibre `id` has not ended (main: pending or suspended). */
  private alive(id: number, t: FibreTable | undefined): boolean {
    if (id === 0) return this.committed.status === "pending" || this.committed.status === "suspended";
    return (t ?? EMPTY_TABLE).fibres.some((f) => f.id === id);
  }

  /** Whether a wait condition holds now (a fibre waiting on it may run). */
  private satisfied(w: FibreWait, t: FibreTable | undefined): boolean {
    switch (w.kind) {
      case "run":
        return true;
      case "postcard":
        return this.host?.hasMail?.() ?? false;
      case "block":
        return (this.host?.now ?? 0) >= w.at;
      case "fibre":
        return !this.alive(w.id, t);
    }
  }

  /**
   * The fibre to run next in this step: a held (preempted) one first, else the lowest id that has not
   * run in this step and may run now. Waiting fibres are skipped at no cost.
   */
  private nextRunnable(ran: ReadonlySet<number>): number | undefined {
    const c = this.committed;
    const t = c.fibres;
    if (t?.held !== undefined && !ran.has(t.held)) return t.held;
    if (!ran.has(0)) {
      if (c.status === "pending") return 0;
      if (c.status === "suspended" && this.satisfied(t?.mainWait ?? RUN, t)) return 0;
    }
    for (const f of t?.fibres ?? []) {
      if (!ran.has(f.id) && (f.status === "pending" || this.satisfied(f.wait, t))) return f.id;
    }
    return undefined;
  }

  private clearAsyncifyArea(): void {
    const { data, end } = this.asyncifyArea();
    this.mem().fill(0, data, end);
  }

  // ---- entries -----------------------------------------------------------------------------------

  private run<T>(kind: EntryKind, input: Uint8Array, gas: bigint, depth: number, fn: () => T): Run<T> {
    this.busy = true;
    this.kind = kind;
    this.input = input;
    this.reply = EMPTY;
    this.resultBuffer = EMPTY;
    this.unwound = undefined;
    this.unwinding = false;
    const ex = this.ex;
    ex.__cp_gas.value = gas > I64_MAX ? I64_MAX : gas < 0n ? 0n : gas;
    ex.__cp_fault.value = 0;
    ex.__cp_depth.value = depth;
    try {
      const value = fn();
      this.flushHoisted();
      return { ok: true, value, left: ex.__cp_gas.value as bigint };
    } catch (e) {
      let kind: Failure;
      let reason: string;
      if (e instanceof HostAbort) {
        kind = e.kind;
        reason = e.message;
      } else if (e instanceof WebAssembly.RuntimeError) {
        const fault = ex.__cp_fault.value as number;
        kind = fault === FAULT.OutOfGas ? "OutOfGas" : "Trap";
        reason = fault === FAULT.CallDepth ? "call depth limit exceeded" : e.message;
        // Asyncify traps when an unwind outgrows its area: for a spawned fibre, gas.ts FIBRE_STACK_BYTES.
        if (fault === FAULT.None && this.fibre > 0 && this.unwinding)
          reason = `FIBRE_STACK_OVERFLOW: fibre ${this.fibre} suspended deeper than ${FIBRE_STACK_BYTES} bytes of continuation`;
      } else if (e instanceof RangeError && /call stack/i.test(e.message)) {
        // The instrumenter's depth limit should always fire first; this is the engine's own stack.
        kind = "Trap";
        reason = `host stack exhausted: ${e.message}`;
      } else {
        this.resetAsyncify();
        this.rollback();
        throw e;
      }
      this.resetAsyncify();
      return { ok: false, kind, reason, left: ex.__cp_gas.value as bigint };
    } finally {
      this.busy = false;
      this.kind = "init";
      this.input = EMPTY;
    }
  }

  private resetAsyncify(): void {
    const state = this.ex.asyncify_get_state();
    if (state === 1) this.ex.asyncify_stop_unwind();
    else if (state === 2) this.ex.asyncify_stop_rewind();
  }

  /** Pages whose content differs from the committed image (over the current logical size). */
  private changedPages(): number[] {
    const base = this.committed;
    const n = this.ex.__cp_pages.value as number;
    const mem = this.mem();
    const out: number[] = [];
    const differs = (i: number) => !this.pageIs(i, i < base.pageCount ? base.pages[i] : undefined);
    if (this.program.trackWrites) {
      // The map is at address 0. A marked page i may also have changed page i-1: a store straddling the
      // two marks only i (layout.ts).
      const marked = (i: number) => mem[i] !== 0 || (i + 1 < n && mem[i + 1] !== 0);
      for (let i = 0; i < n; i++) if ((marked(i) || i >= base.pageCount) && differs(i)) out.push(i);
    } else {
      for (let i = 0; i < n; i++) if (differs(i)) out.push(i);
    }
    return out;
  }

  /** Always cleared, even when not read: the scratch must be identical in continuous and restored runs. */
  private clearDirtyMap(): void {
    this.mem().fill(0, 0, this.program.layout.asyncifyDataOffset);
  }

  /** Hoisted stores' pending ranges become marks (layout.ts); a program without any skips the call. */
  private flushHoisted(): void {
    if (this.program.layout.hoistedLoops > 0) this.ex.__cp_flush();
  }

  /** Puts memory and globals back to the committed image. */
  private rollback(changed?: number[]): void {
    this.flushHoisted();
    changed ??= this.changedPages();
    const base = this.committed;
    if ((this.ex.__cp_pages.value as number) !== base.pageCount) {
      // Memory grew: a Wasm memory cannot shrink, and physical size must stay logical + reserved pages
      // (accesses past the logical end trap because they are past the physical end), so start over
      // from the image.
      this.instantiate(this.committedAsImage());
      return;
    }
    const mem = this.mem();
    for (const i of changed) mem.set(base.pages[i] ?? ZERO_PAGE, this.base + i * PAGE_SIZE);
    this.writeGlobals(base);
    this.ex.__cp_depth.value = base.depth;
    this.clearDirtyMap();
    this.clearAsyncifyArea();
  }

  /** Makes the current memory and globals the committed image. */
  private commit(changed: number[], rest: CommitRest): void {
    const base = this.committed;
    const n = this.ex.__cp_pages.value as number;
    const pages = base.pages;
    for (let i = base.pageCount; i < n; i++) pages[i] = undefined;
    const mem = this.mem();
    for (const i of changed) {
      if (this.pageIs(i, undefined)) {
        pages[i] = undefined;
        this.owned.delete(i);
        continue;
      }
      let mine = this.owned.has(i) ? pages[i] : undefined;
      if (mine === undefined) {
        mine = new Uint8Array(PAGE_SIZE);
        pages[i] = mine;
        this.owned.add(i);
      }
      mem.copy(mine, 0, this.base + i * PAGE_SIZE, this.base + (i + 1) * PAGE_SIZE);
    }
    const { status, args, continuation, depth, fibres } = rest;
    this.committed = {
      codeHash: base.codeHash,
      pageCount: n,
      pages,
      globals: this.readGlobals(),
      status,
      args,
      continuation,
      depth,
      fibres,
    };
    this.committedImage = undefined;
    for (const i of changed) this.sinceLastImage.add(i);
    this.clearDirtyMap();
  }

  /** Gas used by an entry given what is left (which may be slightly negative: layout.ts). */
  private static used(limit: bigint, left: bigint): bigint {
    return left <= 0n ? limit : left >= limit ? 0n : limit - left;
  }

  /** Runs the start function and `_initialize` of a fresh instance and takes its first image. */
  initialise(codeHash: WasmImage["codeHash"], gas: bigint): { ok: true } | { ok: false; reason: string } {
    const n = this.ex.__cp_pages.value as number;
    const empty = createImage({
      codeHash,
      pageCount: n,
      pages: new Array(n).fill(undefined),
      globals: this.readGlobals(),
      depth: 0,
      status: "pending",
      args: EMPTY,
      continuation: EMPTY,
    });
    this.adopt(empty);
    const { entries } = this.program.layout;
    const r = this.run("init", EMPTY, gas, 0, () => {
      if (entries.start) this.ex.__cp_start!();
      if (entries.initialize) this.ex._initialize!();
    });
    if (!r.ok) return { ok: false, reason: `${r.kind}: ${r.reason}` };
    // Against an all-zero base, changedPages() finds every non-zero page, data segments included.
    this.commit(this.changedPagesAgainstZero(), {
      status: "pending",
      args: EMPTY,
      continuation: EMPTY,
      depth: 0,
    });
    return { ok: true };
  }

  /**
   * Runs `upgrade` (DESIGN §10) on an instance holding its program's initial image, with `input` =
   * prev code hash ++ carry; on success the result is committed with `main` pending. Without an
   * `upgrade` export the initial image is the result.
   */
  upgrade(
    input: Uint8Array,
    gas: bigint,
  ): { ok: true; gasUsed: bigint } | { ok: false; reason: string; gasUsed: bigint } {
    const f = this.ex.upgrade;
    if (f === undefined) return { ok: true, gasUsed: 0n };
    if (this.busy) return { ok: false, reason: "re-entered while running", gasUsed: 0n };
    const r = this.run("upgrade", input, gas, 0, () => f());
    if (!r.ok) {
      this.rollback();
      const gasUsed = r.kind === "OutOfGas" ? gas : WasmActorInstance.used(gas, r.left);
      return { ok: false, reason: `${r.kind}: ${r.reason}`, gasUsed };
    }
    const changed = this.changedPages();
    const left = r.left - BigInt(changed.length) * PAGE_DIRTY_GAS;
    if (left < 0n) {
      this.rollback(changed);
      return { ok: false, reason: "OutOfGas: out of gas for dirty pages", gasUsed: gas };
    }
    this.commit(changed, { status: "pending", args: EMPTY, continuation: EMPTY, depth: 0 });
    return { ok: true, gasUsed: WasmActorInstance.used(gas, left) };
  }

  private changedPagesAgainstZero(): number[] {
    const n = this.ex.__cp_pages.value as number;
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (!this.pageIs(i, undefined)) out.push(i);
    return out;
  }

  /**
   * One Service step (DESIGN §13): the runnable fibres in id order (main first), each until it yields,
   * waits or ends, with what the step has left. Fibres that wait cost nothing: they are skipped without
   * running any code. Each fibre's run is committed (or rolled back, with its effects) on its own, so a
   * fibre that traps ends with an error and the others go on. Gas running out stops the step.
   */
  service(gas: bigint): ServiceOutcome {
    if (this.busy) return { status: "trapped", gasUsed: 0n, reason: "re-entered while running" };
    const runs: FibreRun[] = [];
    let left = gas;
    let kept = false;
    const ran = new Set<number>();
    this.charged.clear();
    for (;;) {
      const id = this.nextRunnable(ran);
      if (id === undefined || left <= 0n) break;
      ran.add(id);
      const r = this.runFibre(id, left);
      runs.push(r.run);
      left -= r.run.gasUsed;
      kept ||= r.kept;
      if (r.run.status === "out-of-gas" || r.run.status === "preempted") break;
    }
    if (runs.length === 0) return { status: "idle", gasUsed: 0n };
    const gasUsed = gas - left;
    const last = runs[runs.length - 1] as FibreRun;
    const only = runs.length === 1 && last.fibre === 0 && this.committed.fibres === undefined;
    const fibres = only ? undefined : runs;
    let status: ServiceOutcome["status"];
    if (!kept) status = last.status === "out-of-gas" ? "out-of-gas" : "trapped";
    else if (last.status === "preempted") status = "preempted";
    else {
      const c = this.committed;
      const w = wakeOf(c.status === "pending" || c.status === "suspended", c.fibres);
      const alive = c.status === "suspended" || (c.fibres?.fibres.length ?? 0) > 0;
      status = w.ready ? "yielded" : alive ? "waiting" : "returned";
    }
    const reason = runs.find((r) => r.reason !== undefined)?.reason;
    return {
      status,
      gasUsed,
      ...(reason !== undefined && !kept ? { reason } : {}),
      ...(fibres ? { fibres } : {}),
    };
  }

  /** Runs fibre `id` once and commits it, or rolls it back (memory and effects). */
  private runFibre(id: number, gas: bigint): { run: FibreRun; kept: boolean } {
    const c = this.committed;
    const f = id === 0 ? undefined : c.fibres?.fibres.find((x) => x.id === id);
    const resume = f === undefined ? c.status === "suspended" : f.status === "suspended";
    const from = f ?? c;
    const ex = this.ex;
    // Programs whose language runtime keeps a stack in memory save it at every suspension (abi.ts).
    const saves = ex.cp_fibre_save !== undefined && ex.cp_fibre_restore !== undefined;
    // A held fibre was preempted: its stack was left in place (see FibreTable.held).
    const held = c.fibres?.held === id;
    const mark = this.host?.mark?.();
    this.fibre = id;
    this.table = c.fibres;
    this.armed = RUN;
    this.suspendedOn = RUN;
    const r = this.run("main", f === undefined ? c.args : EMPTY, gas, resume ? from.depth : 0, () => {
      if (resume) {
        if (saves && !held) {
          ex.__cp_depth.value = 0;
          ex.cp_fibre_restore!(id);
          ex.__cp_depth.value = from.depth;
        }
        const { data, end } = this.asyncifyArea();
        new Uint8Array(ex.memory.buffer).set(from.continuation, data + 8);
        const view = new DataView(ex.memory.buffer);
        view.setUint32(data, data + 8 + from.continuation.byteLength, true);
        view.setUint32(data + 4, end, true);
        ex.asyncify_start_rewind(data);
      }
      if (f === undefined) ex.main();
      else ex.cp_fibre!(f.entry, f.arg);
      const state = ex.asyncify_get_state();
      if (state !== 1) return { state, continuation: EMPTY, depth: 0 };
      ex.asyncify_stop_unwind();
      this.unwinding = false;
      const { data } = this.asyncifyArea();
      const top = new DataView(ex.memory.buffer).getUint32(data, true);
      const continuation = new Uint8Array(ex.memory.buffer, data + 8, top - data - 8).slice();
      this.clearAsyncifyArea();
      const depth = ex.__cp_depth.value as number;
      if (saves && this.unwound !== "preempt") {
        ex.__cp_depth.value = 0;
        ex.cp_fibre_save!(id);
      }
      return { state, continuation, depth };
    });
    const ran = this.table;
    this.fibre = -1;
    this.table = undefined;
    const failed = (kind: "OutOfGas" | "Trap", reason: string, left: bigint, changed?: number[]) => {
      if (mark !== undefined) this.host?.rollback?.(mark);
      return this.fibreFailed(id, gas, kind, reason, left, changed);
    };
    if (!r.ok) return failed(r.kind === "OutOfGas" ? "OutOfGas" : "Trap", r.reason, r.left);
    const { state, continuation, depth } = r.value;
    if (state === 2) {
      this.resetAsyncify();
      return failed("Trap", "rewind did not reach the suspension point", r.left);
    }
    const preempted = state === 1 && this.unwound === "preempt";
    const changed = this.changedPages();
    const fresh = changed.filter((i) => !this.charged.has(i));
    let left = r.left - BigInt(fresh.length) * PAGE_DIRTY_GAS;
    if (left < 0n) {
      // A preemptible fibre's pages are charged what is left when it is preempted or returns: failing
      // its last step for want of gas would repeat that step, and fail it, on every later Service.
      if (!preempted && !this.program.preemptible)
        return failed("OutOfGas", "out of gas for dirty pages", left, changed);
      left = 0n;
    }
    const wait = state === 1 ? this.suspendedOn : RUN;
    // Only programs with the hooks hold a preempted fibre: without them there is no stack to protect.
    const holds = saves && preempted;
    const table =
      ran === undefined && !holds ? undefined : { ...(ran ?? EMPTY_TABLE), held: holds ? id : undefined };
    let rest: CommitRest;
    if (f === undefined) {
      const t =
        table === undefined && wait.kind === "run"
          ? undefined
          : { ...(table ?? EMPTY_TABLE), mainWait: wait };
      rest =
        state === 1
          ? { status: "suspended", args: c.args, continuation, depth, fibres: t }
          : { status: "ended", args: EMPTY, continuation: EMPTY, depth: 0, fibres: t };
    } else {
      const t = table ?? EMPTY_TABLE;
      const fibres =
        state === 1
          ? t.fibres.map((x) =>
              x.id === id ? { ...x, status: "suspended" as const, wait, depth, continuation } : x,
            )
          : t.fibres.filter((x) => x.id !== id);
      rest = {
        status: c.status,
        args: c.args,
        continuation: c.continuation,
        depth: c.depth,
        fibres: { ...t, fibres },
      };
    }
    this.commit(changed, rest);
    for (const i of fresh) this.charged.add(i);
    const status: FibreRun["status"] =
      state === 0 ? "returned" : preempted ? "preempted" : wait.kind === "run" ? "yielded" : "waiting";
    return { run: { fibre: id, status, gasUsed: WasmActorInstance.used(gas, left) }, kept: true };
  }

  /**
   * A fibre's run failed: memory as before it. Out of gas leaves the fibre where it was; a trap ends it
   * with an error (DESIGN §4 rule 4: main is marked failed; a spawned fibre leaves the table, waking
   * whoever joins it), and the language runtime forgets what it saved for it (`cp_fibre_drop`).
   */
  private fibreFailed(
    id: number,
    gas: bigint,
    kind: "OutOfGas" | "Trap",
    reason: string,
    left: bigint,
    changed?: number[],
  ): { run: FibreRun; kept: boolean } {
    this.rollback(changed);
    if (kind === "OutOfGas") return { run: { fibre: id, status: "out-of-gas", gasUsed: gas }, kept: false };
    let used = WasmActorInstance.used(gas, left);
    const c = this.committed;
    const t = c.fibres;
    const held = t?.held === id ? undefined : t?.held;
    if (id === 0) {
      const fibres = t === undefined ? undefined : { ...t, mainWait: RUN, held };
      this.committed = { ...c, status: "failed", args: EMPTY, continuation: EMPTY, depth: 0, fibres };
    } else {
      const rest = t ?? EMPTY_TABLE;
      this.committed = { ...c, fibres: { ...rest, held, fibres: rest.fibres.filter((x) => x.id !== id) } };
    }
    this.committedImage = undefined;
    const drop = this.ex.cp_fibre_drop;
    if (drop !== undefined && gas - used > 0n) used += this.hook(() => drop(id), gas - used);
    return { run: { fibre: id, status: "trapped", gasUsed: used, reason }, kept: false };
  }

  /** A language-runtime hook (`cp_fibre_drop`) as an entry of its own: kept when it succeeds. */
  private hook(fn: () => void, gas: bigint): bigint {
    const c = this.committed;
    const r = this.run("main", EMPTY, gas, 0, fn);
    if (!r.ok) {
      this.rollback();
      return WasmActorInstance.used(gas, r.left);
    }
    const changed = this.changedPages();
    const left = r.left - BigInt(changed.length) * PAGE_DIRTY_GAS;
    if (left < 0n) {
      this.rollback(changed);
      return gas;
    }
    this.commit(changed, c);
    return WasmActorInstance.used(gas, left);
  }

  call(origin: ActorId | null, input: Uint8Array, gas: bigint): CallOutcome {
    const fail = (error: CallError, gasUsed: bigint): CallOutcome => ({
      output: { success: false, value: error },
      gasUsed,
    });
    if (this.busy) return fail({ tag: "Reentry", value: undefined }, 0n);
    // A call may spawn fibres (DESIGN §13: it may wake fibres by queueing work); they start at the next Service.
    this.table = this.committed.fibres;
    const r = this.run("call", input, gas, callerDepth(), () => this.ex.call(BigInt(origin ?? -1)));
    const table = this.table;
    this.table = undefined;
    const img = this.committed;
    if (!r.ok) {
      this.rollback();
      this.ex.__cp_depth.value = img.depth;
      const used = r.kind === "OutOfGas" ? gas : WasmActorInstance.used(gas, r.left);
      return fail({ tag: r.kind, value: undefined } as CallError, used);
    }
    const reply = this.reply;
    if (r.value !== 0) {
      this.rollback();
      const error: CallError =
        r.value === 1 ? { tag: "Actor", value: reply } : { tag: "Trap", value: undefined };
      return fail(error, WasmActorInstance.used(gas, r.left));
    }
    const changed = this.changedPages();
    const left = r.left - BigInt(changed.length) * PAGE_DIRTY_GAS;
    if (left < 0n) {
      this.rollback(changed);
      return fail({ tag: "OutOfGas", value: undefined }, gas);
    }
    this.commit(changed, {
      status: img.status,
      args: img.args,
      continuation: img.continuation,
      depth: img.depth,
      fibres: table,
    });
    const output: CallOutput = { success: true, value: reply };
    return { output, gasUsed: WasmActorInstance.used(gas, left) };
  }

  /** Runs an inspector and always rolls back (a throw-away copy of the image, DESIGN §5). */
  private inspect<T>(fn: () => T, gas: bigint): T | undefined {
    if (this.busy) return undefined;
    const r = this.run("inspect", EMPTY, gas, 0, fn);
    this.rollback();
    return r.ok ? r.value : undefined;
  }

  payout(now: number, gas: bigint): bigint {
    const f = this.ex.payout;
    if (f === undefined) return 0n;
    const v = this.inspect(() => f(BigInt(now)), gas);
    return v === undefined ? 0n : BigInt.asUintN(64, v);
  }

  dependencies(now: number, gas: bigint): ActorId[] {
    const f = this.ex.dependencies;
    if (f === undefined) return [];
    let reply: Uint8Array = EMPTY;
    const ok = this.inspect(() => {
      f(BigInt(now));
      reply = this.reply;
      return true;
    }, gas);
    if (!ok || reply.byteLength % 4 !== 0) return [];
    const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
    const ids: ActorId[] = [];
    for (let i = 0; i < reply.byteLength; i += 4) ids.push(view.getUint32(i, true) as ActorId);
    return ids;
  }
}
