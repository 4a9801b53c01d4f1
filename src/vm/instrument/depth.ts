/**
 * The stack-depth pass: deterministic stack overflow without paying for it everywhere. A frame's weight
 * stands for the native stack V8 may give it: its params, locals and the deepest operand stack of its
 * body (issue 12 §2: values a function keeps on the stack while it calls cost native stack as locals
 * do). Functions on a call-graph cycle (recursion, direct or through `call_indirect`) count depth at
 * run time, each by its frame weight plus the deepest acyclic chain of frames it can push below itself;
 * so do the entry points, by their own acyclic chain (the frames above the first recursive one). Past
 * `maxCallDepth` the program faults with {@link FAULT}.CallDepth (layout.ts), a property of the program
 * alone: `maxCallDepth` weight units fit V8's smallest native stack at any tier with a wide margin
 * (docs/decisions.md), so V8's own stack overflow never decides a play. Pure.
 */
import binaryen from "binaryen";
import type { FunctionFacts } from "./call-graph.ts";
import type { FunctionContext } from "./context.ts";
import { FAULT } from "./layout.ts";
import { F_DEPTH_FAULT, G_DEPTH, G_FAULT } from "./names.ts";
import { childSlots, type ExpressionRef } from "./walk.ts";

export interface DepthPlan {
  /**
   * The functions that count depth, with their weight: a recursive one's frame plus the deepest acyclic
   * chain below it; an entry point's whole acyclic chain.
   */
  recursive: Map<string, number>;
}

/** Value slots per weight unit: one unit is a frame of up to 16 slots (params, locals, stack). */
const SLOTS_PER_UNIT = 16;

/** What one activation of the function adds to the call depth. */
export function frameWeight(info: binaryen.FunctionInfo): number {
  if (info.module) return 0; // an import: the host's frames are the runtime's to bound
  const slots = binaryen.expandType(info.params).length + info.vars.length + maxOperandStack(info.body);
  return 1 + Math.floor(slots / SLOTS_PER_UNIT);
}

/**
 * The most values the body keeps on the operand stack at once (Binaryen's expression nesting): while an
 * operand is evaluated, the values of the operands before it wait on the stack. A block's children and
 * an `if`'s arms start on an empty stack of their own. Iterative: nesting can be deep.
 */
export function maxOperandStack(body: ExpressionRef): number {
  const height = new Map<ExpressionRef, number>();
  const stack: Array<{ e: ExpressionRef; done: boolean }> = [{ e: body, done: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    const children = childSlots(top.e).map((s) => s.get());
    if (!top.done) {
      stack.push({ e: top.e, done: true });
      for (const c of children) stack.push({ e: c, done: false });
      continue;
    }
    const id = binaryen.getExpressionId(top.e);
    const sequential = id === binaryen.BlockId || id === binaryen.LoopId || id === binaryen.IfId;
    let waiting = 0;
    let h = producesValue(top.e) ? 1 : 0;
    for (const c of children) {
      h = Math.max(h, waiting + height.get(c)!);
      if (!sequential && producesValue(c)) waiting++;
    }
    height.set(top.e, h);
  }
  return height.get(body)!;
}

function producesValue(e: ExpressionRef): boolean {
  const t = binaryen.getExpressionType(e);
  return t !== binaryen.none && t !== binaryen.unreachable;
}

/**
 * `roots`: the entry points. Their frames and those down to the first recursive one are otherwise
 * counted nowhere, and an acyclic chain can be as deep as the program is long.
 */
export function planDepth(facts: Map<string, FunctionFacts>, targets: string[], roots: string[]): DepthPlan {
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
  for (const name of roots)
    if (!cyclic.has(name) && !facts.get(name)!.imported) recursive.set(name, chain(name));
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
