/**
 * The instrumenter: turns a program's Wasm into a deterministic, metered, suspendable module
 * (DESIGN §6). The contract with the runtime is in `layout.ts`. Pure: the same input and options give
 * byte-identical output (test/vm/instrument-vectors.test.ts pins it).
 *
 * Pipeline, one file per step: checks (checks.ts) → `denan` (canonical NaNs) → program globals and start
 * (entries.ts) → call graph: facts, bounded functions, depth plan (call-graph.ts, depth.ts) → runtime
 * helpers (runtime.ts) → per function: metering, loops, memory, depth (metering.ts, loops.ts, memory.ts,
 * depth.ts) → optimise → Asyncify (only functions that can reach `yield`/`preempt` are transformed) → Asyncify
 * state cache (asyncify-state.ts) → optimise → move data segments up, patch memory limits (binary.ts).
 *
 * @example
 * const out = instrument(wasm, { preemptible: false, maxPages: 1024, maxCallDepth: 1024 });
 * new WebAssembly.Module(out.wasm);
 */
import binaryen from "binaryen";
import { PAGE_SIZE } from "../abi.ts";
import { cacheAsyncifyState } from "./asyncify-state.ts";
import { patchMemoryLimits, shiftDataSegments } from "./binary.ts";
import { classify, collectFacts, tableTargets } from "./call-graph.ts";
import { checkData, checkExports, checkFunctions, checkImports, checkMemory, checkTables } from "./checks.ts";
import { runContext } from "./context.ts";
import { planDepth } from "./depth.ts";
import { exportProgramGlobals, moveStart } from "./entries.ts";
import { InstrumentError } from "./errors.ts";
import type { Instrumented, InstrumentOptions } from "./layout.ts";
import { instrumentFunction } from "./metering.ts";
import { addHelpers, addRuntimeGlobals } from "./runtime.ts";

export { InstrumentError } from "./errors.ts";
export type { Instrumented, InstrumentOptions } from "./layout.ts";
export { FAULT } from "./layout.ts";

/** Bytes of Asyncify data the runtime may use for one suspended `main`. */
const ASYNCIFY_BYTES = 128 * 1024;

/**
 * Instruments a program's raw Wasm.
 *
 * @throws {InstrumentError} when the program is not valid Wasm or breaks a rule of docs/abi.md.
 */
export function instrument(code: Uint8Array, opts: InstrumentOptions): Instrumented {
  if (!WebAssembly.validate(code as Uint8Array<ArrayBuffer>)) {
    throw new InstrumentError("Program is not valid WebAssembly", {
      code: "NOT_WASM",
      details: code.length < 8 ? `only ${code.length} bytes` : "WebAssembly.validate rejected the module",
      hint: "build the actor with `coreplay build`, or check your toolchain's output",
    });
  }
  const mod = readModule(code);
  try {
    return instrumentModule(mod, opts);
  } finally {
    mod.dispose();
  }
}

/**
 * Binaryen's reader, whose own exceptions (a Binaryen object, not an Error) become a typed refusal: a
 * module V8 validates but Binaryen cannot read uses a feature actors may not use (the reader knows every
 * feature we accept).
 */
function readModule(code: Uint8Array): binaryen.Module {
  try {
    return binaryen.readBinary(code);
  } catch (cause) {
    throw new InstrumentError("Program uses WebAssembly the instrumenter cannot read", {
      code: "UNSUPPORTED_FEATURE",
      details: String((cause as { message?: unknown })?.message ?? cause),
      hint: "actors are limited to MVP Wasm + mutable globals, sign-ext, saturating conversions and bulk memory (docs/abi.md)",
      cause,
    });
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
  checkTables(mod);
  checkData(mod, memory);
  checkFunctions(mod);

  // Canonical NaNs: Wasm float arithmetic is deterministic except for NaN bit patterns.
  mod.runPasses(["denan"]);

  const globals = exportProgramGlobals(mod);
  const startName = moveStart(mod);

  const facts = collectFacts(mod);
  const targets = tableTargets(mod);
  const roots = new Set<string>(entries.functionNames);
  if (startName) roots.add(startName);
  for (const name of targets) roots.add(name);
  const bounded = classify(facts, roots);

  const maxPages = Math.min(memory.max ?? opts.maxPages, opts.maxPages);
  // The scratch sits below the logical memory: the dirty map (a byte per logical page), then the
  // Asyncify area (layout.ts).
  const dirtyBytes = align16(opts.maxPages);
  const reservedPages = Math.ceil((dirtyBytes + ASYNCIFY_BYTES) / PAGE_SIZE);

  addRuntimeGlobals(mod, memory.initial);
  addHelpers(mod, {
    maxPages,
    reservedPages,
    preemptible: opts.preemptible,
    maxCallDepth: opts.maxCallDepth,
  });

  const depthRoots = startName ? [...entries.functionNames, startName] : entries.functionNames;
  const run = runContext(
    mod,
    opts,
    bounded,
    planDepth(facts, targets, depthRoots),
    reservedPages * PAGE_SIZE,
  );
  for (const f of facts.values()) if (!f.imported) instrumentFunction(run, f.name);

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

  // Optimise before Asyncify too, not only after: Asyncify flattens each function it transforms and
  // re-optimises it, and on our unoptimised output (a gas local, operand and result temps per call) that
  // left loop temps coalesced into locals live across its unwind points, costing a preemptible loop up
  // to 1.7× (issue 18 §3: bench `engine.sort`). Semantics, gas and traps are kept by the optimiser.
  binaryen.setOptimizeLevel(2);
  binaryen.setShrinkLevel(0);
  mod.optimize();

  binaryen.setPassArgument(
    "asyncify-imports",
    opts.preemptible ? `coreplay.yield,coreplay_internal.preempt` : "coreplay.yield",
  );
  // Asyncify optimises what it instruments when an optimise level is set before it runs (set above).
  try {
    mod.runPasses(["asyncify"]);
  } finally {
    binaryen.clearPassArguments();
  }
  cacheAsyncifyState(mod);
  mod.optimize();

  const emitted = shiftDataSegments(mod.emitBinary(), reservedPages * PAGE_SIZE);
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
    hoistedLoops: run.hoistedLoops,
  };
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;
