/**
 * Which stores of a loop can have their dirty-page marks hoisted out of it (DESIGN §6: keep write
 * tracking cheap in hot loops).
 *
 * A store is hoistable when it sits in an innermost loop that makes no calls and no bulk memory
 * operations, and its pointer is affine in one i32 local `x` (`x`, `x << k`, `x * c`, `± c`, nested),
 * where every assignment to `x` in the loop is `x = x ± d`, all moving the address the same way by at
 * most one page. Its addresses over the loop are then monotonic with steps of at most a page, so the
 * pages it writes lie between the address at loop entry and the address of its last store. Instead of
 * a mark per store, the instrumented loop records that last address in a global (one global.set), and
 * `__cp_flush` marks the whole range later (runtime.ts, layout.ts "Hoisted stores").
 */
import binaryen from "binaryen";
import { childSlots, type ExpressionRef, X } from "./walk.ts";

export interface HoistedStore {
  store: ExpressionRef;
  /** The store's pointer expression, free of side effects: a copy evaluates it at loop entry. */
  ptr: ExpressionRef;
  /** +1: addresses never decrease over the loop; -1: never increase; 0: decided at loop entry. */
  dir: 1 | -1 | 0;
  /**
   * For `dir` 0: every update is `x = x + d` with one local `d` the loop never sets; the address moves
   * by `a·d` per update, which the loop's entry checks (at most a page) before running the hoisted loop.
   */
  step?: { local: number; a: number };
}

/** At most this many stores per loop are hoisted (each needs a slot of globals). */
export const HOIST_SLOTS = 4;

const PAGE = 65536;

/** The hoistable stores of `loop` (empty when the loop does not qualify). */
export function planHoist(loop: ExpressionRef): HoistedStore[] {
  const stores: ExpressionRef[] = [];
  const sets: ExpressionRef[] = [];
  let ok = true;
  const visit = (e: ExpressionRef, top: boolean) => {
    if (!ok) return;
    const id = binaryen.getExpressionId(e);
    if (
      (!top && id === binaryen.LoopId) ||
      id === binaryen.CallId ||
      id === binaryen.CallIndirectId ||
      id === binaryen.MemoryGrowId ||
      id === binaryen.MemoryFillId ||
      id === binaryen.MemoryCopyId ||
      id === binaryen.MemoryInitId
    ) {
      ok = false;
      return;
    }
    if (id === binaryen.StoreId) stores.push(e);
    else if (id === binaryen.LocalSetId) sets.push(e);
    for (const s of childSlots(e)) visit(s.get(), false);
  };
  visit(loop, true);
  if (!ok) return [];

  const out: HoistedStore[] = [];
  for (const store of stores) {
    if (out.length === HOIST_SLOTS) break;
    const ptr = X.Store.getPtr(store);
    const affine = coefficient(ptr);
    if (affine === undefined) continue;
    let dir = 0;
    let stepLocal: number | undefined;
    for (const set of sets) {
      const info = binaryen.getExpressionInfo(set) as binaryen.LocalSetInfo;
      if (info.index !== affine.local) continue;
      const by = localStepOf(info.value, affine.local);
      if (by !== undefined && (stepLocal === undefined || stepLocal === by) && dir === 0) {
        stepLocal = by;
        continue;
      }
      const d = stepOf(info.value, affine.local);
      if (d === undefined || stepLocal !== undefined) {
        dir = Number.NaN;
        break;
      }
      const step = Math.imul(affine.a, d); // the address moves by a·d (mod 2^32), as signed
      if (Math.abs(step) > PAGE || (dir !== 0 && step !== 0 && Math.sign(step) !== dir)) {
        dir = Number.NaN;
        break;
      }
      if (step !== 0) dir = Math.sign(step);
    }
    if (Number.isNaN(dir)) continue;
    if (stepLocal !== undefined) {
      const d = stepLocal;
      const setsD = sets.some((e) => (binaryen.getExpressionInfo(e) as binaryen.LocalSetInfo).index === d);
      if (!setsD) out.push({ store, ptr, dir: 0, step: { local: d, a: affine.a } });
      continue;
    }
    out.push({ store, ptr, dir: dir < 0 ? -1 : 1 });
  }
  return out;
}

/** `ptr` as `a·x + b` for one i32 local `x` (`a` mod 2^32), or undefined. */
function coefficient(e: ExpressionRef): { local: number; a: number } | undefined {
  const id = binaryen.getExpressionId(e);
  if (binaryen.getExpressionType(e) !== binaryen.i32) return undefined;
  if (id === binaryen.LocalGetId) {
    return { local: (binaryen.getExpressionInfo(e) as binaryen.LocalGetInfo).index, a: 1 };
  }
  if (id !== binaryen.BinaryId) return undefined;
  const { op, left, right } = binaryen.getExpressionInfo(e) as binaryen.BinaryInfo;
  const l = constant(left);
  const r = constant(right);
  switch (op) {
    case binaryen.AddInt32:
      if (r !== undefined) return coefficient(left);
      if (l !== undefined) return coefficient(right);
      return undefined;
    case binaryen.SubInt32:
      return r !== undefined ? coefficient(left) : undefined;
    case binaryen.MulInt32: {
      const inner = r !== undefined ? coefficient(left) : l !== undefined ? coefficient(right) : undefined;
      const c = r ?? l;
      return inner && c !== undefined ? { local: inner.local, a: Math.imul(inner.a, c) } : undefined;
    }
    case binaryen.ShlInt32: {
      const inner = r !== undefined ? coefficient(left) : undefined;
      return inner && r !== undefined
        ? { local: inner.local, a: Math.imul(inner.a, 2 ** (r & 31)) }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** `value` as `x + d` or `x - d` (returns d, signed), or undefined. */
function stepOf(value: ExpressionRef, x: number): number | undefined {
  if (binaryen.getExpressionId(value) !== binaryen.BinaryId) return undefined;
  const { op, left, right } = binaryen.getExpressionInfo(value) as binaryen.BinaryInfo;
  const isX = (e: ExpressionRef) =>
    binaryen.getExpressionId(e) === binaryen.LocalGetId &&
    (binaryen.getExpressionInfo(e) as binaryen.LocalGetInfo).index === x;
  if (op === binaryen.AddInt32) {
    if (isX(left) && constant(right) !== undefined) return constant(right);
    if (isX(right) && constant(left) !== undefined) return constant(left);
  }
  if (op === binaryen.SubInt32 && isX(left)) {
    const c = constant(right);
    return c === undefined ? undefined : -c | 0;
  }
  return undefined;
}

/** `value` as `x + d` or `d + x` for a local `d` other than `x` (returns d's index), or undefined. */
function localStepOf(value: ExpressionRef, x: number): number | undefined {
  if (binaryen.getExpressionId(value) !== binaryen.BinaryId) return undefined;
  const { op, left, right } = binaryen.getExpressionInfo(value) as binaryen.BinaryInfo;
  if (op !== binaryen.AddInt32) return undefined;
  const local = (e: ExpressionRef) =>
    binaryen.getExpressionId(e) === binaryen.LocalGetId
      ? (binaryen.getExpressionInfo(e) as binaryen.LocalGetInfo).index
      : undefined;
  const l = local(left);
  const r = local(right);
  if (l === x && r !== undefined && r !== x) return r;
  if (r === x && l !== undefined && l !== x) return l;
  return undefined;
}

function constant(e: ExpressionRef): number | undefined {
  if (binaryen.getExpressionId(e) !== binaryen.ConstId) return undefined;
  if (binaryen.getExpressionType(e) !== binaryen.i32) return undefined;
  return (binaryen.getExpressionInfo(e) as binaryen.ConstInfo).value as number;
}
