/**
 * Keeps Asyncify's state in a local. Asyncify guards every stretch of instrumented code with a read of
 * its state global (`if (state == normal) …`), so in a preemptible program every loop iteration reads
 * that global several times, and V8 reloads it each time. The state changes only inside calls (the host
 * calls `asyncify_start_unwind` and friends from inside an import), so a local refreshed at function
 * entry and after every call always holds the global's value, and every other read can use it.
 */
import binaryen from "binaryen";
import { childSlots, type ExpressionRef, type Slot, X } from "./walk.ts";

/** binaryen.js's untyped per-class accessors for globals. */
const G = binaryen as unknown as Record<"GlobalGet" | "GlobalSet", { getName(e: ExpressionRef): string }>;

/** Binaryen's name for Asyncify's state global. */
const STATE = "__asyncify_state";

/** Rewrites every function that reads the state (and never writes it) to read a cached local. */
export function cacheAsyncifyState(mod: binaryen.Module): void {
  if (!hasGlobal(mod, STATE)) return;
  const addVar = (binaryen as unknown as { _BinaryenFunctionAddVar: (f: number, t: number) => number })
    ._BinaryenFunctionAddVar;
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const fn = mod.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(fn);
    if (info.module || !usesStateReadOnly(info.body)) continue;
    const state = addVar(fn, binaryen.i32);
    const temps = new Map<number, number>();
    const temp = (type: number) => {
      let t = temps.get(type);
      if (t === undefined) {
        t = addVar(fn, type);
        temps.set(type, t);
      }
      return t;
    };
    const refresh = () => mod.local.set(state, mod.global.get(STATE, binaryen.i32));
    // Post-order: a call's operands are rewritten before the call is wrapped, and the refreshes this
    // adds are never visited themselves.
    const visit = (slot: Slot) => {
      const e = slot.get();
      for (const child of childSlots(e)) visit(child);
      const id = binaryen.getExpressionId(e);
      if (id === binaryen.GlobalGetId && G.GlobalGet.getName(e) === STATE) {
        slot.set(mod.local.get(state, binaryen.i32));
      } else if (id === binaryen.CallId || id === binaryen.CallIndirectId) {
        const type = binaryen.getExpressionType(e);
        if (type === binaryen.unreachable) return;
        if (type === binaryen.none) {
          slot.set(mod.block(null, [e, refresh()], binaryen.none));
        } else {
          const t = temp(type);
          slot.set(mod.block(null, [mod.local.set(t, e), refresh(), mod.local.get(t, type)], type));
        }
      }
    };
    let body = info.body;
    visit({ get: () => body, set: (e) => (body = e) });
    X.Function.setBody(fn, mod.block(null, [refresh(), body], info.results));
  }
}

function hasGlobal(mod: binaryen.Module, name: string): boolean {
  for (let i = 0; i < mod.getNumGlobals(); i++) {
    if (binaryen.getGlobalInfo(mod.getGlobalByIndex(i)).name === name) return true;
  }
  return false;
}

function usesStateReadOnly(root: ExpressionRef): boolean {
  let reads = false;
  let writes = false;
  const visit = (e: ExpressionRef) => {
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.GlobalGetId && G.GlobalGet.getName(e) === STATE) reads = true;
    if (id === binaryen.GlobalSetId && G.GlobalSet.getName(e) === STATE) writes = true;
    for (const s of childSlots(e)) visit(s.get());
  };
  visit(root);
  return reads && !writes;
}
