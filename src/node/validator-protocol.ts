/** Messages between the validator pool (main thread) and its workers. */

export interface WorkerRequest {
  id: number;
  /** SCALE `Pov`. */
  pov: Uint8Array;
  /** SCALE `RelayView` (src/pov/types.ts). */
  view: Uint8Array;
  /** Program blobs this worker has not been sent before: [codeHash, blob]. */
  codes: Array<[Uint8Array, Uint8Array]>;
}

export type WorkerReply = { id: number; verdict: Uint8Array } | { id: number; error: string };

export interface Job {
  pov: Uint8Array;
  view: Uint8Array;
  code(hash: Uint8Array): Uint8Array | undefined;
}

/** What a handler module's `createHandler()` returns: PoV job → SCALE `Verdict` bytes. */
export type JobHandler = (job: Job) => Uint8Array | Promise<Uint8Array>;
