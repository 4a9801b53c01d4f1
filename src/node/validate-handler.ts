/**
 * The real validator job handler, run in a worker thread: re-executes a PoV from its bytes alone with
 * `validatePov` (DESIGN §4) and returns the SCALE verdict.
 */
import { decodeExact } from "../codec/types.ts";
import { RelayView } from "../pov/types.ts";
import { encodeVerdict, validatePov } from "../pov/validate.ts";
import { loadEngine } from "./engine.ts";
import type { Job, JobHandler } from "./validator-protocol.ts";

export async function createHandler(): Promise<JobHandler> {
  const engine = await loadEngine();
  return (job: Job) => {
    const view = decodeExact(RelayView, job.view, "relay view");
    return encodeVerdict(validatePov(job.pov, view, { code: (h) => job.code(h) }, engine));
  };
}
