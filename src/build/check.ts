/** Checks a compiled module against the binary actor ABI (src/vm/abi.ts) before it is wrapped. */
import { ABI_MODULE, EXPORTS, HOST_FUNCTIONS } from "../vm/abi.ts";
import { BuildError } from "./errors.ts";

/**
 * Throws {@link BuildError} when `wasm` imports anything but `coreplay.*` host functions or lacks a
 * required export (`main`, `call`, `memory`). The engine re-checks signatures at upload.
 *
 * @example checkAbi(wasm, "examples/counter")
 */
export function checkAbi(wasm: Uint8Array, what: string): void {
  let mod: WebAssembly.Module;
  try {
    mod = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
  } catch (cause) {
    throw new BuildError(`Compiled ${what} is not valid WebAssembly`, {
      code: "BUILD_INVALID_WASM",
      details: (cause as Error).message,
      cause,
    });
  }
  const bad = WebAssembly.Module.imports(mod).filter(
    (i) => i.module !== ABI_MODULE || i.kind !== "function" || !Object.hasOwn(HOST_FUNCTIONS, i.name),
  );
  if (bad.length > 0) {
    throw new BuildError(`${what} imports functions outside the Coreplay ABI`, {
      code: "BUILD_FOREIGN_IMPORT",
      details: bad.map((i) => `${i.module}.${i.name} (${i.kind})`).join(", "),
      hint: "actors may import only `coreplay.*` (use the SDK's bindings; no console, Date or Math.random)",
    });
  }
  const exports = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  const missing = [
    ...Object.entries(EXPORTS)
      .filter(([name, e]) => e.required && !exports.has(name))
      .map(([name]) => name),
    ...(exports.has("memory") ? [] : ["memory"]),
  ];
  const allowed = new Set<string>([...Object.keys(EXPORTS), "memory"]);
  const extra = [...exports].filter((name) => !allowed.has(name));
  if (extra.length > 0) {
    throw new BuildError(`${what} exports more than the ABI's entry points`, {
      code: "BUILD_EXTRA_EXPORT",
      details: `unexpected export(s): ${extra.join(", ")}`,
      hint: "export only main, call, payout, dependencies from the entry file (drop `export` elsewhere)",
    });
  }
  if (missing.length > 0) {
    throw new BuildError(`${what} lacks required entry points`, {
      code: "BUILD_MISSING_EXPORT",
      details: `missing export(s): ${missing.join(", ")}`,
      hint: "export `function main(): void` and `function call(origin: i64): i32` from the entry file",
    });
  }
}
