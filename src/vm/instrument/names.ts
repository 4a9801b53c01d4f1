/**
 * Names the instrumented module adds (layout.ts documents what each one means to the runtime), and the
 * small expression builders every pass shares. Pure.
 */
import binaryen from "binaryen";
import { HOIST_SLOTS } from "./hoist.ts";
import type { ExpressionRef } from "./walk.ts";

export const G_GAS = "__cp_gas";
export const G_FAULT = "__cp_fault";
export const G_DEPTH = "__cp_depth";
export const G_PAGES = "__cp_pages";
export const F_DEPTH_FAULT = "__cp_depth_fault";
export const F_GROW = "__cp_grow";
export const F_MARK = "__cp_mark";
export const F_PREEMPT = "__cp_preempt";
export const F_FLUSH = "__cp_flush";
export const F_FLUSH_RANGE = "__cp_flush_range";

/**
 * A hoisted store's slot (hoist.ts): its address at loop entry, its last address (-1: none yet), its
 * offset, offset + bytes - 1, and its direction (+1/-1).
 */
export const HOIST_PARTS = ["lo", "hi", "off", "last", "dir"] as const;
export type HoistPart = (typeof HOIST_PARTS)[number];
export const hoistGlobal = (k: number, part: HoistPart) => `__cp_h${k}_${part}`;
export { HOIST_SLOTS };

/** binaryen 132 takes one bigint for i64.const; its typings still say (low, high). */
export function i64c(mod: binaryen.Module, v: number): ExpressionRef {
  return (mod.i64.const as unknown as (v: bigint) => ExpressionRef)(BigInt(v));
}

/** The scratch area starts right above the logical memory. */
export function scratchBase(mod: binaryen.Module): ExpressionRef {
  return mod.i32.shl(mod.global.get(G_PAGES, binaryen.i32), mod.i32.const(16));
}
