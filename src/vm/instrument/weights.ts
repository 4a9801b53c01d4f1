/**
 * Gas weights per operator (DESIGN §6: "charge per basic block, weights per operator"). One unit is
 * roughly one simple instruction; memory access, calls and division cost more. The table is part of
 * consensus: changing it changes every gas figure and so needs a new ABI version.
 */
import binaryen from "binaryen";
import { type ExpressionRef, X } from "./walk.ts";

const DIVISION = new Set<number>([
  binaryen.DivSInt32,
  binaryen.DivUInt32,
  binaryen.RemSInt32,
  binaryen.RemUInt32,
  binaryen.DivSInt64,
  binaryen.DivUInt64,
  binaryen.RemSInt64,
  binaryen.RemUInt64,
  binaryen.DivFloat32,
  binaryen.DivFloat64,
]);

export const WEIGHTS = {
  structural: 0,
  simple: 1,
  memory: 2,
  division: 4,
  call: 5,
  callIndirect: 10,
  bulk: 10,
} as const;

export function expressionWeight(e: ExpressionRef): number {
  switch (binaryen.getExpressionId(e)) {
    case binaryen.BlockId:
    case binaryen.LoopId:
    case binaryen.NopId:
      return WEIGHTS.structural;
    case binaryen.LoadId:
    case binaryen.StoreId:
      return WEIGHTS.memory;
    case binaryen.CallId:
      return WEIGHTS.call;
    case binaryen.CallIndirectId:
      return WEIGHTS.callIndirect;
    case binaryen.MemoryGrowId:
    case binaryen.MemoryFillId:
    case binaryen.MemoryCopyId:
    case binaryen.MemoryInitId:
      return WEIGHTS.bulk;
    case binaryen.BinaryId:
      return DIVISION.has(X.Binary.getOp(e)) ? WEIGHTS.division : WEIGHTS.simple;
    case binaryen.UnaryId:
      return X.Unary.getOp(e) === binaryen.SqrtFloat32 || X.Unary.getOp(e) === binaryen.SqrtFloat64
        ? WEIGHTS.division
        : WEIGHTS.simple;
    default:
      return WEIGHTS.simple;
  }
}

/** Gas per page of a hoisted store's range beyond its first (hoist.ts, runtime.ts `__cp_flush`). */
export const HOIST_PAGE_GAS = 1024;
/** Gas per byte touched by memory.fill/copy/init, as a right shift (1 gas per 16 bytes). */
export const BULK_GAS_SHIFT = 4;
/** Gas per page added by memory.grow. */
export const GROW_GAS_PER_PAGE = 2048;
