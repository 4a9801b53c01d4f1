/**
 * The call-graph pass: per-function facts (loops, calls, own cost), the table targets, and which
 * functions are *bounded* (DESIGN §6, "keep metering cheap"): no loops, no `call_indirect`, calls only
 * bounded functions or host imports, and not an entry point or table target. Bounded functions carry no
 * metering at all: their worst-case cost is charged by the caller at the call site. Pure; reads the
 * module only.
 */
import binaryen from "binaryen";
import { frameWeight } from "./depth.ts";
import { forEachExpression, X } from "./walk.ts";
import { expressionWeight } from "./weights.ts";

export interface FunctionFacts {
  name: string;
  imported: boolean;
  hasLoop: boolean;
  hasCallIndirect: boolean;
  /** Calls a host import or uses memory.grow/fill/copy/init, whose costs go straight to `__cp_gas`. */
  touchesGas: boolean;
  callees: string[];
  /** Sum of the weights of all its expressions (own code only). */
  ownCost: number;
  /** What one activation adds to the call depth (depth.ts). */
  frameWeight: number;
}

export interface Bound {
  /** Worst-case gas of one call, including bounded callees. */
  maxCost: number;
  /** Neither it nor its callees read or write `__cp_gas`: callers need not flush their gas local. */
  pure: boolean;
}

/** Facts for every function, imports included, in module order. */
export function collectFacts(mod: binaryen.Module): Map<string, FunctionFacts> {
  const facts = new Map<string, FunctionFacts>();
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    const f: FunctionFacts = {
      name: info.name,
      imported: Boolean(info.module),
      hasLoop: false,
      hasCallIndirect: false,
      touchesGas: false,
      callees: [],
      ownCost: 0,
      frameWeight: frameWeight(info),
    };
    facts.set(info.name, f);
    if (f.imported) continue;
    forEachExpression(info.body, (e) => {
      const id = binaryen.getExpressionId(e);
      if (id === binaryen.LoopId) f.hasLoop = true;
      else if (id === binaryen.CallIndirectId) f.hasCallIndirect = true;
      else if (
        id === binaryen.MemoryGrowId ||
        id === binaryen.MemoryFillId ||
        id === binaryen.MemoryCopyId ||
        id === binaryen.MemoryInitId
      ) {
        f.touchesGas = true;
      } else if (id === binaryen.CallId) {
        f.callees.push(X.Call.getTarget(e));
      }
      f.ownCost += expressionWeight(e);
    });
  }
  return facts;
}

/** The functions in the module's element segments (reachable through `call_indirect`). */
export function tableTargets(mod: binaryen.Module): string[] {
  const out: string[] = [];
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    const seg = binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i));
    out.push(...seg.data);
  }
  return out;
}

/** Finds bounded functions (see the file comment) and their worst-case cost. */
export function classify(facts: Map<string, FunctionFacts>, roots: Set<string>): Map<string, Bound> {
  const bounded = new Map<string, Bound>();
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string): Bound | undefined => {
    const f = facts.get(name)!;
    if (f.imported) return { maxCost: 0, pure: false };
    const s = state.get(name);
    if (s === "visiting") return undefined; // recursion: not bounded
    if (s === "done") return bounded.get(name);
    state.set(name, "visiting");
    let result: Bound | undefined;
    if (!f.hasLoop && !f.hasCallIndirect && !roots.has(name)) {
      let maxCost = f.ownCost;
      let pure = !f.touchesGas;
      let ok = true;
      for (const callee of f.callees) {
        const b = visit(callee);
        if (!b) {
          ok = false;
          continue;
        }
        maxCost += b.maxCost;
        pure &&= b.pure;
      }
      if (ok) result = { maxCost, pure };
    } else {
      for (const callee of f.callees) visit(callee);
    }
    state.set(name, "done");
    if (result) bounded.set(name, result);
    return result;
  };
  for (const name of facts.keys()) visit(name);
  return bounded;
}
