/**
 * The program's own state and start, made reachable by the runtime: mutable globals exported as
 * `__cp_g<i>` (the image's globals) and the start function moved out of the start section (layout.ts).
 */
import binaryen from "binaryen";
import { VALUE_TYPES } from "./checks.ts";
import { InstrumentError } from "./errors.ts";
import type { Instrumented } from "./layout.ts";

export function exportProgramGlobals(mod: binaryen.Module): Instrumented["globals"] {
  const out: Instrumented["globals"] = [];
  const n = mod.getNumGlobals();
  for (let i = 0; i < n; i++) {
    const g = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
    if (!g.mutable) continue;
    const type = VALUE_TYPES.get(g.type);
    if (!type) {
      throw new InstrumentError("Program has a global of an unsupported type", {
        code: "UNSUPPORTED_FEATURE",
        details: `global ${g.name}`,
      });
    }
    const exportName = `__cp_g${out.length}`;
    mod.addGlobalExport(g.name, exportName);
    out.push({ exportName, type });
  }
  return out;
}

/** Removes the start section (it would run at every instantiation) and returns its function. */
export function moveStart(mod: binaryen.Module): string | undefined {
  const start = mod.getStart();
  if (!start) return undefined;
  const name = binaryen.getFunctionInfo(start).name;
  mod.setStart(0 as binaryen.FunctionRef);
  return name;
}
