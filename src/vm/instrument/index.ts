/**
 * The instrumenter: turns a program's Wasm into a deterministic, metered, suspendable module
 * (DESIGN §6). The contract with the runtime is in `layout.ts`.
 *
 * Pipeline: validate → `denan` (canonical NaNs) → classify functions → meter + virtualise memory →
 * Asyncify (only functions that can reach `yield`/`preempt` are transformed) → optimise → patch limits.
 *
 * Metering (DESIGN §6, "keep metering cheap"):
 * - A function is *bounded* when it has no loops, no `call_indirect`, calls only bounded functions or
 *   host imports, and is not an entry point or table target. Bounded functions carry no metering at all:
 *   their worst-case cost is charged by the caller at the call site.
 * - Every other function keeps gas in a local: loaded at entry, charged per segment (function entry,
 *   each loop header, each `if` arm: the static weight of the straight-line code up to the next nested
 *   loop or arm), flushed to `__cp_gas` before each call and at each exit, re-read after each call.
 * - Out of gas traps (cooperative) or calls `coreplay_internal.preempt` (preemptible).
 *
 * @example
 * const out = instrument(wasm, { preemptible: false, maxPages: 1024, maxCallDepth: 1024 });
 * new WebAssembly.Module(out.wasm);
 */
import binaryen from "binaryen";
import { EXPORTS, HOST_FUNCTIONS, PAGE_SIZE } from "../abi.ts";
import { cacheAsyncifyState } from "./asyncify-state.ts";
import { patchMemoryLimits } from "./binary.ts";
import { InstrumentError } from "./errors.ts";
import { HOIST_SLOTS, type HoistedStore, planHoist } from "./hoist.ts";
import type { Instrumented, InstrumentOptions, WasmValueType } from "./layout.ts";
import { FAULT } from "./layout.ts";
import { childSlots, type ExpressionRef, forEachExpression, isSupported, X } from "./walk.ts";
import { expressionWeight } from "./weights.ts";

export { InstrumentError } from "./errors.ts";
export type { Instrumented, InstrumentOptions } from "./layout.ts";
export { FAULT } from "./layout.ts";

const G_GAS = "__cp_gas";
const G_FAULT = "__cp_fault";
const G_DEPTH = "__cp_depth";
const G_PAGES = "__cp_pages";
const F_DEPTH_FAULT = "__cp_depth_fault";
const F_GROW = "__cp_grow";
const F_MARK = "__cp_mark";
const F_PREEMPT = "__cp_preempt";
const F_FLUSH = "__cp_flush";
const F_FLUSH_RANGE = "__cp_flush_range";
/** Gas per page of a hoisted store's range beyond its first (hoist.ts). */
const HOIST_PAGE_GAS = 1024;

/** Bytes of Asyncify data the runtime may use for one suspended `main`. */
const ASYNCIFY_BYTES = 128 * 1024;
/** Upper bound on scratch pages (4 at the largest cap): sizes the dirty map's scratch entries. */
const MAX_RESERVED_PAGES = 16;
/** Gas per byte touched by memory.fill/copy/init, as a right shift (1 gas per 16 bytes). */
const BULK_GAS_SHIFT = 4;
/** Gas per page added by memory.grow. */
const GROW_GAS_PER_PAGE = 2048;

const VALUE_TYPES = new Map<number, WasmValueType>([
  [binaryen.i32, "i32"],
  [binaryen.i64, "i64"],
  [binaryen.f32, "f32"],
  [binaryen.f64, "f64"],
]);

interface FunctionFacts {
  name: string;
  imported: boolean;
  hasLoop: boolean;
  hasCallIndirect: boolean;
  /** Calls a host import or uses memory.grow/fill/copy/init, whose costs go straight to `__cp_gas`. */
  touchesGas: boolean;
  callees: string[];
  /** Sum of the weights of all its expressions (own code only). */
  ownCost: number;
  frameWeight: number;
}

export function instrument(code: Uint8Array, opts: InstrumentOptions): Instrumented {
  if (!WebAssembly.validate(code as Uint8Array<ArrayBuffer>)) {
    throw new InstrumentError("Program is not valid WebAssembly", {
      code: "NOT_WASM",
      details: code.length < 8 ? `only ${code.length} bytes` : "WebAssembly.validate rejected the module",
      hint: "build the actor with `coreplay build`, or check your toolchain's output",
    });
  }
  const mod = binaryen.readBinary(code);
  copies = 0;
  try {
    return instrumentModule(mod, opts);
  } finally {
    mod.dispose();
  }
}

function instrumentModule(mod: binaryen.Module, opts: InstrumentOptions): Instrumented {
  mod.setFeatures(
    binaryen.Features.MutableGlobals |
      binaryen.Features.NontrappingFPToInt |
      binaryen.Features.BulkMemory |
      binaryen.Features.BulkMemoryOpt |
      binaryen.Features.SignExt,
  );
  const memory = checkMemory(mod, opts);
  const imports = checkImports(mod);
  const entries = checkExports(mod);

  // Canonical NaNs: Wasm float arithmetic is deterministic except for NaN bit patterns.
  mod.runPasses(["denan"]);

  const globals = exportProgramGlobals(mod);
  const startName = moveStart(mod);

  const facts = collectFacts(mod);
  const roots = new Set<string>(entries.functionNames);
  if (startName) roots.add(startName);
  for (const name of tableTargets(mod)) roots.add(name);
  const bounded = classify(facts, roots);

  const maxPages = Math.min(memory.max ?? opts.maxPages, opts.maxPages);
  // The map has a byte for every physical page, scratch included: a store into the scratch marks a byte
  // at an index ≥ `__cp_pages`, which is how the runtime finds it (layout.ts).
  const dirtyBytes = align16(opts.maxPages + MAX_RESERVED_PAGES);
  const reservedPages = Math.ceil((dirtyBytes + ASYNCIFY_BYTES) / PAGE_SIZE);

  addRuntimeGlobals(mod, memory.initial);
  addHelpers(mod, {
    maxPages,
    reservedPages,
    preemptible: opts.preemptible,
    maxCallDepth: opts.maxCallDepth,
  });

  const meter = new Meter(mod, bounded, planDepth(facts, tableTargets(mod)), opts);
  for (const f of facts.values()) if (!f.imported) meter.instrumentFunction(f.name);

  if (startName) mod.addFunctionExport(startName, "__cp_start");
  // The rewrites above must leave valid Binaryen IR (unique label names included): the passes below
  // assume it, and V8 only sees the binary, where a mix-up could still validate.
  binaryen.setDebugInfo(false);
  if (!mod.validate()) {
    throw new InstrumentError("Instrumentation produced invalid code", {
      code: "INTERNAL",
      hint: "this is a Coreplay bug: please report it with the program",
    });
  }

  binaryen.setPassArgument(
    "asyncify-imports",
    opts.preemptible ? `coreplay.yield,coreplay_internal.preempt` : "coreplay.yield",
  );
  // Asyncify optimises what it instruments when an optimise level is set before it runs.
  binaryen.setOptimizeLevel(2);
  binaryen.setShrinkLevel(0);
  try {
    mod.runPasses(["asyncify"]);
  } finally {
    binaryen.clearPassArguments();
  }
  cacheAsyncifyState(mod);
  mod.optimize();

  const emitted = mod.emitBinary();
  const wasm = patchMemoryLimits(emitted, memory.initial + reservedPages, maxPages + reservedPages);
  return {
    wasm,
    globals,
    reservedPages,
    asyncifyDataOffset: dirtyBytes,
    initialPages: memory.initial,
    entries: {
      main: true,
      call: true,
      payout: entries.present.has("payout"),
      dependencies: entries.present.has("dependencies"),
      initialize: entries.present.has("_initialize"),
      start: startName !== undefined,
    },
    imports,
    hoistedLoops: meter.hoistedLoops,
  };
}

/** binaryen 132 takes one bigint for i64.const; its typings still say (low, high). */
function i64c(mod: binaryen.Module, v: number): ExpressionRef {
  return (mod.i64.const as unknown as (v: bigint) => ExpressionRef)(BigInt(v));
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

function checkMemory(mod: binaryen.Module, opts: InstrumentOptions): { initial: number; max?: number } {
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

function checkImports(mod: binaryen.Module): string[] {
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

function checkExports(mod: binaryen.Module): { functionNames: string[]; present: Set<string> } {
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

function exportProgramGlobals(mod: binaryen.Module): Instrumented["globals"] {
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
function moveStart(mod: binaryen.Module): string | undefined {
  const start = mod.getStart();
  if (!start) return undefined;
  const name = binaryen.getFunctionInfo(start).name;
  mod.setStart(0 as binaryen.FunctionRef);
  return name;
}

function tableTargets(mod: binaryen.Module): string[] {
  const out: string[] = [];
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    const seg = binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i));
    out.push(...seg.data);
  }
  return out;
}

function collectFacts(mod: binaryen.Module): Map<string, FunctionFacts> {
  const facts = new Map<string, FunctionFacts>();
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const ref = mod.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(ref);
    const f: FunctionFacts = {
      name: info.name,
      imported: Boolean(info.module),
      hasLoop: false,
      hasCallIndirect: false,
      touchesGas: false,
      callees: [],
      ownCost: 0,
      frameWeight: 1 + Math.floor((binaryen.expandType(info.params).length + info.vars.length) / 16),
    };
    facts.set(info.name, f);
    if (f.imported) continue;
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
        if (X.Call.isReturn(e)) unsupported(info.name, "tail calls");
        f.callees.push(X.Call.getTarget(e));
      }
      f.ownCost += expressionWeight(e);
    });
  }
  return facts;
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

/** Loops worth unrolling: no loop inside, and a small body (code size doubles). */
const UNROLL_MAX_EXPRESSIONS = 48;
function inner(loop: ExpressionRef): boolean {
  let count = 0;
  let nested = false;
  forEachExpression(X.Loop.getBody(loop), (e) => {
    count++;
    if (binaryen.getExpressionId(e) === binaryen.LoopId) nested = true;
  });
  return !nested && count <= UNROLL_MAX_EXPRESSIONS;
}

const N = binaryen as unknown as Record<
  "Break" | "Switch" | "Block" | "Loop",
  Record<string, (...a: unknown[]) => unknown>
>;

/** Every branch under `root` to a label in `names` now goes to the label it maps to. */
function retarget(root: ExpressionRef, names: Map<string, string>): void {
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

let copies = 0;

/**
 * A copy of `e` whose blocks and loops have fresh names (Binaryen IR requires unique label names in a
 * function), with the branches inside it retargeted to them.
 */
function uniqueCopy(mod: binaryen.Module, e: ExpressionRef): ExpressionRef {
  const copy = mod.copyExpression(e);
  const names = new Map<string, string>();
  forEachExpression(copy, (x) => {
    const id = binaryen.getExpressionId(x);
    const cls = id === binaryen.BlockId ? N.Block : id === binaryen.LoopId ? N.Loop : undefined;
    if (cls === undefined) return;
    const name = cls.getName!(x) as string | null;
    if (!name) return;
    const fresh = `${name}__cp${copies++}`;
    names.set(name, fresh);
    cls.setName!(x, fresh);
  });
  retarget(copy, names);
  return copy;
}

function containsStore(root: ExpressionRef): boolean {
  let found = false;
  forEachExpression(root, (e) => {
    if (binaryen.getExpressionId(e) === binaryen.StoreId) found = true;
  });
  return found;
}

/** Every expression under `root` that has a loop somewhere under it (one post-order walk). */
function expressionsWithLoops(root: ExpressionRef): Set<ExpressionRef> {
  const found = new Set<ExpressionRef>();
  const visit = (e: ExpressionRef): boolean => {
    let has = binaryen.getExpressionId(e) === binaryen.LoopId;
    for (const s of childSlots(e)) if (visit(s.get())) has = true;
    if (has) found.add(e);
    return has;
  };
  visit(root);
  return found;
}

/**
 * Deterministic stack overflow without paying for it everywhere: only functions on a call-graph cycle
 * (recursion, direct or through `call_indirect`) count depth, each by its frame weight plus the deepest
 * acyclic chain of frames it can push below itself. Acyclic chains are bounded statically.
 */
interface DepthPlan {
  recursive: Map<string, number>;
}

function planDepth(facts: Map<string, FunctionFacts>, targets: string[]): DepthPlan {
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

interface Bound {
  /** Worst-case gas of one call, including bounded callees. */
  maxCost: number;
  /** Neither it nor its callees read or write `__cp_gas`: callers need not flush their gas local. */
  pure: boolean;
}

/** Finds bounded functions (see the module comment) and their worst-case cost. */
function classify(facts: Map<string, FunctionFacts>, roots: Set<string>): Map<string, Bound> {
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

function addRuntimeGlobals(mod: binaryen.Module, initialPages: number): void {
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

/**
 * A hoisted store's slot (hoist.ts): its address at loop entry, its last address (-1: none yet), its
 * offset, offset + bytes - 1, and its direction (+1/-1).
 */
const HOIST_PARTS = ["lo", "hi", "off", "last", "dir"] as const;
const hoistGlobal = (k: number, part: (typeof HOIST_PARTS)[number]) => `__cp_h${k}_${part}`;

/** The scratch area starts right above the logical memory. */
function scratchBase(mod: binaryen.Module): ExpressionRef {
  return mod.i32.shl(mod.global.get(G_PAGES, binaryen.i32), mod.i32.const(16));
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
    const g = (part: (typeof HOIST_PARTS)[number]) => mod.global.get(hoistGlobal(k, part), i32);
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

function addHelpers(
  mod: binaryen.Module,
  o: { maxPages: number; reservedPages: number; preemptible: boolean; maxCallDepth: number },
): void {
  const { i32, i64 } = binaryen;
  // Faults: record why, then trap. The runtime reads `__cp_fault` after the trap.
  mod.addFunction(
    F_DEPTH_FAULT,
    binaryen.none,
    binaryen.none,
    [],
    mod.block(null, [mod.global.set(G_FAULT, mod.i32.const(FAULT.CallDepth)), mod.unreachable()]),
  );
  if (o.preemptible)
    mod.addFunctionImport(F_PREEMPT, "coreplay_internal", "preempt", binaryen.none, binaryen.none);

  // memory.grow(delta) on the logical memory: params (delta) locals (old)
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
          mod.i32.gt_u(delta(), mod.i32.sub(mod.i32.const(o.maxPages), old())),
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
          mod.i32.const(o.maxPages),
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

  addFlush(mod);

  // mark(dest, len): bounds-check a bulk write against the logical memory, mark its pages dirty and
  // charge for its bytes. params (dest, len)
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

/** Rewrites one function: metering (unless bounded), memory virtualisation, dirty tracking, depth. */
class Meter {
  private readonly addVar: (fn: number, type: number) => number;
  private fn = 0;
  private metered = false;
  private locals = new Map<string, number>();
  private loopy = new Set<ExpressionRef>();
  /** Metered functions with stores cache the scratch base in a local, refreshed after every call. */
  private hasStores = false;

  constructor(
    private readonly mod: binaryen.Module,
    private readonly bounded: Map<string, Bound>,
    private readonly depth: DepthPlan,
    private readonly opts: InstrumentOptions,
  ) {
    this.addVar = (
      binaryen as unknown as { _BinaryenFunctionAddVar: (f: number, t: number) => number }
    )._BinaryenFunctionAddVar;
  }

  instrumentFunction(name: string): void {
    const mod = this.mod;
    this.fn = mod.getFunction(name);
    this.metered = !this.bounded.has(name);
    this.locals.clear();
    const info = binaryen.getFunctionInfo(this.fn);
    this.loopy = expressionsWithLoops(info.body);
    this.hasStores = false;
    forEachExpression(info.body, (e) => {
      if (binaryen.getExpressionId(e) === binaryen.StoreId) this.hasStores = true;
    });
    const body = info.body;
    const slot = { get: () => body, set: (_: ExpressionRef) => {} };
    let newBody = body;
    slot.set = (e) => {
      newBody = e;
    };
    const entryCost = this.segment(slot);
    if (!this.metered) {
      if (newBody !== body) X.Function.setBody(this.fn, newBody);
      return;
    }
    const depthWeight = this.depth.recursive.get(name);
    const results = info.results;
    const g = this.local("gas", binaryen.i64);
    const parts: ExpressionRef[] = [mod.local.set(g, mod.global.get(G_GAS, binaryen.i64))];
    if (depthWeight !== undefined) {
      parts.push(
        mod.global.set(
          G_DEPTH,
          mod.i32.add(mod.global.get(G_DEPTH, binaryen.i32), mod.i32.const(depthWeight)),
        ),
        mod.if(
          mod.i32.gt_u(mod.global.get(G_DEPTH, binaryen.i32), mod.i32.const(this.opts.maxCallDepth)),
          mod.call(F_DEPTH_FAULT, [], binaryen.none),
        ),
      );
    }
    parts.push(...this.refreshScratch(), ...this.charge(entryCost));
    const exit = () =>
      depthWeight === undefined
        ? [mod.global.set(G_GAS, mod.local.get(g, binaryen.i64))]
        : [
            mod.global.set(G_GAS, mod.local.get(g, binaryen.i64)),
            mod.global.set(
              G_DEPTH,
              mod.i32.sub(mod.global.get(G_DEPTH, binaryen.i32), mod.i32.const(depthWeight)),
            ),
          ];
    this.exitCode = exit;
    // Every `return` runs the exit code first; the normal exit is appended below.
    this.rewriteReturns(newBody, results, (e) => {
      newBody = e;
    });
    if (results === binaryen.none) {
      parts.push(newBody, ...exit());
      X.Function.setBody(this.fn, mod.block(null, parts, binaryen.none));
    } else {
      const ret = this.local("ret", results);
      parts.push(mod.local.set(ret, newBody), ...exit(), mod.local.get(ret, results));
      X.Function.setBody(this.fn, mod.block(null, parts, results));
    }
  }

  private exitCode: () => ExpressionRef[] = () => [];

  /** A var of `type` reserved for `purpose` in the current function (shared within it). */
  private local(purpose: string, type: number): number {
    const key = `${purpose}:${type}`;
    let idx = this.locals.get(key);
    if (idx === undefined) {
      idx = this.addVar(this.fn, type);
      this.locals.set(key, idx);
    }
    return idx;
  }

  /** A fresh var, for sites whose operands may nest the same kind of site. */
  private freshLocal(type: number): number {
    return this.addVar(this.fn, type);
  }

  /** `gas -= cost; if gas < 0 → out of gas` (metered functions only). */
  private charge(cost: number): ExpressionRef[] {
    if (!this.metered || cost === 0) return [];
    const mod = this.mod;
    const g = this.local("gas", binaryen.i64);
    const exhausted = mod.i64.lt_s(
      mod.local.tee(g, mod.i64.sub(mod.local.get(g, binaryen.i64), i64c(mod, cost)), binaryen.i64),
      i64c(mod, 0),
    );
    const onEmpty = this.opts.preemptible
      ? mod.block(null, [
          mod.global.set(G_GAS, mod.local.get(g, binaryen.i64)),
          mod.call(F_PREEMPT, [], binaryen.none),
          mod.local.set(g, mod.global.get(G_GAS, binaryen.i64)),
        ])
      : // Inline, not a call: a call on the cold path makes V8 keep the loop's values spillable.
        mod.block(null, [mod.global.set(G_FAULT, mod.i32.const(FAULT.OutOfGas)), mod.unreachable()]);
    return [mod.if(exhausted, onEmpty)];
  }

  /**
   * A preemptible loop (or hoisted loop, with its entry code) whose header never calls out. Out of gas
   * at the header branches out to `preempted` (undoing the charge: meterLoop), past the loop to a
   * preempt call; the resumed code re-enters from the top (re-running a hoisted loop's entry code):
   *
   *     block $done { loop $resume { block $preempted { loop $l { if (gas - c < 0) br $preempted; …body } br $done }
   *                                  preempt(); br $resume } }
   *
   * Asyncify guards each stretch of code between its call points with a check of its state; a call
   * inside the loop would put those checks in every iteration, while a loop free of calls is guarded
   * once, outside it (DESIGN §6: preemptible overhead).
   */
  private preemptible(loop: ExpressionRef, preempted: string): ExpressionRef {
    const mod = this.mod;
    const n = this.labels++;
    const done = `__cp_done${n}`;
    const resume = `__cp_resume${n}`;
    const type = binaryen.getExpressionType(loop);
    const leave =
      type === binaryen.unreachable
        ? loop
        : type === binaryen.none
          ? mod.block(null, [loop, mod.br(done)], binaryen.unreachable)
          : mod.br(done, 0, loop);
    const again = mod.loop(
      resume,
      mod.block(
        null,
        [
          mod.block(preempted, [leave], binaryen.none),
          ...this.flush(),
          mod.call(F_PREEMPT, [], binaryen.none),
          ...this.reload(),
          mod.br(resume),
        ],
        binaryen.unreachable,
      ),
    );
    return type === binaryen.unreachable ? again : mod.block(done, [again], type);
  }

  private labels = 0;

  /** Stores whose marks are hoisted out of the loop being metered, with their slots. */
  private hoisting: Map<ExpressionRef, number> | undefined;

  /**
   * A loop with its body charged at the header. With `preempt` (preemptible programs), running out
   * branches to that label with the charge undone instead of calling out (see {@link preemptible}).
   */
  private meterLoop(loop: ExpressionRef, preempt?: string): ExpressionRef {
    const mod = this.mod;
    const body = { get: () => X.Loop.getBody(loop), set: (c: ExpressionRef) => X.Loop.setBody(loop, c) };
    const type = binaryen.getExpressionType(loop);
    const unroll = this.metered && (type === binaryen.none || type === binaryen.unreachable) && inner(loop);
    const cost = this.segment(body);
    let check: ExpressionRef[];
    if (preempt === undefined || cost === 0) check = this.charge(cost);
    else {
      const i64 = binaryen.i64;
      const g = this.local("gas", i64);
      check = [
        mod.if(
          mod.i64.lt_s(
            mod.local.tee(g, mod.i64.sub(mod.local.get(g, i64), i64c(mod, cost)), i64),
            i64c(mod, 0),
          ),
          mod.block(null, [
            mod.local.set(g, mod.i64.add(mod.local.get(g, i64), i64c(mod, cost))),
            mod.br(preempt),
          ]),
        ),
      ];
    }
    if (unroll && cost > 0) return this.unrolled(loop, check, cost);
    body.set(this.prefix(check, body.get()));
    return loop;
  }

  /**
   * An innermost loop with two copies of its body per trip, so the gas check runs every other
   * iteration: the second copy only subtracts its cost (gas may then go one iteration's cost below
   * zero before the next check, which layout.ts allows). Gas used is exactly as without unrolling.
   *
   *     block $x { loop $l { check; block $m { body[br $l → br $m]; br $x }; gas -= cost; body } }
   */
  private unrolled(loop: ExpressionRef, check: ExpressionRef[], cost: number): ExpressionRef {
    const mod = this.mod;
    const i64 = binaryen.i64;
    const g = this.local("gas", i64);
    const type = binaryen.getExpressionType(loop);
    const label = X.Loop.getName(loop) as string | null;
    const n = this.labels++;
    const next = `__cp_next${n}`;
    const exit = `__cp_exit${n}`;
    const second = X.Loop.getBody(loop);
    const first = uniqueCopy(mod, second);
    if (label) retarget(first, new Map([[label, next]]));
    const falls = binaryen.getExpressionType(second) !== binaryen.unreachable;
    X.Loop.setBody(
      loop,
      mod.block(
        null,
        [
          ...check,
          mod.block(next, falls ? [first, mod.br(exit)] : [first], binaryen.none),
          mod.local.set(g, mod.i64.sub(mod.local.get(g, i64), i64c(mod, cost))),
          second,
        ],
        binaryen.getExpressionType(second),
      ),
    );
    if (type !== binaryen.none) return loop;
    return mod.block(exit, [loop], binaryen.none);
  }

  /**
   * A loop with hoisted stores (hoist.ts): at entry, flush the slots and record each store's address
   * at entry; each store then records its address in its slot instead of marking. A store whose
   * addresses decrease must start in bounds (else its first store could be the one out of bounds): if
   * not, a copy of the loop with a mark per store runs instead.
   */
  /** How many loops got hoisted stores (the runtime flushes after an entry only if any did). */
  hoistedLoops = 0;

  private hoistedLoop(loop: ExpressionRef, plan: HoistedStore[], preempt?: string): ExpressionRef {
    this.hoistedLoops++;
    const mod = this.mod;
    const type = binaryen.getExpressionType(loop);
    const i32 = binaryen.i32;
    const facts = plan.map((h) => ({
      start: mod.copyExpression(h.ptr),
      last: (X.Store.getOffset(h.store) as number) + (X.Store.getBytes(h.store) as number) - 1,
      offset: X.Store.getOffset(h.store) as number,
      dir: h.dir,
      // A step read from a local: its value times the pointer's coefficient, kept in a fresh local.
      step: h.step && {
        value: mod.i32.mul(mod.local.get(h.step.local, i32), mod.i32.const(h.step.a)),
        local: this.freshLocal(i32),
      },
    }));
    const slow = plan.some((h) => h.dir <= 0) ? uniqueCopy(mod, loop) : undefined;
    this.hoisting = new Map(plan.map((h, k) => [h.store, k]));
    const fast = this.meterLoop(loop, preempt);
    this.hoisting = undefined;
    const entry: ExpressionRef[] = [...this.flush(), mod.call(F_FLUSH, [], binaryen.none), ...this.reload()];
    facts.forEach((f, k) => {
      entry.push(
        mod.global.set(hoistGlobal(k, "lo"), f.start),
        mod.global.set(hoistGlobal(k, "off"), mod.i32.const(f.offset | 0)),
        mod.global.set(hoistGlobal(k, "last"), mod.i32.const(f.last | 0)),
      );
      if (f.step === undefined) entry.push(mod.global.set(hoistGlobal(k, "dir"), mod.i32.const(f.dir)));
      else {
        const step = () => mod.local.get(f.step!.local, i32);
        entry.push(
          mod.local.set(f.step.local, f.step.value),
          mod.global.set(
            hoistGlobal(k, "dir"),
            mod.select(mod.i32.lt_s(step(), mod.i32.const(0)), mod.i32.const(-1), mod.i32.const(1)),
          ),
        );
      }
    });
    if (slow === undefined) return mod.block(null, [...entry, fast], type);
    // Descending stores must start in bounds; steps read from locals must be at most a page.
    const inBounds = (f: (typeof facts)[number], k: number) =>
      mod.i64.lt_u(
        mod.i64.add(mod.i64.extend_u(mod.global.get(hoistGlobal(k, "lo"), i32)), i64c(mod, f.last)),
        mod.i64.shl(mod.i64.extend_u(mod.global.get(G_PAGES, i32)), i64c(mod, 16)),
      );
    const startsInBounds = facts
      .map((f, k) => {
        if (f.step === undefined) return f.dir > 0 ? mod.i32.const(1) : inBounds(f, k);
        const step = () => mod.local.get(f.step!.local, i32);
        return mod.i32.and(
          mod.i32.le_u(mod.i32.add(step(), mod.i32.const(65536)), mod.i32.const(131072)),
          mod.i32.or(mod.i32.ge_s(step(), mod.i32.const(0)), inBounds(f, k)),
        );
      })
      .reduce((x, y) => mod.i32.and(x, y));
    return mod.block(null, [...entry, mod.if(startsInBounds, fast, this.meterLoop(slow, preempt))], type);
  }

  private flush(): ExpressionRef[] {
    if (!this.metered) return [];
    return [this.mod.global.set(G_GAS, this.mod.local.get(this.local("gas", binaryen.i64), binaryen.i64))];
  }

  private reload(): ExpressionRef[] {
    if (!this.metered) return [];
    const g = this.local("gas", binaryen.i64);
    return [this.mod.local.set(g, this.mod.global.get(G_GAS, binaryen.i64)), ...this.refreshScratch()];
  }

  /** `memory.grow` (here or in a callee) moves the scratch: re-read its base. */
  private refreshScratch(): ExpressionRef[] {
    if (!this.metered || !this.hasStores) return [];
    return [this.mod.local.set(this.local("scratch", binaryen.i32), scratchBase(this.mod))];
  }

  private scratch(): ExpressionRef {
    if (!this.metered || !this.hasStores) return scratchBase(this.mod);
    return this.mod.local.get(this.local("scratch", binaryen.i32), binaryen.i32);
  }

  /** Prefix `code` to an arm/body, keeping its type. */
  private prefix(code: ExpressionRef[], e: ExpressionRef): ExpressionRef {
    if (code.length === 0) return e;
    return this.mod.block(null, [...code, e], binaryen.getExpressionType(e));
  }

  /**
   * Processes the expression in `slot` and everything under it; returns the static cost it adds to the
   * enclosing segment. Nested loop bodies and if arms become segments of their own, charged in place.
   */
  private segment(slot: { get(): ExpressionRef; set(e: ExpressionRef): void }): number {
    const e = slot.get();
    const id = binaryen.getExpressionId(e);
    let cost = expressionWeight(e);

    if (id === binaryen.LoopId) {
      const plan = this.metered ? planHoist(e) : [];
      const preempt = this.opts.preemptible && this.metered ? `__cp_preempted${this.labels++}` : undefined;
      const metered = plan.length > 0 ? this.hoistedLoop(e, plan, preempt) : this.meterLoop(e, preempt);
      slot.set(preempt === undefined ? metered : this.preemptible(metered, preempt));
      return cost;
    }
    if (id === binaryen.IfId) {
      const cond = { get: () => X.If.getCondition(e), set: (c: ExpressionRef) => X.If.setCondition(e, c) };
      cost += this.segment(cond);
      const arms = [
        { get: () => X.If.getIfTrue(e), set: (c: ExpressionRef) => X.If.setIfTrue(e, c) },
        { get: () => X.If.getIfFalse(e), set: (c: ExpressionRef) => X.If.setIfFalse(e, c) },
      ].filter((arm) => arm.get() !== 0);
      if (!arms.some((arm) => this.loopy.has(arm.get()))) {
        // Loop-free arms: charge the dearer arm up front, saving a check per branch.
        return cost + Math.max(0, ...arms.map((arm) => this.segment(arm)));
      }
      for (const arm of arms) {
        const inner = this.segment(arm);
        arm.set(this.prefix(this.charge(inner), arm.get()));
      }
      return cost;
    }
    for (const child of childSlots(e)) cost += this.segment(child);

    switch (id) {
      case binaryen.CallId: {
        const target = X.Call.getTarget(e);
        const b = this.bounded.get(target);
        if (b) cost += b.maxCost;
        if (b?.pure) break; // no gas traffic inside: the local stays exact across the call
        slot.set(
          this.aroundCall(
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
          this.aroundCall(
            e,
            1,
            () => X.CallIndirect.getTarget(e),
            (_, c) => X.CallIndirect.setTarget(e, c),
          ),
        );
        break;
      }
      case binaryen.StoreId:
        this.trackStore(e, slot);
        break;
      case binaryen.MemorySizeId:
        slot.set(this.mod.global.get(G_PAGES, binaryen.i32));
        break;
      case binaryen.MemoryGrowId:
        slot.set(this.rewriteGrow(e));
        break;
      case binaryen.MemoryFillId:
      case binaryen.MemoryCopyId:
      case binaryen.MemoryInitId:
        slot.set(this.rewriteBulk(e, id));
        break;
    }
    return cost;
  }

  /**
   * `call` with the gas local flushed right before control leaves (after its operands are evaluated,
   * since operands may charge) and re-read right after.
   */
  private aroundCall(
    call: ExpressionRef,
    n: number,
    get: (i: number) => ExpressionRef,
    set: (i: number, c: ExpressionRef) => void,
  ): ExpressionRef {
    if (!this.metered) return call;
    const mod = this.mod;
    const before: ExpressionRef[] = [];
    if (n === 0) before.push(...this.flush());
    else {
      const last = get(n - 1);
      const type = binaryen.getExpressionType(last);
      if (type === binaryen.unreachable) return call;
      const t = this.local("operand", type);
      set(n - 1, mod.block(null, [mod.local.set(t, last), ...this.flush(), mod.local.get(t, type)], type));
    }
    const type = binaryen.getExpressionType(call);
    if (type === binaryen.none || type === binaryen.unreachable) {
      return mod.block(
        null,
        [...before, call, ...this.reload()],
        type === binaryen.unreachable ? binaryen.unreachable : binaryen.none,
      );
    }
    const r = this.local("result", type);
    return mod.block(
      null,
      [...before, mod.local.set(r, call), ...this.reload(), mod.local.get(r, type)],
      type,
    );
  }

  /**
   * Marks the page of the store's last byte dirty, right after the store. There is no bounds check: a
   * store beyond the logical memory lands in the scratch and marks a byte at an index ≥ `__cp_pages`,
   * which the runtime treats as a trap (layout.ts). Marking after the store means no store can erase
   * its own mark. A store straddling two pages leaves the first unmarked: the runtime also compares the
   * page before each marked page. One add, one shift and one byte store per store.
   */
  private trackStore(store: ExpressionRef, slot: { set(e: ExpressionRef): void }): void {
    const mod = this.mod;
    const ptr = X.Store.getPtr(store);
    if (binaryen.getExpressionType(ptr) === binaryen.unreachable) return;
    if (binaryen.getExpressionType(X.Store.getValue(store)) === binaryen.unreachable) return;
    const bytes = X.Store.getBytes(store);
    const offset = X.Store.getOffset(store);
    const i32 = binaryen.i32;
    // The pointer must survive the value's evaluation, which may itself hold stores.
    const p = containsStore(X.Store.getValue(store)) ? this.freshLocal(i32) : this.local("ptr", i32);
    X.Store.setPtr(store, mod.local.get(p, i32));
    const last = mod.i32.add(mod.local.get(p, i32), mod.i32.const(offset + bytes - 1));
    const hoisted = this.hoisting?.get(store);
    const record =
      hoisted === undefined
        ? mod.i32.store8(
            0,
            1,
            mod.i32.add(this.scratch(), mod.i32.shr_u(last, mod.i32.const(16))),
            mod.i32.const(1),
          )
        : mod.global.set(hoistGlobal(hoisted, "hi"), mod.local.get(p, i32));
    slot.set(mod.block(null, [mod.local.set(p, ptr), store, record], binaryen.none));
  }

  private rewriteGrow(grow: ExpressionRef): ExpressionRef {
    const mod = this.mod;
    const d = X.MemoryGrow.getDelta(grow);
    if (binaryen.getExpressionType(d) === binaryen.unreachable) return grow;
    const t = this.freshLocal(binaryen.i32);
    return mod.block(
      null,
      [
        mod.local.set(t, d),
        ...this.flush(),
        mod.local.set(t, mod.call(F_GROW, [mod.local.get(t, binaryen.i32)], binaryen.i32)),
        ...this.reload(),
        mod.local.get(t, binaryen.i32),
      ],
      binaryen.i32,
    );
  }

  private rewriteBulk(e: ExpressionRef, id: number): ExpressionRef {
    const mod = this.mod;
    const i32 = binaryen.i32;
    const cls =
      id === binaryen.MemoryFillId
        ? { names: ["Dest", "Value", "Size"], c: X.MemoryFill }
        : id === binaryen.MemoryCopyId
          ? { names: ["Dest", "Source", "Size"], c: X.MemoryCopy }
          : { names: ["Dest", "Offset", "Size"], c: X.MemoryInit };
    const c = cls.c as unknown as Record<string, (e: ExpressionRef, v?: ExpressionRef) => ExpressionRef>;
    const operands = cls.names.map((n) => c[`get${n}`]!(e));
    if (operands.some((o) => binaryen.getExpressionType(o) === binaryen.unreachable)) return e;
    const temps = operands.map(() => this.freshLocal(i32));
    const code: ExpressionRef[] = operands.map((o, i) => mod.local.set(temps[i]!, o));
    code.push(
      ...this.flush(),
      mod.call(F_MARK, [mod.local.get(temps[0]!, i32), mod.local.get(temps[2]!, i32)], binaryen.none),
      ...this.reload(),
    );
    cls.names.forEach((n, i) => {
      c[`set${n}`]!(e, mod.local.get(temps[i]!, i32));
    });
    code.push(e);
    return mod.block(null, code, binaryen.none);
  }

  /** Every `return` in a metered function runs the exit code (flush gas, pop depth) first. */
  private rewriteReturns(root: ExpressionRef, results: number, setRoot: (e: ExpressionRef) => void): void {
    if (!this.metered) return;
    const mod = this.mod;
    const visit = (slot: { get(): ExpressionRef; set(e: ExpressionRef): void }) => {
      const e = slot.get();
      const id = binaryen.getExpressionId(e);
      for (const child of childSlots(e)) visit(child);
      if (id !== binaryen.ReturnId) return;
      const value = X.Return.getValue(e);
      if (value === 0) {
        slot.set(mod.block(null, [...this.exitCode(), e], binaryen.unreachable));
      } else if (binaryen.getExpressionType(value) !== binaryen.unreachable) {
        const ret = this.local("ret", results);
        X.Return.setValue(
          e,
          mod.block(
            null,
            [mod.local.set(ret, value), ...this.exitCode(), mod.local.get(ret, results)],
            results,
          ),
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
}
