/**
 * Child slots of Binaryen expressions: a getter and a setter for every child, so a pass can visit and
 * replace any node in place. Covers the features we accept (MVP, mutable globals, sign-ext, non-trapping
 * float-to-int, bulk memory); `checkFeatures` rejects modules that use anything else.
 */
import binaryen from "binaryen";

export type ExpressionRef = number;

export interface Slot {
  get(): ExpressionRef;
  set(e: ExpressionRef): void;
}

type Accessor = {
  get: (e: ExpressionRef) => ExpressionRef;
  set: (e: ExpressionRef, c: ExpressionRef) => void;
};

function acc(cls: Record<string, unknown>, name: string): Accessor {
  const get = cls[`get${name}`] as (e: ExpressionRef) => ExpressionRef;
  const set = cls[`set${name}`] as (e: ExpressionRef, c: ExpressionRef) => void;
  return { get, set };
}

const b = binaryen as unknown as Record<string, Record<string, unknown>>;
const C = binaryen as unknown as Record<string, Record<string, (...a: number[]) => number>>;

/** Fixed named children per expression id (optional children may be 0). */
const NAMED: Map<number, Accessor[]> = new Map([
  [binaryen.IfId, [acc(b.If, "Condition"), acc(b.If, "IfTrue"), acc(b.If, "IfFalse")]],
  [binaryen.LoopId, [acc(b.Loop, "Body")]],
  [binaryen.BreakId, [acc(b.Break, "Value"), acc(b.Break, "Condition")]],
  [binaryen.SwitchId, [acc(b.Switch, "Value"), acc(b.Switch, "Condition")]],
  [binaryen.LocalSetId, [acc(b.LocalSet, "Value")]],
  [binaryen.GlobalSetId, [acc(b.GlobalSet, "Value")]],
  [binaryen.LoadId, [acc(b.Load, "Ptr")]],
  [binaryen.StoreId, [acc(b.Store, "Ptr"), acc(b.Store, "Value")]],
  [binaryen.UnaryId, [acc(b.Unary, "Value")]],
  [binaryen.BinaryId, [acc(b.Binary, "Left"), acc(b.Binary, "Right")]],
  [binaryen.SelectId, [acc(b.Select, "IfTrue"), acc(b.Select, "IfFalse"), acc(b.Select, "Condition")]],
  [binaryen.DropId, [acc(b.Drop, "Value")]],
  [binaryen.ReturnId, [acc(b.Return, "Value")]],
  [binaryen.MemoryGrowId, [acc(b.MemoryGrow, "Delta")]],
  [
    binaryen.MemoryInitId,
    [acc(b.MemoryInit, "Dest"), acc(b.MemoryInit, "Offset"), acc(b.MemoryInit, "Size")],
  ],
  [
    binaryen.MemoryCopyId,
    [acc(b.MemoryCopy, "Dest"), acc(b.MemoryCopy, "Source"), acc(b.MemoryCopy, "Size")],
  ],
  [binaryen.MemoryFillId, [acc(b.MemoryFill, "Dest"), acc(b.MemoryFill, "Value"), acc(b.MemoryFill, "Size")]],
]);

const LEAVES = new Set<number>([
  binaryen.ConstId,
  binaryen.LocalGetId,
  binaryen.GlobalGetId,
  binaryen.NopId,
  binaryen.UnreachableId,
  binaryen.MemorySizeId,
  binaryen.DataDropId,
]);

/** Expression ids this walker understands; anything else is an unsupported feature. */
export function isSupported(id: number): boolean {
  return (
    LEAVES.has(id) ||
    NAMED.has(id) ||
    id === binaryen.BlockId ||
    id === binaryen.CallId ||
    id === binaryen.CallIndirectId
  );
}

/** The children of `e` in evaluation order, as replaceable slots (absent optional children skipped). */
export function childSlots(e: ExpressionRef): Slot[] {
  const id = binaryen.getExpressionId(e);
  if (LEAVES.has(id)) return [];
  const named = NAMED.get(id);
  if (named) {
    const slots: Slot[] = [];
    for (const a of named) {
      if (a.get(e) !== 0) slots.push({ get: () => a.get(e), set: (c) => a.set(e, c) });
    }
    return slots;
  }
  if (id === binaryen.BlockId) {
    const n = C.Block!.getNumChildren(e);
    return Array.from({ length: n }, (_, i) => ({
      get: () => C.Block!.getChildAt(e, i),
      set: (c: ExpressionRef) => C.Block!.setChildAt(e, i, c),
    }));
  }
  if (id === binaryen.CallId) {
    const n = C.Call!.getNumOperands(e);
    return Array.from({ length: n }, (_, i) => ({
      get: () => C.Call!.getOperandAt(e, i),
      set: (c: ExpressionRef) => C.Call!.setOperandAt(e, i, c),
    }));
  }
  if (id === binaryen.CallIndirectId) {
    const n = C.CallIndirect!.getNumOperands(e);
    const slots: Slot[] = Array.from({ length: n }, (_, i) => ({
      get: () => C.CallIndirect!.getOperandAt(e, i),
      set: (c: ExpressionRef) => C.CallIndirect!.setOperandAt(e, i, c),
    }));
    slots.push({
      get: () => C.CallIndirect!.getTarget(e),
      set: (c) => C.CallIndirect!.setTarget(e, c),
    });
    return slots;
  }
  throw new Error(`unsupported expression id ${id}`);
}

/** Visits every expression under `root` (pre-order). */
export function forEachExpression(root: ExpressionRef, visit: (e: ExpressionRef) => void): void {
  const stack = [root];
  while (stack.length > 0) {
    const e = stack.pop()!;
    visit(e);
    for (const s of childSlots(e)) stack.push(s.get());
  }
}

/**
 * binaryen.js ships no typings for its per-expression classes (`binaryen.Loop.setBody`, …); this is
 * the loosely typed view of them that the passes use.
 */
// biome-ignore lint/suspicious/noExplicitAny: untyped binaryen.js expression-class API
type ClassApi = Record<string, (...args: any[]) => any>;
export const X = binaryen as unknown as Record<
  | "Block"
  | "If"
  | "Loop"
  | "Call"
  | "CallIndirect"
  | "Load"
  | "Store"
  | "Return"
  | "MemoryGrow"
  | "MemoryFill"
  | "MemoryCopy"
  | "MemoryInit"
  | "Binary"
  | "Unary"
  | "Function"
  | "Const",
  ClassApi
>;
