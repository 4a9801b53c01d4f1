/** Messages and shared memory between the validator pool (main thread) and its workers. */

/** One PoV to judge, inside a {@link WorkerRequest}. */
export interface WorkerTask {
  id: number;
  /**
   * The task's cell in the pool's claims array (workerData.claims, shared): the worker changes it from
   * {@link CLAIM.free} to {@link CLAIM.started} before it starts the task, and skips the task if the pool
   * took it back first ({@link CLAIM.taken}).
   */
  claim: number;
  /**
   * Shared with the pool, read-only: the SCALE `Pov` in its first `pov` bytes, then the SCALE
   * `RelayView` (src/pov/types.ts) in the next `view` bytes. The pool does not reuse it before the
   * worker answered (or skipped the task, or is gone).
   */
  buf: SharedArrayBuffer;
  pov: number;
  view: number;
}

/** Tasks for a worker, in the order it runs them, with the program blobs it was not sent before. */
export interface WorkerRequest {
  tasks: WorkerTask[];
  /** [codeHash, blob] */
  codes: Array<[Uint8Array, Uint8Array]>;
}

export type WorkerAnswer =
  | { id: number; verdict: Uint8Array }
  | { id: number; error: string }
  /** The pool took the task back before this worker started it. */
  | { id: number; skipped: true };

/**
 * A worker's answers since its last reply. A worker replies when it is about to run its last task (so
 * the pool can send more before it runs dry) and when it has none left (so the pool knows it is free).
 */
export type WorkerReply = WorkerAnswer[];

/** States of a claim cell. */
export const CLAIM = { free: 0, started: 1, taken: 2 } as const;

/**
 * A worker's progress cells (workerData.progress, an Int32Array over shared memory of its own): the id of
 * the task it runs (0: none), and when it started it, in ms since workerData.epoch. The pool's watchdog
 * reads them to time a task out without a message per task.
 */
export const PROGRESS = { task: 0, since: 1, cells: 2 } as const;

export interface Job {
  /**
   * Views into shared memory (see {@link WorkerTask.buf}), valid until the handler returns: decode
   * them with a decoder that honours `byteOffset` (`decodeExact`), not scale-ts's `.dec`.
   */
  pov: Uint8Array;
  view: Uint8Array;
  code(hash: Uint8Array): Uint8Array | undefined;
}

/** What a handler module's `createHandler()` returns: PoV job → SCALE `Verdict` bytes. */
export type JobHandler = (job: Job) => Uint8Array | Promise<Uint8Array>;
