/**
 * The metering pass (DESIGN §6, "keep metering cheap"): rewrites one function. A metered function keeps
 * gas in a local: loaded at entry, charged per segment (function entry, each loop header, each `if` arm:
 * the static weight of the straight-line code up to the next nested loop or arm), flushed to `__cp_gas`
 * before each call and at each exit, re-read after each call. A bounded function (call-graph.ts) is
 * charged by its callers and only gets the memory pass. Out of gas traps (cooperative) or calls
 * `coreplay_internal.preempt` (preemptible). Pure code generation.
 */
import binaryen from "binaryen";
import {
  charge,
  type FunctionContext,
  flush,
  local,
  prefix,
  type RunContext,
  refreshScratch,
  reload,
} from "./context.ts";
import { popDepth, pushDepth } from "./depth.ts";
import { planHoist } from "./hoist.ts";
import { expressionsWithLoops, hoistedLoop, meterLoop, preemptibleLoop } from "./loops.ts";
import { rewriteBulk, rewriteGrow, rewriteSize, trackStore } from "./memory.ts";
import { G_GAS } from "./names.ts";
import { childSlots, type ExpressionRef, forEachExpression, type Slot, X } from "./walk.ts";
import { expressionWeight } from "./weights.ts";

/** Rewrites one function: metering (unless bounded), memory virtualisation, dirty tracking, depth. */
export function instrumentFunction(run: RunContext, name: string): void {
  const mod = run.mod;
  const fn = mod.getFunction(name);
  const info = binaryen.getFunctionInfo(fn);
  let hasStores = false;
  const loopy = expressionsWithLoops(info.body);
  forEachExpression(info.body, (e) => {
    if (binaryen.getExpressionId(e) === binaryen.StoreId) hasStores = true;
  });
  const fc: FunctionContext = {
    run,
    fn,
    metered: !run.bounded.has(name),
    locals: new Map(),
    loopy,
    hasStores,
    hoisting: undefined,
    exitCode: () => [],
  };
  const body = info.body;
  let newBody = body;
  const entryCost = segment(fc, {
    get: () => body,
    set: (e) => {
      newBody = e;
    },
  });
  if (!fc.metered) {
    if (newBody !== body) X.Function.setBody(fn, newBody);
    return;
  }
  const depthWeight = run.depth.recursive.get(name);
  const results = info.results;
  const g = local(fc, "gas", binaryen.i64);
  const parts: ExpressionRef[] = [mod.local.set(g, mod.global.get(G_GAS, binaryen.i64))];
  if (depthWeight !== undefined) parts.push(...pushDepth(fc, depthWeight));
  parts.push(...refreshScratch(fc), ...charge(fc, entryCost));
  const exit = () => {
    const code = [mod.global.set(G_GAS, mod.local.get(g, binaryen.i64))];
    if (depthWeight !== undefined) code.push(popDepth(fc, depthWeight));
    return code;
  };
  fc.exitCode = exit;
  // Every `return` runs the exit code first; the normal exit is appended below.
  rewriteReturns(fc, newBody, results, (e) => {
    newBody = e;
  });
  if (results === binaryen.none) {
    parts.push(newBody, ...exit());
    X.Function.setBody(fn, mod.block(null, parts, binaryen.none));
  } else {
    const ret = local(fc, "ret", results);
    parts.push(mod.local.set(ret, newBody), ...exit(), mod.local.get(ret, results));
    X.Function.setBody(fn, mod.block(null, parts, results));
  }
}

/**
 * Processes the expression in `slot` and everything under it; returns the static cost it adds to the
 * enclosing segment. Nested loop bodies and if arms become segments of their own, charged in place.
 */
function segment(fc: FunctionContext, slot: Slot): number {
  const e = slot.get();
  const id = binaryen.getExpressionId(e);
  let cost = expressionWeight(e);

  if (id === binaryen.LoopId) {
    const plan = fc.metered ? planHoist(e) : [];
    const preempt = fc.run.opts.preemptible && fc.metered ? `__cp_preempted${fc.run.labels++}` : undefined;
    const metered =
      plan.length > 0 ? hoistedLoop(fc, segment, e, plan, preempt) : meterLoop(fc, segment, e, preempt);
    slot.set(preempt === undefined ? metered : preemptibleLoop(fc, metered, preempt));
    return cost;
  }
  if (id === binaryen.IfId) {
    const cond = { get: () => X.If.getCondition(e), set: (c: ExpressionRef) => X.If.setCondition(e, c) };
    cost += segment(fc, cond);
    const arms = [
      { get: () => X.If.getIfTrue(e), set: (c: ExpressionRef) => X.If.setIfTrue(e, c) },
      { get: () => X.If.getIfFalse(e), set: (c: ExpressionRef) => X.If.setIfFalse(e, c) },
    ].filter((arm) => arm.get() !== 0);
    if (!arms.some((arm) => fc.loopy.has(arm.get()))) {
      // Loop-free arms: charge the dearer arm up front, saving a check per branch.
      return cost + Math.max(0, ...arms.map((arm) => segment(fc, arm)));
    }
    for (const arm of arms) {
      const inner = segment(fc, arm);
      arm.set(prefix(fc, charge(fc, inner), arm.get()));
    }
    return cost;
  }
  for (const child of childSlots(e)) cost += segment(fc, child);

  switch (id) {
    case binaryen.CallId: {
      const target = X.Call.getTarget(e);
      const b = fc.run.bounded.get(target);
      if (b) cost += b.maxCost;
      if (b?.pure) break; // no gas traffic inside: the local stays exact across the call
      slot.set(
        aroundCall(
          fc,
          e,
          X.Call.getNumOperands(e),
          (i) => X.Call.getOperandAt(e, i),
          (i, c) => X.Call.setOperandAt(e, i, c),
        ),
      );
      break;
    }
    case binaryen.CallIndirectId: {
      slot.set(
        aroundCall(
          fc,
          e,
          1,
          () => X.CallIndirect.getTarget(e),
          (_, c) => X.CallIndirect.setTarget(e, c),
        ),
      );
      break;
    }
    case binaryen.StoreId:
      trackStore(fc, e, slot);
      break;
    case binaryen.MemorySizeId:
      slot.set(rewriteSize(fc));
      break;
    case binaryen.MemoryGrowId:
      slot.set(rewriteGrow(fc, e));
      break;
    case binaryen.MemoryFillId:
    case binaryen.MemoryCopyId:
    case binaryen.MemoryInitId:
      slot.set(rewriteBulk(fc, e, id));
      break;
  }
  return cost;
}

/**
 * `call` with the gas local flushed right before control leaves (after its operands are evaluated,
 * since operands may charge) and re-read right after.
 */
function aroundCall(
  fc: FunctionContext,
  call: ExpressionRef,
  n: number,
  get: (i: number) => ExpressionRef,
  set: (i: number, c: ExpressionRef) => void,
): ExpressionRef {
  if (!fc.metered) return call;
  const mod = fc.run.mod;
  const before: ExpressionRef[] = [];
  if (n === 0) before.push(...flush(fc));
  else {
    const last = get(n - 1);
    const type = binaryen.getExpressionType(last);
    if (type === binaryen.unreachable) return call;
    const t = local(fc, "operand", type);
    set(n - 1, mod.block(null, [mod.local.set(t, last), ...flush(fc), mod.local.get(t, type)], type));
  }
  const type = binaryen.getExpressionType(call);
  if (type === binaryen.none || type === binaryen.unreachable) {
    return mod.block(
      null,
      [...before, call, ...reload(fc)],
      type === binaryen.unreachable ? binaryen.unreachable : binaryen.none,
    );
  }
  const r = local(fc, "result", type);
  return mod.block(null, [...before, mod.local.set(r, call), ...reload(fc), mod.local.get(r, type)], type);
}

/** Every `return` in a metered function runs the exit code (flush gas, pop depth) first. */
function rewriteReturns(
  fc: FunctionContext,
  root: ExpressionRef,
  results: number,
  setRoot: (e: ExpressionRef) => void,
): void {
  const mod = fc.run.mod;
  const visit = (slot: Slot) => {
    const e = slot.get();
    const id = binaryen.getExpressionId(e);
    for (const child of childSlots(e)) visit(child);
    if (id !== binaryen.ReturnId) return;
    const value = X.Return.getValue(e);
    if (value === 0) {
      slot.set(mod.block(null, [...fc.exitCode(), e], binaryen.unreachable));
    } else if (binaryen.getExpressionType(value) !== binaryen.unreachable) {
      const ret = local(fc, "ret", results);
      X.Return.setValue(
        e,
        mod.block(null, [mod.local.set(ret, value), ...fc.exitCode(), mod.local.get(ret, results)], results),
      );
    }
  };
  let current = root;
  visit({
    get: () => current,
    set: (e) => {
      current = e;
      setRoot(e);
    },
  });
}
