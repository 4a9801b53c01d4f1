/**
 * Per-run and per-function state of the rewriting passes (metering.ts, loops.ts, memory.ts, depth.ts),
 * and the small code builders they share: the function's reserved locals, charging, and flushing and
 * re-reading the gas local around calls. Nothing here is module-level: the same input and options give
 * the same output in any thread, in any order of runs.
 */
import binaryen from "binaryen";
import type { Bound } from "./call-graph.ts";
import type { DepthPlan } from "./depth.ts";
import { FAULT, type InstrumentOptions } from "./layout.ts";
import { F_PREEMPT, G_FAULT, G_GAS, i64c, scratchBase } from "./names.ts";
import type { ExpressionRef } from "./walk.ts";

/** One instrumentation of one module. */
export interface RunContext {
  readonly mod: binaryen.Module;
  readonly opts: InstrumentOptions;
  readonly bounded: Map<string, Bound>;
  readonly depth: DepthPlan;
  /** Counter for the labels the passes add (`__cp_done<n>`, …). */
  labels: number;
  /** Counter for the fresh names of copied labels (labels.ts). */
  copies: number;
  /** How many loops got hoisted stores (the runtime flushes after an entry only if any did). */
  hoistedLoops: number;
}

/** The function being rewritten. */
export interface FunctionContext {
  readonly run: RunContext;
  readonly fn: binaryen.FunctionRef;
  /** False for a bounded function (call-graph.ts): its caller charges it, it has no gas local. */
  readonly metered: boolean;
  /** Vars reserved by purpose and type (shared within the function). */
  readonly locals: Map<string, number>;
  /** Expressions with a loop somewhere under them. */
  readonly loopy: Set<ExpressionRef>;
  /** Metered functions with stores cache the scratch base in a local, refreshed after every call. */
  readonly hasStores: boolean;
  /** Stores whose marks are hoisted out of the loop being metered, with their slots. */
  hoisting: Map<ExpressionRef, number> | undefined;
  /** The code every exit runs (flush gas, pop depth), set once the function's prologue is known. */
  exitCode: () => ExpressionRef[];
}

export function runContext(
  mod: binaryen.Module,
  opts: InstrumentOptions,
  bounded: Map<string, Bound>,
  depth: DepthPlan,
): RunContext {
  return { mod, opts, bounded, depth, labels: 0, copies: 0, hoistedLoops: 0 };
}

const addVar = (binaryen as unknown as { _BinaryenFunctionAddVar: (f: number, t: number) => number })
  ._BinaryenFunctionAddVar;

/** A var of `type` reserved for `purpose` in the current function (shared within it). */
export function local(fc: FunctionContext, purpose: string, type: number): number {
  const key = `${purpose}:${type}`;
  let idx = fc.locals.get(key);
  if (idx === undefined) {
    idx = addVar(fc.fn, type);
    fc.locals.set(key, idx);
  }
  return idx;
}

/** A fresh var, for sites whose operands may nest the same kind of site. */
export function freshLocal(fc: FunctionContext, type: number): number {
  return addVar(fc.fn, type);
}

/** `gas -= cost; if gas < 0 → out of gas` (metered functions only). */
export function charge(fc: FunctionContext, cost: number): ExpressionRef[] {
  if (!fc.metered || cost === 0) return [];
  const mod = fc.run.mod;
  const g = local(fc, "gas", binaryen.i64);
  const exhausted = mod.i64.lt_s(
    mod.local.tee(g, mod.i64.sub(mod.local.get(g, binaryen.i64), i64c(mod, cost)), binaryen.i64),
    i64c(mod, 0),
  );
  const onEmpty = fc.run.opts.preemptible
    ? mod.block(null, [
        mod.global.set(G_GAS, mod.local.get(g, binaryen.i64)),
        mod.call(F_PREEMPT, [], binaryen.none),
        mod.local.set(g, mod.global.get(G_GAS, binaryen.i64)),
      ])
    : // Inline, not a call: a call on the cold path makes V8 keep the loop's values spillable.
      mod.block(null, [mod.global.set(G_FAULT, mod.i32.const(FAULT.OutOfGas)), mod.unreachable()]);
  return [mod.if(exhausted, onEmpty)];
}

/** The gas local into `__cp_gas`, before control leaves the function. */
export function flush(fc: FunctionContext): ExpressionRef[] {
  if (!fc.metered) return [];
  const mod = fc.run.mod;
  return [mod.global.set(G_GAS, mod.local.get(local(fc, "gas", binaryen.i64), binaryen.i64))];
}

/** `__cp_gas` back into the gas local (and the scratch base), after control comes back. */
export function reload(fc: FunctionContext): ExpressionRef[] {
  if (!fc.metered) return [];
  const mod = fc.run.mod;
  const g = local(fc, "gas", binaryen.i64);
  return [mod.local.set(g, mod.global.get(G_GAS, binaryen.i64)), ...refreshScratch(fc)];
}

/** `memory.grow` (here or in a callee) moves the scratch: re-read its base. */
export function refreshScratch(fc: FunctionContext): ExpressionRef[] {
  if (!fc.metered || !fc.hasStores) return [];
  return [fc.run.mod.local.set(local(fc, "scratch", binaryen.i32), scratchBase(fc.run.mod))];
}

/** The scratch base: the cached local where there is one. */
export function scratch(fc: FunctionContext): ExpressionRef {
  if (!fc.metered || !fc.hasStores) return scratchBase(fc.run.mod);
  return fc.run.mod.local.get(local(fc, "scratch", binaryen.i32), binaryen.i32);
}

/** Prefix `code` to an arm/body, keeping its type. */
export function prefix(fc: FunctionContext, code: ExpressionRef[], e: ExpressionRef): ExpressionRef {
  if (code.length === 0) return e;
  return fc.run.mod.block(null, [...code, e], binaryen.getExpressionType(e));
}
