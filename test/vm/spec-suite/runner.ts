/**
 * Runs one converted spec-testsuite file (wast2json output, README.md) through plain V8 and through the
 * instrumenter, cooperative and preemptible, command by command, and sorts every comparison into
 * agree / refused by design / NaN / disagree.
 *
 * Spec modules do not follow the actor ABI, so {@link asActor} gives each one what the instrumenter
 * requires (an exported `memory`, `main`, `call`) without touching its code; then it goes through
 * `instrument()`, the same passes an actor gets, and is driven as the runtime drives an actor: gas in
 * `__cp_gas`, the start function through `__cp_start`, and in preemptible mode a real Asyncify unwind
 * and rewind at every `coreplay_internal.preempt` (gas is refilled by {@link PREEMPT_GAS} each time).
 */
import { readFileSync } from "node:fs";
import binaryen from "binaryen";
import { InstrumentError } from "../../../src/vm/instrument/errors.ts";
import { FAULT, type Instrumented, instrument } from "../../../src/vm/instrument/index.ts";

/** Gas per slice between preemptions: every few hundred units of work, as the issue asks. */
export const PREEMPT_GAS = 300n;
const COOPERATIVE_GAS = 1n << 40n;
/** The largest cap that leaves room for the scratch in a 4 GiB memory (plain modules may grow that far). */
const MAX_PAGES = 65520;
const MAX_CALL_DEPTH = 2048;

export type Verdict = "agree" | "refused" | "nan" | "skipped" | "disagree";

export interface Counts {
  agree: number;
  refused: number;
  nan: number;
  /** Text-format-only assertions (`assert_malformed` of .wat): nothing for an engine to run. */
  skipped: number;
  disagree: number;
  /** What was refused, by the instrumenter's error code and detail. */
  refusedBy: Record<string, number>;
  disagreements: string[];
}

type Value = number | bigint;
type Outcome = { kind: "values"; values: Value[] } | { kind: "trap" } | { kind: "exhausted" };

interface JsonValue {
  type: string;
  value?: string | string[];
}
interface Action {
  type: "invoke" | "get";
  module?: string;
  field: string;
  args?: JsonValue[];
}
interface Command {
  type: string;
  line: number;
  filename?: string;
  name?: string;
  module_type?: string;
  action?: Action;
  expected?: JsonValue[];
  text?: string;
}

/** A module as plain V8 runs it and as the instrumented engine runs it (or why it was refused). */
interface Loaded {
  plain: WebAssembly.Instance | undefined;
  /** Plain V8 running the module after Binaryen's `denan` alone: what NaN canonicalisation explains. */
  denan: WebAssembly.Instance | undefined;
  coop: Driven | { refused: string };
  pre: Driven | { refused: string };
}

// ---- values ------------------------------------------------------------------------------------------

const view = new DataView(new ArrayBuffer(8));
const NUMERIC = new Set(["i32", "i64", "f32", "f64"]);

function toJs(v: JsonValue): Value {
  const s = v.value as string;
  switch (v.type) {
    case "i32":
      return Number(BigInt.asIntN(32, BigInt(s)));
    case "i64":
      return BigInt.asIntN(64, BigInt(s));
    case "f32":
      view.setUint32(0, Number(BigInt(s)), true);
      return view.getFloat32(0, true);
    case "f64":
      view.setBigUint64(0, BigInt(s), true);
      return view.getFloat64(0, true);
    default:
      throw new Error(`value type ${v.type}`);
  }
}

/** Bitwise equality (so -0 ≠ 0), with every NaN a NaN (JS numbers do not keep payloads reliably). */
function same(a: Value, b: Value): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a === "bigint") return a === b;
  return Object.is(a, b);
}

// ---- plain V8 ----------------------------------------------------------------------------------------

function classify(e: unknown): Outcome {
  if (e instanceof WebAssembly.RuntimeError) return { kind: "trap" };
  if (e instanceof RangeError && /call stack/i.test(e.message)) return { kind: "exhausted" };
  throw e;
}

function values(r: unknown): Value[] {
  if (r === undefined) return [];
  if (Array.isArray(r)) return r as Value[];
  return [r as Value];
}

function runPlain(inst: WebAssembly.Instance, action: Action): Outcome {
  const ex = inst.exports as Record<string, unknown>;
  try {
    if (action.type === "get")
      return { kind: "values", values: [(ex[action.field] as WebAssembly.Global).value] };
    const f = ex[action.field] as (...a: Value[]) => unknown;
    return { kind: "values", values: values(f(...(action.args ?? []).map(toJs))) };
  } catch (e) {
    return classify(e);
  }
}

// ---- the instrumented module -------------------------------------------------------------------------

/** What spec modules use that Node 20's V8 reads (not Features.All: newer encodings it rejects). */
const V8_FEATURES =
  binaryen.Features.MutableGlobals |
  binaryen.Features.BulkMemory |
  binaryen.Features.SignExt |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.ReferenceTypes |
  binaryen.Features.Multivalue |
  binaryen.Features.SIMD128;

/** Spec exports named like the actor ABI's entries, moved aside for the ABI's own (see asActor). */
const RENAMED: Record<string, string> = { main: "__spec_export_main", call: "__spec_export_call" };

/** Gives a spec module what the instrumenter requires of an actor, leaving its own code as it is. */
function asActor(code: Uint8Array): Uint8Array {
  let mod: binaryen.Module;
  try {
    mod = binaryen.readBinary(code);
  } catch {
    return code; // instrument() reads it with the same reader and says why it cannot
  }
  try {
    mod.setFeatures(V8_FEATURES);
    const exports = new Set<string>();
    let memoryExported = false;
    const clashing: binaryen.ExportInfo[] = [];
    for (let i = 0; i < mod.getNumExports(); i++) {
      const e = binaryen.getExportInfo(mod.getExportByIndex(i));
      if (e.name === "memory" && e.kind === binaryen.ExternalMemory) memoryExported = true;
      if ((e.name === "main" || e.name === "call") && e.kind === binaryen.ExternalFunction) clashing.push(e);
      else exports.add(e.name);
    }
    // The module's own `main`/`call` keep their code under another export name (see RENAMED).
    for (const e of clashing) {
      mod.removeExport(e.name);
      mod.addFunctionExport(e.value, RENAMED[e.name]!);
    }
    if (!mod.hasMemory()) {
      // Without a memory there are only passive data segments (for data.drop): keep them, by name.
      const m = mod as unknown as { getNumDataSegments(): number; getDataSegmentInfo(s: number): unknown };
      const segments = Array.from({ length: m.getNumDataSegments() }, (_, i) => {
        const info = m.getDataSegmentInfo(mod.getDataSegmentByIndex(i)) as {
          name: string;
          data: ArrayBuffer;
        };
        return { name: info.name, data: new Uint8Array(info.data), passive: true, offset: 0 };
      });
      mod.setMemory(0, 0, "memory", segments as unknown as binaryen.MemorySegment[]);
    } else if (!memoryExported && !exports.has("memory") && !mod.getMemoryInfo().module) {
      mod.addMemoryExport("0", "memory"); // an imported memory is refused by design (BAD_MEMORY)
    }
    if (!exports.has("main")) {
      mod.addFunction("__spec_main", binaryen.none, binaryen.none, [], mod.nop());
      mod.addFunctionExport("__spec_main", "main");
    }
    if (!exports.has("call")) {
      mod.addFunction("__spec_call", binaryen.i64, binaryen.i32, [], mod.i32.const(0));
      mod.addFunctionExport("__spec_call", "call");
    }
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

type Exports = Record<string, unknown> & {
  memory: WebAssembly.Memory;
  __cp_gas: WebAssembly.Global;
  __cp_fault: WebAssembly.Global;
  __cp_depth: WebAssembly.Global;
  __cp_start?: () => void;
  asyncify_start_unwind(p: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(p: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
};

/** An instrumented module driven as the runtime drives an actor. */
class Driven {
  readonly ex: Exports;
  constructor(
    readonly layout: Instrumented,
    readonly preemptible: boolean,
  ) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(layout.wasm as Uint8Array<ArrayBuffer>), {
      coreplay_internal: { preempt: () => this.preempt() },
    });
    this.ex = inst.exports as Exports;
  }

  private get data(): number {
    return this.layout.asyncifyDataOffset;
  }

  /** Suspends (unwinds) at the first call, resumes at the second (the rewind reaching this point). */
  private preempt(): void {
    const ex = this.ex;
    if (ex.asyncify_get_state() === 2) {
      ex.asyncify_stop_rewind();
      ex.__cp_gas.value = PREEMPT_GAS;
      return;
    }
    const v = new DataView(ex.memory.buffer);
    v.setUint32(this.data, this.data + 8, true);
    v.setUint32(this.data + 4, this.layout.reservedPages * 65536, true);
    ex.asyncify_start_unwind(this.data);
  }

  run(f: () => unknown): Outcome {
    const ex = this.ex;
    ex.__cp_gas.value = this.preemptible ? PREEMPT_GAS : COOPERATIVE_GAS;
    ex.__cp_fault.value = FAULT.None;
    ex.__cp_depth.value = 0;
    try {
      let r = f();
      for (let slices = 0; ex.asyncify_get_state() === 1; slices++) {
        if (slices > 10_000_000) throw new Error("too many slices");
        ex.asyncify_stop_unwind();
        ex.asyncify_start_rewind(this.data);
        r = f();
      }
      return { kind: "values", values: values(r) };
    } catch (e) {
      const state = ex.asyncify_get_state();
      if (state === 1) ex.asyncify_stop_unwind();
      else if (state === 2) ex.asyncify_stop_rewind();
      if (e instanceof WebAssembly.RuntimeError && ex.__cp_fault.value === FAULT.CallDepth) {
        return { kind: "exhausted" };
      }
      if (e instanceof WebAssembly.RuntimeError && ex.__cp_fault.value === FAULT.OutOfGas) {
        throw new Error("out of gas with a cooperative budget of 2^40");
      }
      return classify(e);
    }
  }

  act(action: Action): Outcome {
    if (action.type === "get") {
      return { kind: "values", values: [(this.ex[action.field] as WebAssembly.Global).value] };
    }
    const f = this.ex[RENAMED[action.field] ?? action.field] as (...a: Value[]) => unknown;
    const args = (action.args ?? []).map(toJs);
    return this.run(() => f(...args));
  }
}

function load(code: Uint8Array, preemptible: boolean): { driven: Driven } | { refused: string } {
  let layout: Instrumented;
  try {
    layout = instrument(asActor(code), { preemptible, maxPages: MAX_PAGES, maxCallDepth: MAX_CALL_DEPTH });
  } catch (e) {
    if (e instanceof InstrumentError) return { refused: `${e.code}: ${e.details ?? e.shortMessage}` };
    throw e;
  }
  return { driven: new Driven(layout, preemptible) };
}

// ---- the commands --------------------------------------------------------------------------------------

/** Runs every command of one converted file. */
export function runSpecFile(jsonPath: string): Counts {
  const dir = new URL(".", `file://${jsonPath}`);
  const { commands } = JSON.parse(readFileSync(jsonPath, "utf8")) as { commands: Command[] };
  const file = jsonPath.split("/").pop()!;
  const counts: Counts = {
    agree: 0,
    refused: 0,
    nan: 0,
    skipped: 0,
    disagree: 0,
    refusedBy: {},
    disagreements: [],
  };
  const modules = new Map<string, Loaded>();
  let current: Loaded | undefined;
  const bytes = (c: Command) => new Uint8Array(readFileSync(new URL(c.filename!, dir)));
  const refuse = (why: string) => {
    counts.refused++;
    const key = why
      .replace(/function \S+ uses/, "function uses")
      .replace(/\d+/g, "N")
      .slice(0, 120);
    counts.refusedBy[key] = (counts.refusedBy[key] ?? 0) + 1;
  };
  const disagree = (c: Command, what: string) => {
    counts.disagree++;
    counts.disagreements.push(`${file}:${c.line} ${c.type}: ${what}`);
  };

  /** Plain and instrumented instances of a module, or the reasons they do not exist. */
  const instantiate = (code: Uint8Array): { loaded: Loaded; plainError?: unknown } => {
    const loaded: Loaded = {
      plain: undefined,
      denan: undefined,
      coop: { refused: "" },
      pre: { refused: "" },
    };
    let plainError: unknown;
    try {
      loaded.plain = new WebAssembly.Instance(
        new WebAssembly.Module(code as Uint8Array<ArrayBuffer>),
        SPECTEST,
      );
    } catch (e) {
      plainError = e;
    }
    const denanned = plainError ? undefined : denanOnly(code);
    if (denanned) {
      loaded.denan = new WebAssembly.Instance(
        new WebAssembly.Module(denanned as Uint8Array<ArrayBuffer>),
        SPECTEST,
      );
    }
    for (const mode of ["coop", "pre"] as const) {
      const r = load(code, mode === "pre");
      if ("refused" in r) {
        loaded[mode] = r;
        continue;
      }
      // The start function runs once, at instantiation, as the engine runs it when an actor is created.
      const start = r.driven.ex.__cp_start;
      if (start) {
        const out = r.driven.run(() => start());
        if (out.kind !== "values") {
          loaded[mode] = { refused: `start trapped` };
          continue;
        }
      }
      loaded[mode] = r.driven;
    }
    return { loaded, plainError };
  };

  const compare = (c: Command, loaded: Loaded | undefined, action: Action) => {
    const typed = [...(action.args ?? []), ...(c.expected ?? [])];
    if (typed.some((v) => !NUMERIC.has(v.type))) {
      // funcref/externref values: the reference-types proposal, refused by design.
      refuse("reference-typed values");
      refuse("reference-typed values");
      return;
    }
    if (!loaded?.plain) {
      // Plain V8 could not instantiate the module (an earlier command said so).
      refuse("module not loaded");
      refuse("module not loaded");
      return;
    }
    const plain = runPlain(loaded.plain, action);
    const denan = loaded.denan && runPlain(loaded.denan, action);
    const canonicalised = (mine: Outcome) => denan !== undefined && sameOutcome(denan, mine);
    for (const mode of ["coop", "pre"] as const) {
      const d = loaded[mode];
      if (!(d instanceof Driven)) {
        refuse(d.refused);
        continue;
      }
      const mine = d.act(action);
      if (sameOutcome(plain, mine)) counts.agree++;
      // A NaN canonicalised to 0 (a NaN truncation then no longer traps, NaN bits read back as 0, …):
      // exactly what plain V8 does with Binaryen's `denan` alone.
      else if (canonicalised(mine)) counts.nan++;
      else disagree(c, `${mode}: plain ${JSON.stringify(plain, big)} vs ${JSON.stringify(mine, big)}`);
    }
  };

  for (const c of commands) {
    switch (c.type) {
      case "module": {
        const { loaded, plainError } = instantiate(bytes(c));
        current = loaded;
        if (c.name) modules.set(c.name, loaded);
        if (plainError) {
          // A module the suite expects to load but plain V8 cannot (imports we do not provide, or a V8 limit).
          refuse(`plain V8 cannot instantiate: ${String(plainError).slice(0, 60)}`);
        }
        break;
      }
      case "register":
        break;
      case "action":
      case "assert_return":
      case "assert_trap":
      case "assert_exhaustion": {
        const target = c.action!.module ? modules.get(c.action!.module) : current;
        compare(c, target, c.action!);
        break;
      }
      case "assert_invalid":
      case "assert_malformed": {
        if (c.module_type === "text") {
          counts.skipped++;
          break;
        }
        const code = bytes(c);
        const plainRefuses = !WebAssembly.validate(code as Uint8Array<ArrayBuffer>);
        let mineRefuses = false;
        try {
          instrument(code, { preemptible: false, maxPages: MAX_PAGES, maxCallDepth: MAX_CALL_DEPTH });
        } catch (e) {
          if (!(e instanceof InstrumentError)) throw e;
          mineRefuses = e.code === "NOT_WASM";
        }
        if (plainRefuses && mineRefuses) counts.agree++;
        else disagree(c, `plain refuses: ${plainRefuses}, instrumenter refuses as NOT_WASM: ${mineRefuses}`);
        break;
      }
      case "assert_unlinkable":
      case "assert_uninstantiable": {
        const { loaded, plainError } = instantiate(bytes(c));
        if (!plainError) {
          disagree(c, "plain V8 instantiated it");
          break;
        }
        for (const mode of ["coop", "pre"] as const) {
          const d = loaded[mode];
          if (d instanceof Driven) disagree(c, `${mode}: the instrumented module instantiated and started`);
          else if (/start trapped|SEGMENT_OUT_OF_BOUNDS/.test(d.refused)) counts.agree++;
          else refuse(d.refused);
        }
        break;
      }
      default:
        throw new Error(`${file}:${c.line}: unknown command ${c.type}`);
    }
  }
  return counts;
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind !== "values" || b.kind !== "values") return true;
  return a.values.length === b.values.length && a.values.every((v, i) => same(v, b.values[i]!));
}

/** The module after Binaryen's `denan` pass alone (docs/abi.md §5), or undefined if Binaryen cannot read it. */
function denanOnly(code: Uint8Array): Uint8Array | undefined {
  let mod: binaryen.Module;
  try {
    mod = binaryen.readBinary(code);
  } catch {
    return undefined;
  }
  try {
    mod.setFeatures(V8_FEATURES);
    mod.runPasses(["denan"]);
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

const big = (_: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v);

/** The spectest host module of the reference interpreter, for plain V8 (instrumented: refused imports). */
const SPECTEST: WebAssembly.Imports = {
  spectest: {
    print: () => {},
    print_i32: () => {},
    print_i64: () => {},
    print_f32: () => {},
    print_f64: () => {},
    print_i32_f32: () => {},
    print_f64_f64: () => {},
    global_i32: 666,
    global_i64: 666n as unknown as number,
    global_f32: 666,
    global_f64: 666,
    table: new WebAssembly.Table({ initial: 10, maximum: 20, element: "anyfunc" }),
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
  },
};
