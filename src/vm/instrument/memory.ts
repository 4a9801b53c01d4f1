/**
 * The memory pass (DESIGN §6, layout.ts): the program sees only its logical memory. Stores mark their
 * page in the dirty map (or, hoisted, record their address: hoist.ts); `memory.size`/`memory.grow` act on
 * `__cp_pages`; bulk writes go through `__cp_mark` (bounds, marks, gas). Pure code generation.
 */
import binaryen from "binaryen";
import { type FunctionContext, flush, freshLocal, local, reload, scratch } from "./context.ts";
import { F_GROW, F_MARK, G_PAGES, hoistGlobal } from "./names.ts";
import { type ExpressionRef, forEachExpression, type Slot, X } from "./walk.ts";

/** `memory.size` reads the logical size. */
export function rewriteSize(fc: FunctionContext): ExpressionRef {
  return fc.run.mod.global.get(G_PAGES, binaryen.i32);
}

function containsStore(root: ExpressionRef): boolean {
  let found = false;
  forEachExpression(root, (e) => {
    if (binaryen.getExpressionId(e) === binaryen.StoreId) found = true;
  });
  return found;
}

/**
 * Marks the page of the store's last byte dirty, right after the store. There is no bounds check: a
 * store beyond the logical memory lands in the scratch and marks a byte at an index ≥ `__cp_pages`,
 * which the runtime treats as a trap (layout.ts). Marking after the store means no store can erase
 * its own mark. A store straddling two pages leaves the first unmarked: the runtime also compares the
 * page before each marked page. One add, one shift and one byte store per store.
 */
export function trackStore(fc: FunctionContext, store: ExpressionRef, slot: Pick<Slot, "set">): void {
  const mod = fc.run.mod;
  const ptr = X.Store.getPtr(store);
  if (binaryen.getExpressionType(ptr) === binaryen.unreachable) return;
  if (binaryen.getExpressionType(X.Store.getValue(store)) === binaryen.unreachable) return;
  const bytes = X.Store.getBytes(store);
  const offset = X.Store.getOffset(store);
  const i32 = binaryen.i32;
  // The pointer must survive the value's evaluation, which may itself hold stores.
  const p = containsStore(X.Store.getValue(store)) ? freshLocal(fc, i32) : local(fc, "ptr", i32);
  X.Store.setPtr(store, mod.local.get(p, i32));
  const last = mod.i32.add(mod.local.get(p, i32), mod.i32.const(offset + bytes - 1));
  const hoisted = fc.hoisting?.get(store);
  const record =
    hoisted === undefined
      ? mod.i32.store8(
          0,
          1,
          mod.i32.add(scratch(fc), mod.i32.shr_u(last, mod.i32.const(16))),
          mod.i32.const(1),
        )
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

/** `memory.fill/copy/init`: operands into locals, `__cp_mark(dest, size)`, then the operation. */
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
  const code: ExpressionRef[] = operands.map((o, i) => mod.local.set(temps[i]!, o));
  code.push(
    ...flush(fc),
    mod.call(F_MARK, [mod.local.get(temps[0]!, i32), mod.local.get(temps[2]!, i32)], binaryen.none),
    ...reload(fc),
  );
  cls.names.forEach((n, i) => {
    c[`set${n}`]!(e, mod.local.get(temps[i]!, i32));
  });
  code.push(e);
  return mod.block(null, code, binaryen.none);
}
