/** Shared by the example tests: builds an example once per test process (buildProgram is ~1–5 s). */
import { fileURLToPath } from "node:url";
import { type BuiltProgram, buildProgram } from "../src/build/index.ts";

const cache = new Map<string, Promise<BuiltProgram>>();

/**
 * Builds `examples/<path>` (a folder or an entry file) with `buildProgram`, memoised.
 *
 * @example const { blob } = await buildExample("counter");
 */
export function buildExample(path: string): Promise<BuiltProgram> {
  let p = cache.get(path);
  if (!p) {
    // The examples predate preemptible-by-default and keep the mode their tests pin (cooperative).
    p = buildProgram(fileURLToPath(new URL(path, import.meta.url)), { preemptible: false });
    cache.set(path, p);
  }
  return p;
}

/** u64 little-endian, as the examples reply. */
export function u64le(bytes: Uint8Array, at = 0): bigint {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readBigUInt64LE(at);
}
