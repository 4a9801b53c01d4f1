/**
 * Runtime helpers the instrumented code calls and the runtime reads (layout.ts): the `__cp_*` globals,
 * `__cp_grow` (memory.grow on the logical memory), `__cp_mark` (bulk writes: bounds, marks, gas),
 * `__cp_flush` (hoisted stores' ranges into marks) and the depth fault. Pure code generation.
 */
import binaryen from "binaryen";
import { addDepthFault } from "./depth.ts";
import { FAULT } from "./layout.ts";
import {
  F_FLUSH,
  F_FLUSH_RANGE,
  F_GROW,
  F_MARK,
  F_PREEMPT,
  G_DEPTH,
  G_FAULT,
  G_GAS,
  G_PAGES,
  HOIST_PARTS,
  HOIST_SLOTS,
  type HoistPart,
  hoistGlobal,
  i64c,
  scratchBase,
} from "./names.ts";
import type { ExpressionRef } from "./walk.ts";
import { BULK_GAS_SHIFT, GROW_GAS_PER_PAGE, HOIST_PAGE_GAS } from "./weights.ts";

export interface HelperOptions {
  maxPages: number;
  reservedPages: number;
  preemptible: boolean;
  maxCallDepth: number;
}

export function addRuntimeGlobals(mod: binaryen.Module, initialPages: number): void {
  mod.addGlobal(G_GAS, binaryen.i64, true, i64c(mod, 0));
  mod.addGlobal(G_FAULT, binaryen.i32, true, mod.i32.const(0));
  mod.addGlobal(G_DEPTH, binaryen.i32, true, mod.i32.const(0));
  mod.addGlobal(G_PAGES, binaryen.i32, true, mod.i32.const(initialPages));
  for (const g of [G_GAS, G_FAULT, G_DEPTH, G_PAGES]) mod.addGlobalExport(g, g);
  for (let k = 0; k < HOIST_SLOTS; k++) {
    for (const part of HOIST_PARTS) {
      mod.addGlobal(hoistGlobal(k, part), binaryen.i32, true, mod.i32.const(part === "hi" ? -1 : 0));
    }
  }
}

export function addHelpers(mod: binaryen.Module, o: HelperOptions): void {
  addDepthFault(mod);
  if (o.preemptible)
    mod.addFunctionImport(F_PREEMPT, "coreplay_internal", "preempt", binaryen.none, binaryen.none);
  addGrow(mod, o.maxPages);
  addFlush(mod);
  addMark(mod);
}

/** `__cp_grow(delta)`: memory.grow on the logical memory. params (delta) locals (old) */
function addGrow(mod: binaryen.Module, maxPages: number): void {
  const { i32, i64 } = binaryen;
  const delta = () => mod.local.get(0, i32);
  const old = () => mod.local.get(1, i32);
  mod.addFunction(
    F_GROW,
    i32,
    i32,
    [i32],
    mod.block(
      null,
      [
        mod.call(F_FLUSH, [], binaryen.none),
        mod.local.set(1, mod.global.get(G_PAGES, i32)),
        // delta > maxPages - old  →  -1 (unsigned, so huge deltas fail too)
        mod.if(
          mod.i32.gt_u(delta(), mod.i32.sub(mod.i32.const(maxPages), old())),
          mod.return(mod.i32.const(-1)),
        ),
        mod.global.set(
          G_GAS,
          mod.i64.sub(
            mod.global.get(G_GAS, i64),
            mod.i64.mul(mod.i64.extend_u(delta()), i64c(mod, GROW_GAS_PER_PAGE)),
          ),
        ),
        // A store into the scratch has marked a byte at an index ≥ old; growing would turn that mark
        // into a page mark and the scratch into program pages, so fault here (layout.ts).
        mod.if(
          mod.i64.ne(
            mod.i64.or(
              mod.i64.load(0, 1, mod.i32.add(mod.i32.shl(old(), mod.i32.const(16)), old())),
              mod.i64.load(8, 1, mod.i32.add(mod.i32.shl(old(), mod.i32.const(16)), old())),
            ),
            i64c(mod, 0),
          ),
          mod.block(null, [mod.global.set(G_FAULT, mod.i32.const(FAULT.ScratchWrite)), mod.unreachable()]),
        ),
        mod.if(mod.i32.eq(mod.memory.grow(delta()), mod.i32.const(-1)), mod.return(mod.i32.const(-1))),
        // Move the dirty map up with the scratch, then zero the pages the program now owns.
        mod.memory.copy(
          mod.i32.shl(mod.i32.add(old(), delta()), mod.i32.const(16)),
          mod.i32.shl(old(), mod.i32.const(16)),
          mod.i32.const(maxPages),
        ),
        mod.memory.fill(
          mod.i32.shl(old(), mod.i32.const(16)),
          mod.i32.const(0),
          mod.i32.shl(delta(), mod.i32.const(16)),
        ),
        mod.global.set(G_PAGES, mod.i32.add(old(), delta())),
        mod.return(old()),
      ],
      binaryen.unreachable,
    ),
  );
}

/**
 * `__cp_flush()` turns the pending ranges of hoisted stores into marks (layout.ts "Hoisted stores").
 * Run at every hoisted loop's entry, by `memory.grow`, and by the runtime after every entry.
 */
function addFlush(mod: binaryen.Module): void {
  const { i32, i64 } = binaryen;
  const [lo, hi, off, last, dir, pages, a, b] = [0, 1, 2, 3, 4, 5, 6, 7];
  const get = (i: number) => mod.local.get(i, i < a ? i32 : i64);
  const flag = () => mod.i32.store8(0, 1, mod.i32.add(scratchBase(mod), get(pages)), mod.i32.const(1));
  const u64 = (e: ExpressionRef) => mod.i64.extend_u(e);
  const min = () => mod.select(mod.i32.lt_u(get(lo), get(hi)), get(lo), get(hi));
  const max = () => mod.select(mod.i32.lt_u(get(lo), get(hi)), get(hi), get(lo));
  // range(lo, hi, off, last, dir): mark the pages of [min(lo, hi) + off, max(lo, hi) + last]. Addresses
  // that went against the loop's direction wrapped around 2^32: treated as a store out of bounds.
  mod.addFunction(
    F_FLUSH_RANGE,
    binaryen.createType([i32, i32, i32, i32, i32]),
    binaryen.none,
    [i32, i64, i64],
    mod.block(null, [
      mod.local.set(pages, mod.global.get(G_PAGES, i32)),
      mod.if(
        mod.select(
          mod.i32.gt_s(get(dir), mod.i32.const(0)),
          mod.i32.gt_u(get(lo), get(hi)),
          mod.i32.gt_u(get(hi), get(lo)),
        ),
        mod.block(null, [flag(), mod.return()]),
      ),
      mod.local.set(a, mod.i64.shr_u(mod.i64.add(u64(min()), u64(get(off))), i64c(mod, 16))),
      mod.local.set(b, mod.i64.shr_u(mod.i64.add(u64(max()), u64(get(last))), i64c(mod, 16))),
      // Pages beyond the first are charged: they may be compared without having been written.
      mod.global.set(
        G_GAS,
        mod.i64.sub(
          mod.global.get(G_GAS, i64),
          mod.i64.mul(mod.i64.sub(get(b), get(a)), i64c(mod, HOIST_PAGE_GAS)),
        ),
      ),
      mod.if(
        mod.i64.ge_u(get(b), u64(get(pages))),
        mod.block(null, [flag(), mod.local.set(b, mod.i64.sub(u64(get(pages)), i64c(mod, 1)))]),
      ),
      mod.if(
        mod.i64.le_s(get(a), get(b)),
        mod.memory.fill(
          mod.i32.add(scratchBase(mod), mod.i32.wrap(get(a))),
          mod.i32.const(1),
          mod.i32.wrap(mod.i64.add(mod.i64.sub(get(b), get(a)), i64c(mod, 1))),
        ),
      ),
    ]),
  );
  const slots: ExpressionRef[] = [];
  for (let k = 0; k < HOIST_SLOTS; k++) {
    const g = (part: HoistPart) => mod.global.get(hoistGlobal(k, part), i32);
    slots.push(
      mod.if(
        mod.i32.ne(g("hi"), mod.i32.const(-1)),
        mod.block(null, [
          mod.call(F_FLUSH_RANGE, [g("lo"), g("hi"), g("off"), g("last"), g("dir")], binaryen.none),
          mod.global.set(hoistGlobal(k, "hi"), mod.i32.const(-1)),
        ]),
      ),
    );
  }
  mod.addFunction(F_FLUSH, binaryen.none, binaryen.none, [], mod.block(null, slots));
  mod.addFunctionExport(F_FLUSH, F_FLUSH);
}

/**
 * `__cp_mark(dest, len)`: bounds-check a bulk write against the logical memory, mark its pages dirty and
 * charge for its bytes.
 */
function addMark(mod: binaryen.Module): void {
  const { i32, i64 } = binaryen;
  const dest = () => mod.local.get(0, i32);
  const len = () => mod.local.get(1, i32);
  mod.addFunction(
    F_MARK,
    binaryen.createType([i32, i32]),
    binaryen.none,
    [],
    mod.block(null, [
      mod.if(
        mod.i64.gt_u(
          mod.i64.add(mod.i64.extend_u(dest()), mod.i64.extend_u(len())),
          mod.i64.shl(mod.i64.extend_u(mod.global.get(G_PAGES, i32)), i64c(mod, 16)),
        ),
        mod.unreachable(),
      ),
      mod.global.set(
        G_GAS,
        mod.i64.sub(
          mod.global.get(G_GAS, i64),
          mod.i64.shr_u(mod.i64.extend_u(len()), i64c(mod, BULK_GAS_SHIFT)),
        ),
      ),
      mod.if(
        len(),
        mod.memory.fill(
          mod.i32.add(scratchBase(mod), mod.i32.shr_u(dest(), mod.i32.const(16))),
          mod.i32.const(1),
          mod.i32.add(
            mod.i32.sub(
              mod.i32.shr_u(mod.i32.sub(mod.i32.add(dest(), len()), mod.i32.const(1)), mod.i32.const(16)),
              mod.i32.shr_u(dest(), mod.i32.const(16)),
            ),
            mod.i32.const(1),
          ),
        ),
      ),
    ]),
  );
}
