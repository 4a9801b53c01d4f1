/**
 * An optional cache of instrumented modules. Instrumenting an AssemblyScript actor takes 1–3 s (most of
 * it in Binaryen's Asyncify and optimise passes), and every thread that loads a program (the node, each
 * validator worker, each test file) would pay it again. The vm layer does no I/O itself: a host process
 * installs a cache (the node installs a disk cache, `src/node/instrument-cache.ts`).
 *
 * Instrumentation is deterministic (layout.ts), so a cached result is the same bytes as a fresh one; the
 * cache's key must cover everything the output depends on: the code, the options, and the instrumenter.
 */
import type { Instrumented } from "./layout.ts";

export interface InstrumentCache {
  /** `key` names the code and options; the cache adds what names the instrumenter itself. */
  get(key: string): Instrumented | undefined;
  set(key: string, value: Instrumented): void;
}

let installed: InstrumentCache | undefined;

/** Installs (or, with `undefined`, removes) this thread's instrument cache. */
export function setInstrumentCache(cache: InstrumentCache | undefined): void {
  installed = cache;
}

/** This thread's instrument cache, if one is installed (used by the Wasm engine's `load`). */
export function instrumentCache(): InstrumentCache | undefined {
  return installed;
}
