/**
 * Upload-time checks of a program's Wasm against the binary ABI (src/vm/abi.ts, docs/abi.md), each
 * failure a typed ProgramError. Runs before instrumentation so authors get ABI errors, not Binaryen's.
 */
import { ABI_MODULE, EXPORTS, HOST_FUNCTIONS, type HostFunctionName } from "./abi.ts";
import { ProgramError } from "./errors.ts";
import { checkFraming, type FuncType, sigToString, summarize, type WasmSummary } from "./wasm-parse.ts";

/** Export name prefixes the instrumenter adds; a program may not define them itself. */
const RESERVED_PREFIXES = ["__cp_", "asyncify_"];

function sameSig(t: FuncType, params: readonly string[], results: readonly string[]): boolean {
  return (
    t.params.length === params.length &&
    t.results.length === results.length &&
    t.params.every((p, i) => p === params[i]) &&
    t.results.every((r, i) => r === results[i])
  );
}

/**
 * Validates `code` as an actor program: Wasm framing and validity, imports only of `coreplay` host
 * functions with their exact signatures, one memory within `maxPages`, required exports.
 *
 * @example validateProgram(wasm, 1024) // throws ProgramError { code: "MISSING_EXPORT" } without `call`
 */
export function validateProgram(code: Uint8Array, maxPages: number): WasmSummary {
  checkFraming(code);
  if (!WebAssembly.validate(code as Uint8Array<ArrayBuffer>)) {
    let details = "WebAssembly.validate failed";
    try {
      new WebAssembly.Module(code as Uint8Array<ArrayBuffer>);
    } catch (e) {
      details = (e as Error).message;
    }
    throw new ProgramError("Invalid WebAssembly", { code: "INVALID_WASM", details });
  }
  let s: WasmSummary;
  try {
    s = summarize(code);
  } catch (cause) {
    throw new ProgramError("Invalid WebAssembly", { code: "INVALID_WASM", details: String(cause), cause });
  }

  for (const imp of s.imports) {
    const what = `${imp.module}.${imp.name}`;
    const host = HOST_FUNCTIONS[imp.name as HostFunctionName];
    if (imp.module !== ABI_MODULE || imp.desc.kind !== "func" || host === undefined) {
      throw new ProgramError("Unknown import", {
        code: "UNKNOWN_IMPORT",
        details: `${imp.desc.kind} import ${what}; only functions from module "${ABI_MODULE}" are provided`,
      });
    }
    if (!sameSig(imp.desc.type, host[0], host[1])) {
      throw new ProgramError("Host function imported with the wrong signature", {
        code: "BAD_SIGNATURE",
        details: `${what} is ${sigToString(imp.desc.type)}, the ABI says (${host[0].join(", ")}) -> (${host[1].join(", ")})`,
      });
    }
  }

  if (s.memories.length > 1) {
    throw new ProgramError("More than one memory", { code: "UNSUPPORTED_FEATURE", details: "multi-memory" });
  }
  const mem = s.memories[0];
  if (mem !== undefined && (mem.shared || mem.memory64)) {
    throw new ProgramError("Unsupported memory kind", {
      code: "UNSUPPORTED_FEATURE",
      details: mem.shared ? "shared memory (threads)" : "memory64",
    });
  }
  if (mem !== undefined && mem.min > maxPages) {
    throw new ProgramError("Initial memory above the cap", {
      code: "MEMORY_TOO_LARGE",
      details: `${mem.min} pages declared, the cap is ${maxPages} pages of 64 KiB`,
    });
  }

  const exports = new Map(s.exports.map((e) => [e.name, e]));
  const memExport = exports.get("memory");
  if (memExport === undefined || memExport.kind !== "memory") {
    throw new ProgramError("Missing export", {
      code: "MISSING_EXPORT",
      details: memExport === undefined ? "no `memory` export" : `\`memory\` is a ${memExport.kind}`,
    });
  }
  for (const [name, spec] of Object.entries(EXPORTS)) {
    const e = exports.get(name);
    if (e === undefined) {
      if (spec.required)
        throw new ProgramError("Missing export", { code: "MISSING_EXPORT", details: `no \`${name}\`` });
      continue;
    }
    const type = e.kind === "func" ? s.funcTypes[e.index] : undefined;
    if (type === undefined || !sameSig(type, spec.params, spec.results)) {
      throw new ProgramError("Export with the wrong signature", {
        code: "BAD_SIGNATURE",
        details: `\`${name}\` is ${type ? sigToString(type) : `a ${e.kind}`}, the ABI says (${spec.params.join(", ")}) -> (${spec.results.join(", ")})`,
      });
    }
  }
  for (const e of s.exports) {
    if (RESERVED_PREFIXES.some((p) => e.name.startsWith(p))) {
      throw new ProgramError("Reserved export name", {
        code: "BAD_SIGNATURE",
        details: `\`${e.name}\`: names starting with ${RESERVED_PREFIXES.join(" or ")} belong to the engine`,
      });
    }
  }
  return s;
}
