/**
 * The real validator job handler, run in a worker thread: re-executes a PoV from its bytes alone with
 * `validatePov` (DESIGN §4) and returns the SCALE verdict.
 */
import { decodeExact } from "../codec/types.ts";
import { RelayView } from "../pov/types.ts";
import { encodeVerdict, validatePov } from "../pov/validate.ts";
import { loadedInstrumenter, loadInstrumenter } from "../vm/instrument/instrumenter.ts";
import { loadEngine } from "./engine.ts";
import type { Job, JobHandler } from "./validator-protocol.ts";

export async function createHandler(): Promise<JobHandler> {
  const engine = await loadEngine();
  // Not async: a verdict that is ready goes back without a turn through the microtask queue.
  return (job: Job) => {
    const view = decodeExact(RelayView, job.view, "relay view");
    const codes = { code: (h: Uint8Array) => job.code(h) };
    const verdict = validatePov(job.pov, view, codes, engine);
    // A worker that deferred the instrumenter (validator-worker.ts) cannot load a program missing from
    // the instrument cache, and would call its code unknown: load it and judge again (same bytes, same
    // rules: only a program the engine really refuses stays unknown).
    if (verdict.tag === "Invalid" && verdict.value.tag === "UnknownCode" && !loadedInstrumenter()) {
      // The job's bytes are views into shared memory the pool keeps until this worker answers.
      return loadInstrumenter().then(() => encodeVerdict(validatePov(job.pov, view, codes, engine)));
    }
    return encodeVerdict(verdict);
  };
}
