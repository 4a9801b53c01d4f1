/** Builds test fixtures once per test file. */
import { fileURLToPath } from "node:url";
import { type BuiltProgram, buildProgram } from "../../src/build/index.ts";
import type { CallOutput } from "../../src/codec/types.ts";

const cache = new Map<string, Promise<BuiltProgram>>();

/** `fixtures/assembly/<name>.as.ts` (the path keeps AssemblyScript out of tsc and biome). */
export function buildFixture(name: string): Promise<BuiltProgram> {
  let p = cache.get(name);
  if (!p) {
    p = buildProgram(fileURLToPath(new URL(`fixtures/assembly/${name}.as.ts`, import.meta.url)), {
      preemptible: false,
    });
    cache.set(name, p);
  }
  return p;
}

export const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

export function okBytes(out: CallOutput): Uint8Array {
  if (!out.success) {
    const e = out.value;
    throw new Error(
      `call failed: ${e.tag}${e.tag === "Actor" ? ` ${new TextDecoder().decode(e.value)}` : ""}`,
    );
  }
  return out.value;
}
