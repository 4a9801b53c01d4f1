/**
 * The stack-depth pass: deterministic stack overflow without paying for it everywhere. Only functions
 * on a call-graph cycle (recursion, direct or through `call_indirect`) count depth, each by its frame
 * weight plus the deepest acyclic chain of frames it can push below itself. Acyclic chains are bounded
 * statically. Past `maxCallDepth` the program faults with {@link FAULT}.CallDepth (layout.ts). Pure.
 */
import binaryen from "binaryen";
import type { FunctionFacts } from "./call-graph.ts";
import type { FunctionContext } from "./context.ts";
import { FAULT } from "./layout.ts";
import { F_DEPTH_FAULT, G_DEPTH, G_FAULT } from "./names.ts";
import type { ExpressionRef } from "./walk.ts";

export interface DepthPlan {
  /** Each recursive function's depth weight: its frame plus the deepest acyclic chain below it. */
  recursive: Map<string, number>;
}

/** What one activation of the function adds to the call depth. */
export function frameWeight(info: binaryen.FunctionInfo): number {
  return 1 + Math.floor((binaryen.expandType(info.params).length + info.vars.length) / 16);
}

export function planDepth(facts: Map<string, FunctionFacts>, targets: string[]): DepthPlan {
  const edges = new Map<string, string[]>();
  for (const f of facts.values()) {
    edges.set(f.name, f.imported ? [] : [...f.callees, ...(f.hasCallIndirect ? targets : [])]);
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cyclic = new Set<string>();
  let counter = 0;
  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) for (const c of component) cyclic.add(c);
    }
  };
  for (const name of facts.keys()) if (!index.has(name)) strong(name);

  const acyclicDepth = new Map<string, number>();
  const chain = (name: string): number => {
    if (cyclic.has(name)) return 0;
    const known = acyclicDepth.get(name);
    if (known !== undefined) return known;
    const f = facts.get(name)!;
    let below = 0;
    for (const c of edges.get(name) ?? []) below = Math.max(below, chain(c));
    const d = (f.imported ? 0 : f.frameWeight) + below;
    acyclicDepth.set(name, d);
    return d;
  };
  const recursive = new Map<string, number>();
  for (const name of cyclic) {
    let below = 0;
    for (const c of edges.get(name) ?? []) below = Math.max(below, chain(c));
    recursive.set(name, facts.get(name)!.frameWeight + below);
  }
  return { recursive };
}

/** Entry code of a recursive function: push its weight, fault past the limit. */
export function pushDepth(fc: FunctionContext, weight: number): ExpressionRef[] {
  const mod = fc.run.mod;
  return [
    mod.global.set(G_DEPTH, mod.i32.add(mod.global.get(G_DEPTH, binaryen.i32), mod.i32.const(weight))),
    mod.if(
      mod.i32.gt_u(mod.global.get(G_DEPTH, binaryen.i32), mod.i32.const(fc.run.opts.maxCallDepth)),
      mod.call(F_DEPTH_FAULT, [], binaryen.none),
    ),
  ];
}

/** Exit code of a recursive function: pop its weight. */
export function popDepth(fc: FunctionContext, weight: number): ExpressionRef {
  const mod = fc.run.mod;
  return mod.global.set(G_DEPTH, mod.i32.sub(mod.global.get(G_DEPTH, binaryen.i32), mod.i32.const(weight)));
}

/** The helper a recursive function calls past the limit: record why, then trap. */
export function addDepthFault(mod: binaryen.Module): void {
  mod.addFunction(
    F_DEPTH_FAULT,
    binaryen.none,
    binaryen.none,
    [],
    mod.block(null, [mod.global.set(G_FAULT, mod.i32.const(FAULT.CallDepth)), mod.unreachable()]),
  );
}
