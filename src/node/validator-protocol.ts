/** Messages between the validator pool (main thread) and its workers. */

export interface WorkerRequest {
  id: number;
  /**
   * The job's cell in the pool's claims array (workerData.claims, shared): the worker changes it from
   * 0 to 1 before it starts the job, and skips the job if the pool took it back first (set it to 2).
   */
  claim: number;
  /** SCALE `Pov`. */
  pov: Uint8Array;
  /** SCALE `RelayView` (src/pov/types.ts). */
  view: Uint8Array;
  /** Program blobs this worker has not been sent before: [codeHash, blob]. */
  codes: Array<[Uint8Array, Uint8Array]>;
}

export type WorkerReply =
  | { id: number; verdict: Uint8Array }
  | { id: number; error: string }
  /** The pool took the job back before this worker started it. */
  | { id: number; skipped: true };

export interface Job {
  pov: Uint8Array;
  view: Uint8Array;
  code(hash: Uint8Array): Uint8Array | undefined;
}

/** What a handler module's `createHandler()` returns: PoV job → SCALE `Verdict` bytes. */
export type JobHandler = (job: Job) => Uint8Array | Promise<Uint8Array>;
