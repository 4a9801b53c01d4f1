/**
 * Just enough of the Wasm binary format to check a program against the ABI before instrumenting it:
 * section framing (to tell truncated from invalid), types, imports, functions, memories and exports.
 * The JS API cannot report signatures of imports/exports in Node 20, hence this parser.
 */
import { ProgramError } from "./errors.ts";

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";
export interface FuncType {
  params: ValType[];
  results: ValType[];
}
export interface Limits {
  min: number;
  max: number | undefined;
  shared: boolean;
  memory64: boolean;
}
export type ImportDesc =
  | { kind: "func"; type: FuncType }
  | { kind: "table" }
  | { kind: "memory"; limits: Limits }
  | { kind: "global" };
export interface WasmImport {
  module: string;
  name: string;
  desc: ImportDesc;
}
export interface WasmExport {
  name: string;
  kind: "func" | "table" | "memory" | "global";
  index: number;
}
export interface WasmSummary {
  imports: WasmImport[];
  /** Type of every function in the function index space (imports first). */
  funcTypes: FuncType[];
  /** Memories in the memory index space (imports first). */
  memories: Limits[];
  exports: WasmExport[];
}

const VALTYPES: Record<number, ValType> = {
  127: "i32",
  126: "i64",
  125: "f32",
  124: "f64",
  123: "v128",
  112: "funcref",
  111: "externref",
};
const EXPORT_KINDS = ["func", "table", "memory", "global"] as const;
const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

class Cursor {
  constructor(
    readonly b: Uint8Array,
    public at: number,
    readonly end: number,
  ) {}
  byte(): number {
    if (this.at >= this.end) throw new RangeError("unexpected end");
    return this.b[this.at++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) throw new RangeError("LEB128 too long");
    }
    return result;
  }
  name(): string {
    const n = this.u32();
    if (this.at + n > this.end) throw new RangeError("unexpected end");
    const s = new TextDecoder("utf-8", { fatal: true }).decode(this.b.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  valtype(): ValType {
    const t = VALTYPES[this.byte()];
    if (t === undefined) throw new RangeError("unknown value type");
    return t;
  }
  limits(): Limits {
    const flags = this.byte();
    const min = this.u32();
    const max = flags & 1 ? this.u32() : undefined;
    return { min, max, shared: (flags & 2) !== 0, memory64: (flags & 4) !== 0 };
  }
}

/** Checks the header and that every section lies within the bytes. Throws NOT_WASM / TRUNCATED. */
export function checkFraming(code: Uint8Array): void {
  const n = Math.min(code.byteLength, 8);
  const prefixOk = code.subarray(0, n).every((b, i) => b === WASM_HEADER[i]);
  if (!prefixOk || code.byteLength === 0) {
    throw new ProgramError("Program code is not WebAssembly", {
      code: "NOT_WASM",
      details: `first bytes 0x${Buffer.from(code.subarray(0, 8)).toString("hex")}, expected 0x0061736d01000000`,
    });
  }
  if (code.byteLength < 8) {
    throw new ProgramError("Truncated Wasm", {
      code: "TRUNCATED",
      details: `${code.byteLength}-byte header`,
    });
  }
  const c = new Cursor(code, 8, code.byteLength);
  while (c.at < code.byteLength) {
    const start = c.at;
    try {
      c.byte();
      const size = c.u32();
      if (c.at + size > code.byteLength) throw new RangeError(`section of ${size} bytes`);
      c.at += size;
    } catch (e) {
      throw new ProgramError("Truncated Wasm", {
        code: "TRUNCATED",
        details: `section at byte ${start} runs past the end (${code.byteLength} bytes): ${(e as Error).message}`,
      });
    }
  }
}

/** Parses the sections the ABI checks need. Assumes `WebAssembly.validate(code)` already passed. */
export function summarize(code: Uint8Array): WasmSummary {
  const types: FuncType[] = [];
  const out: WasmSummary = { imports: [], funcTypes: [], memories: [], exports: [] };
  const c = new Cursor(code, 8, code.byteLength);
  while (c.at < code.byteLength) {
    const id = c.byte();
    const size = c.u32();
    const s = new Cursor(code, c.at, c.at + size);
    c.at += size;
    if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        if (s.byte() !== 0x60) throw new RangeError("not a function type");
        const params = Array.from({ length: s.u32() }, () => s.valtype());
        const results = Array.from({ length: s.u32() }, () => s.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        const module = s.name();
        const name = s.name();
        const kind = s.byte();
        if (kind === 0) {
          const type = types[s.u32()];
          out.imports.push({ module, name, desc: { kind: "func", type } });
          out.funcTypes.push(type);
        } else if (kind === 1) {
          s.valtype();
          s.limits();
          out.imports.push({ module, name, desc: { kind: "table" } });
        } else if (kind === 2) {
          const limits = s.limits();
          out.imports.push({ module, name, desc: { kind: "memory", limits } });
          out.memories.push(limits);
        } else {
          s.valtype();
          s.byte();
          out.imports.push({ module, name, desc: { kind: "global" } });
        }
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) out.funcTypes.push(types[s.u32()]);
    } else if (id === 5) {
      for (let n = s.u32(); n > 0; n--) out.memories.push(s.limits());
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) {
        const name = s.name();
        const kind = EXPORT_KINDS[s.byte()];
        out.exports.push({ name, kind, index: s.u32() });
      }
    }
  }
  return out;
}

export function sigToString(t: FuncType): string {
  return `(${t.params.join(", ")}) -> (${t.results.join(", ")})`;
}
