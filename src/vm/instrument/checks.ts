/**
 * The checks pass (DESIGN §6 determinism rules): what a program may import, export and use. Every
 * refusal is an {@link InstrumentError} with a code saying what is wrong. Pure; reads the module only.
 */
import binaryen from "binaryen";
import { EXPORTS, HOST_FUNCTIONS, PAGE_SIZE } from "../abi.ts";
import { InstrumentError } from "./errors.ts";
import type { InstrumentOptions, WasmValueType } from "./layout.ts";
import { forEachExpression, isSupported, X } from "./walk.ts";

export const VALUE_TYPES = new Map<number, WasmValueType>([
  [binaryen.i32, "i32"],
  [binaryen.i64, "i64"],
  [binaryen.f32, "f32"],
  [binaryen.f64, "f64"],
]);

export interface MemoryInfo {
  initial: number;
  max?: number;
}

export function checkMemory(mod: binaryen.Module, opts: InstrumentOptions): MemoryInfo {
  if (!mod.hasMemory()) {
    throw new InstrumentError("Program has no memory", {
      code: "BAD_MEMORY",
      hint: "export a memory named `memory` (docs/abi.md)",
    });
  }
  const info = mod.getMemoryInfo();
  if (info.module || info.base) {
    throw new InstrumentError("Program imports its memory", {
      code: "BAD_MEMORY",
      details: `memory imported from ${info.module}.${info.base}`,
      hint: "define and export the memory instead (docs/abi.md)",
    });
  }
  if (info.shared || info.is64) {
    throw new InstrumentError("Program uses a shared or 64-bit memory", {
      code: "UNSUPPORTED_FEATURE",
      hint: "actors use one private 32-bit memory",
    });
  }
  if (info.initial > opts.maxPages) {
    throw new InstrumentError("Program's initial memory is above the cap", {
      code: "MEMORY_TOO_LARGE",
      details: `${info.initial} pages requested, cap is ${opts.maxPages} pages (${(opts.maxPages * PAGE_SIZE) >> 20} MiB)`,
      hint: "lower the program's initial memory (e.g. asc --initialMemory)",
    });
  }
  return info.max === undefined ? { initial: info.initial } : { initial: info.initial, max: info.max };
}

export function checkImports(mod: binaryen.Module): string[] {
  const names: string[] = [];
  for (let i = 0; i < mod.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
    if (g.module) {
      throw new InstrumentError("Program imports a global", {
        code: "UNKNOWN_IMPORT",
        details: `${g.module}.${g.base}`,
        hint: "actors may import only `coreplay` functions (docs/abi.md)",
      });
    }
  }
  for (let i = 0; i < mod.getNumTables(); i++) {
    const t = binaryen.getTableInfo(mod.getTableByIndex(i));
    if (t.module) {
      throw new InstrumentError("Program imports a table", {
        code: "UNKNOWN_IMPORT",
        details: `${t.module}.${t.base}`,
        hint: "actors may import only `coreplay` functions (docs/abi.md)",
      });
    }
  }
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (!f.module) continue;
    const sig = (HOST_FUNCTIONS as Record<string, readonly [readonly string[], readonly string[]]>)[
      f.base ?? ""
    ];
    if (f.module !== "coreplay" || !sig) {
      throw new InstrumentError("Program imports an unknown function", {
        code: "UNKNOWN_IMPORT",
        details: `${f.module}.${f.base}`,
        hint: "actors may import only the `coreplay` host functions listed in docs/abi.md",
      });
    }
    const params = binaryen.expandType(f.params).map((t) => VALUE_TYPES.get(t));
    const results = binaryen.expandType(f.results).map((t) => VALUE_TYPES.get(t));
    if (params.join() !== sig[0].join() || results.join() !== sig[1].join()) {
      throw new InstrumentError("Host function imported with the wrong signature", {
        code: "BAD_SIGNATURE",
        details: `coreplay.${f.base}: expected (${sig[0].join(", ")}) -> (${sig[1].join(", ")}), got (${params.join(", ")}) -> (${results.join(", ")})`,
        hint: "use the signatures of docs/abi.md",
      });
    }
    names.push(f.base!);
  }
  return names;
}

export interface Entries {
  /** The internal names of the ABI entry functions the program exports. */
  functionNames: string[];
  /** Which ABI entry points are present, by export name. */
  present: Set<string>;
}

export function checkExports(mod: binaryen.Module): Entries {
  const byName = new Map<string, binaryen.ExportInfo>();
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = binaryen.getExportInfo(mod.getExportByIndex(i));
    byName.set(e.name, e);
  }
  const mem = byName.get("memory");
  if (!mem || mem.kind !== binaryen.ExternalMemory) {
    throw new InstrumentError("Program does not export `memory`", {
      code: "MISSING_EXPORT",
      hint: "export the memory as `memory` (docs/abi.md)",
    });
  }
  const functionNames: string[] = [];
  const present = new Set<string>();
  for (const [name, spec] of Object.entries(EXPORTS)) {
    const e = byName.get(name);
    if (!e || e.kind !== binaryen.ExternalFunction) {
      if (spec.required) {
        throw new InstrumentError(`Program does not export \`${name}\``, {
          code: "MISSING_EXPORT",
          hint: `every actor exports ${Object.keys(EXPORTS)
            .filter((k) => EXPORTS[k as keyof typeof EXPORTS].required)
            .join(", ")} (docs/abi.md)`,
        });
      }
      continue;
    }
    const f = binaryen.getFunctionInfo(mod.getFunction(e.value));
    const params = binaryen.expandType(f.params).map((t) => VALUE_TYPES.get(t));
    const results = binaryen.expandType(f.results).map((t) => VALUE_TYPES.get(t));
    if (params.join() !== spec.params.join() || results.join() !== spec.results.join()) {
      throw new InstrumentError(`Export \`${name}\` has the wrong signature`, {
        code: "BAD_SIGNATURE",
        details: `expected (${spec.params.join(", ")}) -> (${spec.results.join(", ")}), got (${params.join(", ")}) -> (${results.join(", ")})`,
        hint: "use the signatures of docs/abi.md",
      });
    }
    functionNames.push(e.value);
    present.add(name);
  }
  return { functionNames, present };
}

/** Every defined function uses only the value types and expressions actors may use. */
export function checkFunctions(mod: binaryen.Module): void {
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (info.module) continue;
    checkTypes(info.name, info.params, info.results, info.vars);
    forEachExpression(info.body, (e) => {
      const id = binaryen.getExpressionId(e);
      if (!isSupported(id)) unsupported(info.name, `expression kind ${id}`);
      const type = binaryen.getExpressionType(e);
      if (type !== binaryen.none && type !== binaryen.unreachable && !VALUE_TYPES.has(type)) {
        unsupported(info.name, "a non-numeric value type (SIMD, references or tuples)");
      }
      if (
        (id === binaryen.LoadId && X.Load.isAtomic(e)) ||
        (id === binaryen.StoreId && X.Store.isAtomic(e))
      ) {
        unsupported(info.name, "atomic memory access");
      }
      if (id === binaryen.CallId && X.Call.isReturn(e)) unsupported(info.name, "tail calls");
    });
  }
}

function checkTypes(fn: string, params: number, results: number, vars: number[]): void {
  for (const t of [params, results, ...vars]) {
    for (const part of binaryen.expandType(t)) {
      if (!VALUE_TYPES.has(part)) unsupported(fn, "a non-numeric value type (SIMD or references)");
    }
  }
  if (binaryen.expandType(results).length > 1) unsupported(fn, "multiple results");
}

function unsupported(fn: string, what: string): never {
  throw new InstrumentError("Program uses an unsupported WebAssembly feature", {
    code: "UNSUPPORTED_FEATURE",
    details: `function ${fn} uses ${what}`,
    hint: "actors are limited to MVP Wasm + mutable globals, sign-ext, saturating conversions and bulk memory (docs/abi.md)",
  });
}
