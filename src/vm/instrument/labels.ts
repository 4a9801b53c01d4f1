/**
 * Label surgery for passes that copy code: Binaryen IR requires unique label names in a function, so a
 * copied loop gets fresh names and its branches are retargeted. The fresh-name counter is per run
 * (context.ts), so the output depends only on the input.
 */
import binaryen from "binaryen";
import type { RunContext } from "./context.ts";
import { type ExpressionRef, forEachExpression } from "./walk.ts";

const N = binaryen as unknown as Record<
  "Break" | "Switch" | "Block" | "Loop",
  Record<string, (...a: unknown[]) => unknown>
>;

/** Every branch under `root` to a label in `names` now goes to the label it maps to. */
export function retarget(root: ExpressionRef, names: Map<string, string>): void {
  forEachExpression(root, (e) => {
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.BreakId) {
      const to = names.get(N.Break.getName!(e) as string);
      if (to !== undefined) N.Break.setName!(e, to);
    } else if (id === binaryen.SwitchId) {
      const count = N.Switch.getNumNames!(e) as number;
      for (let i = 0; i < count; i++) {
        const to = names.get(N.Switch.getNameAt!(e, i) as string);
        if (to !== undefined) N.Switch.setNameAt!(e, i, to);
      }
      const to = names.get(N.Switch.getDefaultName!(e) as string);
      if (to !== undefined) N.Switch.setDefaultName!(e, to);
    }
  });
}

/**
 * A copy of `e` whose blocks and loops have fresh names, with the branches inside it retargeted to them.
 */
export function uniqueCopy(run: RunContext, e: ExpressionRef): ExpressionRef {
  const copy = run.mod.copyExpression(e);
  const names = new Map<string, string>();
  forEachExpression(copy, (x) => {
    const id = binaryen.getExpressionId(x);
    const cls = id === binaryen.BlockId ? N.Block : id === binaryen.LoopId ? N.Loop : undefined;
    if (cls === undefined) return;
    const name = cls.getName!(x) as string | null;
    if (!name) return;
    const fresh = `${name}__cp${run.copies++}`;
    names.set(name, fresh);
    cls.setName!(x, fresh);
  });
  retarget(copy, names);
  return copy;
}
