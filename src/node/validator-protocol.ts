/** Messages between the validator pool (main thread) and its workers. */

export interface WorkerRequest {
  id: number;
  /**
   * The job's cell in the pool's claims array (workerData.claims, shared): the worker changes it from
   * 0 to 1 before it starts the job, and skips the job if the pool took it back first (set it to 2).
   */
  claim: number;
  /**
   * Shared with the pool, read-only: the SCALE `Pov` in its first `pov` bytes, then the SCALE
   * `RelayView` (src/pov/types.ts) in the next `view` bytes. The pool does not reuse it before the
   * worker answered (or skipped the job, or is gone).
   */
  buf: SharedArrayBuffer;
  pov: number;
  view: number;
  /** Program blobs this worker has not been sent before: [codeHash, blob]. */
  codes: Array<[Uint8Array, Uint8Array]>;
}

export type WorkerReply =
  | { id: number; verdict: Uint8Array }
  | { id: number; error: string }
  /** The pool took the job back before this worker started it. */
  | { id: number; skipped: true };

export interface Job {
  /**
   * Views into shared memory (see {@link WorkerRequest.buf}), valid until the handler returns: decode
   * them with a decoder that honours `byteOffset` (`decodeExact`), not scale-ts's `.dec`.
   */
  pov: Uint8Array;
  view: Uint8Array;
  code(hash: Uint8Array): Uint8Array | undefined;
}

/** What a handler module's `createHandler()` returns: PoV job → SCALE `Verdict` bytes. */
export type JobHandler = (job: Job) => Uint8Array | Promise<Uint8Array>;
