/**
 * The fibre table of an actor image (DESIGN §13): the fibres beside `main` (fibre 0), each with its own
 * suspended continuation, and what every fibre waits for. Part of the image's "rest", so the image hash
 * covers every fibre. Pure data and its strict SCALE-style encoding (docs/abi.md, "Fibres").
 */
import { FIBRE_STACK_BYTES, MAX_FIBRES } from "../gas.ts";
import type { Reader, Writer } from "../scale-io.ts";

/** What a fibre waits for before a Service may run it again. */
export type FibreWait =
  /** Nothing: it runs at the next Service step (it yielded, was preempted, or has not started). */
  | { kind: "run" }
  | { kind: "postcard" }
  /** The relay block number `at` (it runs in the first play with `now >= at`). */
  | { kind: "block"; at: number }
  /** Fibre `id` ending (normally or with an error). */
  | { kind: "fibre"; id: number };

export const RUN: FibreWait = { kind: "run" };

/** A spawned fibre (id ≥ 1). One that ended is no longer in the table. */
export interface Fibre {
  readonly id: number;
  /** What `cp_fibre(entry, arg)` is called with: opaque to the engine (the SDK's function pointer). */
  readonly entry: number;
  readonly arg: number;
  readonly status: "pending" | "suspended";
  readonly wait: FibreWait;
  /** `__cp_depth` at its suspension (0 while pending). */
  readonly depth: number;
  /** Its Asyncify data; empty while pending. */
  readonly continuation: Uint8Array;
}

/** Everything fibres add to an image; main's status, depth and continuation stay where they were. */
export interface FibreTable {
  /** The next id `fibre_spawn` gives: ids are never reused, so a `join` cannot wake on a newcomer. */
  readonly nextId: number;
  /** What main waits for while it is suspended (`run` otherwise). */
  readonly mainWait: FibreWait;
  /** Spawned fibres alive, ascending id. */
  readonly fibres: readonly Fibre[];
  /**
   * The fibre that was preempted (a preemptible program ran out of gas inside it), if any. It may have
   * stopped anywhere, inside the language runtime's allocator too, so its stack is not saved and it
   * resumes before any other fibre runs, until it suspends by itself or ends.
   */
  readonly held?: number;
}

/** The table of an image that never used fibres. */
export const EMPTY_TABLE: FibreTable = { nextId: 1, mainWait: RUN, fibres: [] };

const NO_FIBRE = 0xffff_ffff;

const WAIT_KINDS = ["run", "postcard", "block", "fibre"] as const;

function encodeWait(w: Writer, wait: FibreWait): void {
  w.u8(WAIT_KINDS.indexOf(wait.kind));
  w.u32(wait.kind === "block" ? wait.at : wait.kind === "fibre" ? wait.id : 0);
}

function decodeWait(r: Reader): FibreWait {
  const k = r.u8();
  const v = r.u32();
  const kind = WAIT_KINDS[k];
  if (kind === undefined) throw r.corrupt(`unknown fibre wait ${k}`);
  if (kind === "block") return { kind, at: v };
  if (kind === "fibre") return { kind, id: v };
  if (v !== 0) throw r.corrupt(`fibre wait ${kind} with a value`);
  return kind === "run" ? RUN : { kind };
}

/** `u32 nextId ‖ u32 held (0xffffffff: none) ‖ wait(main) ‖ compact(n) ‖ n × (u32 id ‖ u32 entry ‖ u32 arg ‖ u8 status ‖ wait ‖ u32 depth ‖ vec continuation)`. */
export function encodeFibres(w: Writer, t: FibreTable): void {
  w.u32(t.nextId);
  w.u32(t.held ?? NO_FIBRE);
  encodeWait(w, t.mainWait);
  w.compact(t.fibres.length);
  for (const f of t.fibres) {
    w.u32(f.id);
    w.u32(f.entry);
    w.u32(f.arg);
    w.u8(f.status === "pending" ? 0 : 1);
    encodeWait(w, f.wait);
    w.u32(f.depth);
    w.vec(f.continuation);
  }
}

/** Strict: every field must be what the engine could have written (docs/abi.md, "Fibres"). */
export function decodeFibres(r: Reader, mainSuspended: boolean): FibreTable {
  const nextId = r.u32();
  if (nextId < 1) throw r.corrupt("fibre nextId 0");
  const heldRaw = r.u32();
  const held = heldRaw === NO_FIBRE ? undefined : heldRaw;
  const mainWait = decodeWait(r);
  if (!mainSuspended && mainWait.kind !== "run") throw r.corrupt("main waits but is not suspended");
  const n = r.compact();
  if (n > MAX_FIBRES - 1) throw r.corrupt(`${n} fibres above the limit of ${MAX_FIBRES}`);
  const fibres: Fibre[] = [];
  let last = 0;
  for (let i = 0; i < n; i++) {
    const id = r.u32();
    if (id <= last || id >= nextId) throw r.corrupt(`fibre id ${id} out of order or range`);
    const entry = r.u32();
    const arg = r.u32();
    const s = r.u8();
    if (s > 1) throw r.corrupt(`unknown fibre status ${s}`);
    const status = s === 0 ? "pending" : "suspended";
    const wait = decodeWait(r);
    const depth = r.u32();
    const continuation = r.vec(FIBRE_STACK_BYTES).slice();
    if ((status === "suspended") !== continuation.byteLength > 0)
      throw r.corrupt(`fibre ${id} ${status} with a ${continuation.byteLength}-byte continuation`);
    if (status === "pending" && (depth !== 0 || wait.kind !== "run"))
      throw r.corrupt(`pending fibre ${id} with a depth or a wait`);
    fibres.push({ id, entry, arg, status, wait, depth, continuation });
    last = id;
  }
  if (held !== undefined) {
    const ready =
      held === 0
        ? mainSuspended && mainWait.kind === "run"
        : fibres.some((f) => f.id === held && f.status === "suspended" && f.wait.kind === "run");
    if (!ready) throw r.corrupt(`held fibre ${held} is not suspended and ready`);
    return { nextId, mainWait, fibres, held };
  }
  return { nextId, mainWait, fibres };
}

/** When an actor wants a Service next (DESIGN §13): the relay-visible wake condition of its image. */
export interface Wake {
  /** Some fibre can run at once (pending, yielded or preempted). */
  ready: boolean;
  /** Some fibre waits for a postcard: mail in its pigeonhole wakes it. */
  postcard: boolean;
  /** The earliest block number a sleeping fibre waits for. */
  block: number | undefined;
}

/** Nothing to do until a call comes. */
export const ASLEEP: Wake = { ready: false, postcard: false, block: undefined };

/** The wake condition of fibres whose main has `mainLive` (pending or suspended) and table `t`. */
export function wakeOf(mainLive: boolean, t: FibreTable | undefined): Wake {
  const table = t ?? EMPTY_TABLE;
  const out: Wake = { ready: false, postcard: false, block: undefined };
  const add = (w: FibreWait) => {
    if (w.kind === "run") out.ready = true;
    else if (w.kind === "postcard") out.postcard = true;
    else if (w.kind === "block") out.block = out.block === undefined ? w.at : Math.min(out.block, w.at);
    // a join wakes when the joined fibre ends, which needs that fibre to run: it adds nothing itself
  };
  if (mainLive) add(table.mainWait);
  for (const f of table.fibres) add(f.wait);
  return out;
}

/** Whether an actor with wake condition `w` has work in the play at `now` with `mail` postcards waiting. */
export function wakes(w: Wake, now: number, mail: number): boolean {
  return w.ready || (w.postcard && mail > 0) || (w.block !== undefined && w.block <= now);
}
