/**
 * The memory pass (DESIGN §6, layout.ts): the program sees only its logical memory, which sits above
 * the scratch at the top of the physical memory. Every load and store is moved up by the scratch size
 * in its static offset (free in V8), so an access past the logical end is past the physical end and
 * traps natively, exactly as in plain Wasm. Stores then mark their page in the dirty map at address 0
 * (or, hoisted, record their address: hoist.ts); `memory.size`/`memory.grow` act on `__cp_pages`; bulk
 * operations are bounds-checked against the logical memory, marked and charged by `__cp_mark`, then run
 * on moved-up addresses. Pure code generation.
 */
import binaryen from "binaryen";
import { type FunctionContext, flush, freshLocal, local, reload } from "./context.ts";
import { F_GROW, F_MARK, G_PAGES, hoistGlobal } from "./names.ts";
import { type ExpressionRef, forEachExpression, type Slot, X } from "./walk.ts";

const MAX_OFFSET = 0xffff_ffff;

/** `memory.size` reads the logical size. */
export function rewriteSize(fc: FunctionContext): ExpressionRef {
  return fc.run.mod.global.get(G_PAGES, binaryen.i32);
}

/**
 * Moves a load or store up by the scratch size. An offset that would not fit in 32 bits is already
 * past any memory the program can have: the largest offset keeps it trapping.
 */
function shift(fc: FunctionContext, cls: (typeof X)["Load"], e: ExpressionRef): void {
  const offset = (cls.getOffset(e) as number) >>> 0;
  cls.setOffset(e, Math.min(offset + fc.run.scratchBytes, MAX_OFFSET));
}

export function shiftLoad(fc: FunctionContext, load: ExpressionRef): void {
  shift(fc, X.Load, load);
}

function containsStore(root: ExpressionRef): boolean {
  let found = false;
  forEachExpression(root, (e) => {
    if (binaryen.getExpressionId(e) === binaryen.StoreId) found = true;
  });
  return found;
}

/**
 * Moves the store up and marks the page of its last byte dirty, right after it (a store that traps
 * marks nothing). A store straddling two pages leaves the first unmarked: the runtime also compares the
 * page before each marked page. One add, one shift and one byte store per store.
 */
export function trackStore(fc: FunctionContext, store: ExpressionRef, slot: Pick<Slot, "set">): void {
  const mod = fc.run.mod;
  const bytes = X.Store.getBytes(store);
  const offset = (X.Store.getOffset(store) as number) >>> 0;
  shift(fc, X.Store, store);
  const ptr = X.Store.getPtr(store);
  if (binaryen.getExpressionType(ptr) === binaryen.unreachable) return;
  if (binaryen.getExpressionType(X.Store.getValue(store)) === binaryen.unreachable) return;
  const i32 = binaryen.i32;
  // The pointer must survive the value's evaluation, which may itself hold stores.
  const p = containsStore(X.Store.getValue(store)) ? freshLocal(fc, i32) : local(fc, "ptr", i32);
  X.Store.setPtr(store, mod.local.get(p, i32));
  // A store that did not trap ended within the logical memory, below 2^32: `last` does not wrap.
  const last = mod.i32.add(mod.local.get(p, i32), mod.i32.const((offset + bytes - 1) | 0));
  const hoisted = fc.hoisting?.get(store);
  const record =
    hoisted === undefined
      ? mod.i32.store8(0, 1, mod.i32.shr_u(last, mod.i32.const(16)), mod.i32.const(1))
      : mod.global.set(hoistGlobal(hoisted, "hi"), mod.local.get(p, i32));
  slot.set(mod.block(null, [mod.local.set(p, ptr), store, record], binaryen.none));
}

/** `memory.grow` calls `__cp_grow` with the gas local flushed. */
export function rewriteGrow(fc: FunctionContext, grow: ExpressionRef): ExpressionRef {
  const mod = fc.run.mod;
  const d = X.MemoryGrow.getDelta(grow);
  if (binaryen.getExpressionType(d) === binaryen.unreachable) return grow;
  const t = freshLocal(fc, binaryen.i32);
  return mod.block(
    null,
    [
      mod.local.set(t, d),
      ...flush(fc),
      mod.local.set(t, mod.call(F_GROW, [mod.local.get(t, binaryen.i32)], binaryen.i32)),
      ...reload(fc),
      mod.local.get(t, binaryen.i32),
    ],
    binaryen.i32,
  );
}

/**
 * `memory.fill/copy/init`: operands into locals, `__cp_mark(dest, src, size)` (which traps as the
 * operation would on the logical memory: bulk-memory semantics check bounds before writing anything),
 * then the operation on moved-up addresses. For fill and init, src is 0 (implied by dest's check).
 */
export function rewriteBulk(fc: FunctionContext, e: ExpressionRef, id: number): ExpressionRef {
  const mod = fc.run.mod;
  const i32 = binaryen.i32;
  const cls =
    id === binaryen.MemoryFillId
      ? { names: ["Dest", "Value", "Size"], c: X.MemoryFill }
      : id === binaryen.MemoryCopyId
        ? { names: ["Dest", "Source", "Size"], c: X.MemoryCopy }
        : { names: ["Dest", "Offset", "Size"], c: X.MemoryInit };
  const c = cls.c as unknown as Record<string, (e: ExpressionRef, v?: ExpressionRef) => ExpressionRef>;
  const operands = cls.names.map((n) => c[`get${n}`]!(e));
  if (operands.some((o) => binaryen.getExpressionType(o) === binaryen.unreachable)) return e;
  const temps = operands.map(() => freshLocal(fc, i32));
  const get = (i: number) => mod.local.get(temps[i]!, i32);
  const code: ExpressionRef[] = operands.map((o, i) => mod.local.set(temps[i]!, o));
  const src = id === binaryen.MemoryCopyId ? get(1) : mod.i32.const(0);
  code.push(...flush(fc), mod.call(F_MARK, [get(0), src, get(2)], binaryen.none), ...reload(fc));
  const up = (x: ExpressionRef) => mod.i32.add(x, mod.i32.const(fc.run.scratchBytes));
  cls.names.forEach((n, i) => {
    const moved = i === 0 || (i === 1 && id === binaryen.MemoryCopyId);
    c[`set${n}`]!(e, moved ? up(get(i)) : get(i));
  });
  code.push(e);
  return mod.block(null, code, binaryen.none);
}
