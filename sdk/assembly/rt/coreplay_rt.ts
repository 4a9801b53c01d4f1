// Replacements for AssemblyScript's `env.abort`, `env.trace` and `env.seed`: a program may import only
// `coreplay.*` (src/vm/abi.ts), so `coreplay build` passes `--use abort=...` etc. to route them here.
// Self-contained (no imports): `coreplay build` passes this folder as `--lib`, so these become globals.
@external("coreplay", "log")
declare function cp_log(ptr: usize, len: i32): void;

function logLine(text: string): void {
  const b = String.UTF8.encode(text);
  cp_log(changetype<usize>(b), b.byteLength);
}

/** Logs the failure and traps: the entry fails with `Trap` and the image rolls back. */
export function cpAbort(
  message: string | null = null,
  fileName: string | null = null,
  line: u32 = 0,
  column: u32 = 0,
): void {
  let text = "abort: " + (message !== null ? message : "(no message)");
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  logLine(text);
  unreachable();
}

/** `trace(...)` becomes a log line (numbers are not printed: no floats in logs). */
export function cpTrace(
  message: string,
  n: i32 = 0,
  a0: f64 = 0,
  a1: f64 = 0,
  a2: f64 = 0,
  a3: f64 = 0,
  a4: f64 = 0,
): void {
  logLine("trace: " + message + (n > 0 ? " (" + n.toString() + " values)" : ""));
}

/** `Math.random` would be nondeterministic: using it traps. */
export function cpSeed(): f64 {
  logLine("abort: Math.random is not available to actors (validators must agree)");
  unreachable();
  return 0;
}
