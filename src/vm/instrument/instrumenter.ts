/**
 * Where the engine gets the instrumenter (./index.ts, built on Binaryen). Binaryen's module is about
 * 28 MB of JS heap in every thread that imports it, and every full GC of that thread marks it all. A
 * validator worker whose programs all come from the instrument cache never needs it, so such a thread
 * can defer loading it ({@link deferInstrumenter}) until a program misses the cache.
 */
import type { Instrumented, InstrumentOptions } from "./layout.ts";

export type Instrument = (code: Uint8Array, opts: InstrumentOptions) => Instrumented;

let loaded: Instrument | undefined;
let deferred = false;

/** Loads the instrumenter (once per thread). */
export async function loadInstrumenter(): Promise<Instrument> {
  loaded ??= (await import("./index.ts")).instrument;
  return loaded;
}

/** The instrumenter if it is loaded: engine code is synchronous, so it cannot load it on demand. */
export function loadedInstrumenter(): Instrument | undefined {
  return loaded;
}

/**
 * Call before this thread first imports the engine: the engine will not load the instrumenter itself,
 * and a program that misses the instrument cache fails to load with `INSTRUMENTER_NOT_LOADED` until
 * {@link loadInstrumenter} has run.
 */
export function deferInstrumenter(): void {
  deferred = true;
}

export function instrumenterDeferred(): boolean {
  return deferred;
}
