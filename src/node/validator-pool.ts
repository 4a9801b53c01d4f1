/**
 * The validator pool (DESIGN §9): worker threads that re-execute PoVs from their bytes alone. A PoV is
 * backed when `backers` workers return the same verdict (compared by blake2b-256 of its bytes). A worker
 * that errs, disagrees or passes `timeoutMs` is not waited for: it is replaced (if slow) and another
 * worker is asked, so no single worker can stall block production.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { toHex } from "../codec/bytes.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { CoreplayError } from "../errors.ts";
import { CLAIM, PROGRESS, type WorkerReply, type WorkerRequest } from "./validator-protocol.ts";

const BOOTSTRAP = new URL("../../bin/worker.js", import.meta.url);
const ENTRY = new URL("./validator-worker.ts", import.meta.url).href;
const DEFAULT_HANDLER = new URL("./validate-handler.ts", import.meta.url).href;

/**
 * The flags workers start with: this process's own (e.g. `--import ./bin/register.js`, `--cpu-prof`),
 * without `--input-type` (`node --input-type=module -e` would break a worker's own module loading) and
 * without V8 flags (`--expose-gc`, `--trace-gc`, `--perf-basic-prof`, ...): Node refuses those in a
 * worker's execArgv, and being process-wide they apply to workers anyway.
 */
let workerExecArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));

function newWorker(workerData: {
  entry: string;
  handler: string;
  claims: Int32Array;
  progress: Int32Array;
  epoch: number;
}): Worker {
  try {
    return new Worker(BOOTSTRAP, { workerData, execArgv: workerExecArgv });
  } catch (e) {
    if ((e as { code?: string }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
    // "Initiated Worker with invalid execArgv flags: --expose-gc, --trace-gc"
    const refused = new Set((e as Error).message.split(": ").slice(1).join(": ").split(", "));
    const kept = workerExecArgv.filter((a) => !refused.has(a));
    if (kept.length === workerExecArgv.length) throw e;
    workerExecArgv = kept;
    return new Worker(BOOTSTRAP, { workerData, execArgv: workerExecArgv });
  }
}

/**
 * `bytes` alone in a buffer of its own. A view into a larger buffer (a pooled Buffer, a slice of a
 * message) would be cloned to the worker with all of that buffer, and arrive at a non-zero byteOffset,
 * which scale-ts decoders ignore: they read from the start of the underlying buffer.
 */
function exact(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

export interface ValidatorPoolOptions {
  /** Worker threads (default: one per CPU). */
  size?: number;
  /** Matching verdicts needed to back a PoV (default min(2, size)). */
  backers?: number;
  /** A worker slower than this on one PoV is terminated and replaced (default 10 s). */
  timeoutMs?: number;
  /** File URL of the handler module (default: the real validator, ./validate-handler.ts). */
  handler?: string;
  /** Resolve only once every worker is up (default true); false starts them in the background. */
  waitReady?: boolean;
}

export interface PovToValidate {
  pov: Uint8Array;
  view: Uint8Array;
  /** Code hashes the PoV's actors run, with their blobs. */
  codes: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
}

export interface Backing {
  backed: boolean;
  /** The agreed SCALE `Verdict` (when backed). */
  verdict?: Uint8Array;
  /** Worker indices whose verdicts agreed. */
  backers: number[];
  /** What went wrong with the others: `worker 1: timeout`, `worker 0: disagreed`, ... */
  faults: string[];
}

export interface ValidatorPool {
  readonly size: number;
  readonly backers: number;
  validate(job: PovToValidate): Promise<Backing>;
  /** Workers replaced so far (after timeouts or crashes). */
  readonly replaced: number;
  close(): Promise<void>;
}

export class ValidatorPoolError extends CoreplayError {
  override name = "ValidatorPoolError";
}

interface Slot {
  index: number;
  worker: Worker;
  ready: Promise<void>;
  /** Started and not replaced: the dispatcher may hand it work while it has fewer than DEPTH tasks. */
  up: boolean;
  /** Tasks sent to this worker and not answered, in the order it runs them. */
  sent: Sent[];
  codes: Set<string>;
  /** Its progress cells (validator-protocol.ts PROGRESS), written by the worker. */
  progress: Int32Array;
  /** The watchdog that times out its running task, armed while it has tasks. */
  watch?: NodeJS.Timeout;
}

interface Sent {
  id: number;
  task: Task;
  /** Its cell in the claims array: the worker claims it before it starts, the pool to take it back. */
  claim: number;
  /** The shared buffer the PoV and view were written to (reused once the worker is done with it). */
  buf: SharedArrayBuffer;
  /** Its cell and buffer were released (once only: a buffer listed twice would serve two jobs). */
  released?: true;
}

type Answer = { index: number; verdict: Uint8Array } | { index: number; error: string };

/** One worker's verdict wanted on a job. Tasks wait in the pool's queue, not on a chosen worker. */
interface Task {
  job: PovToValidate;
  /** Workers that have or had this job (shared by the job's tasks): a task never runs there. */
  tried: Set<number>;
  done: (a: Answer) => void;
}

/**
 * Tasks a worker holds at once: the one it runs and the next ones, so it never waits for the main
 * thread between two PoVs, and answers (validator-worker.ts) and new tasks cross once per DEPTH - 1
 * PoVs instead of once per PoV. All but the running one are only lent: a worker that is free takes
 * them back (claims). Measured on the bench's PoVs with 2 workers, the main thread's CPU per PoV:
 * ~0.13 ms at one task per message each way, 0.045–0.055 ms at DEPTH 4, 0.036–0.044 ms at DEPTH 8.
 */
const DEPTH = 8;
/** Cells of the claims array (indices are used round-robin, never two pending tasks on one cell). */
const CLAIMS = 4096;
/** Shared buffers kept for reuse, and the smallest one made. */
const SPARE_BUFFERS = 16;
const MIN_BUFFER = 1 << 16;

/**
 * Starts the workers. Resolves when all are ready.
 *
 * Jobs are not assigned to a worker when they arrive: each waits in one queue and goes to a worker that
 * has not seen it, free workers first (lowest index first). A worker may be sent up to DEPTH tasks, so
 * it goes on to the next without waiting for the main thread; a worker that becomes free takes lent
 * tasks back from a busy one that has not started them (an atomic claim in shared memory decides).
 * So a slow PoV, a worker descheduled by the machine or a replaced worker never holds up the jobs
 * behind it.
 *
 * @example
 * const pool = await createValidatorPool({ size: 2 });
 * const { backed, verdict } = await pool.validate({ pov, view, codes });
 * await pool.close();
 */
export async function createValidatorPool(opts: ValidatorPoolOptions = {}): Promise<ValidatorPool> {
  const size = Math.max(1, opts.size ?? availableParallelism());
  const backers = Math.min(size, Math.max(1, opts.backers ?? Math.min(2, size)));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const handler = opts.handler ?? DEFAULT_HANDLER;
  const claims = new Int32Array(new SharedArrayBuffer(4 * CLAIMS));
  /** Workers write task start times relative to this (an int32 of ms). */
  const epoch = Date.now();
  /** Claim cells of tasks sent and not yet answered (or whose worker may still read them). */
  const claimed = new Set<number>();
  /** Tasks taken back from a worker, by message id: their cell is freed when the worker notes it. */
  const lent = new Map<number, Sent>();
  /**
   * A job's PoV and view go to the worker in a SharedArrayBuffer: no copy into and out of a message,
   * and no buffer per PoV to allocate and free on either side. Buffers are reused once done with.
   */
  const spareBuffers: SharedArrayBuffer[] = [];

  function bufferFor(n: number): SharedArrayBuffer {
    const at = spareBuffers.findIndex(
      (b) => b.byteLength >= n && b.byteLength <= 4 * Math.max(n, MIN_BUFFER),
    );
    if (at >= 0) return spareBuffers.splice(at, 1)[0] as SharedArrayBuffer;
    let size = MIN_BUFFER;
    while (size < n) size *= 2;
    return new SharedArrayBuffer(size);
  }

  /** The worker will not read `s`'s cell or buffer again. */
  function done(s: Sent) {
    if (s.released) return;
    s.released = true;
    claimed.delete(s.claim);
    if (spareBuffers.length < SPARE_BUFFERS) spareBuffers.push(s.buf);
  }
  let nextClaim = 0;
  let nextId = 1;
  let replaced = 0;
  let closed = false;
  let pumping = false;
  const slots: Slot[] = [];
  const queue: Task[] = [];

  function newClaim(): number {
    while (claimed.has(nextClaim)) nextClaim = (nextClaim + 1) % CLAIMS;
    const k = nextClaim;
    nextClaim = (nextClaim + 1) % CLAIMS;
    claimed.add(k);
    Atomics.store(claims, k, CLAIM.free);
    return k;
  }

  function spawn(index: number): Slot {
    const progress = new Int32Array(new SharedArrayBuffer(4 * PROGRESS.cells));
    const worker = newWorker({ entry: ENTRY, handler, claims, progress, epoch });
    const slot: Slot = {
      index,
      worker,
      up: false,
      sent: [],
      codes: new Set(),
      progress,
      ready: Promise.resolve(),
    };
    slot.ready = new Promise<void>((ok, fail) => {
      worker.once("message", () => ok());
      worker.once("error", fail);
    });
    slot.ready.then(
      () => {
        if (closed || slots[index] !== slot) return;
        slot.up = true;
        pump();
      },
      () => {},
    );
    worker.on("message", (m: WorkerReply | { ready: true }) => {
      if (Array.isArray(m)) answered(slot, m);
    });
    const failAll = (why: string) => {
      retire(slot, why);
      pump();
    };
    worker.on("error", (e) => failAll(`crashed: ${e.message}`));
    worker.on("exit", (code) => {
      failAll(`exited (${code})`);
      if (!closed && slots[index] === slot) replace(slot);
    });
    return slot;
  }

  /**
   * `slot`'s worker is gone or going: the task it was running fails with `why`; the others go back to
   * the queue (unless the pool is closed): unstarted ones, and finished ones whose answers were not sent
   * yet. Cells and buffers are freed once the thread is gone (it might still read them until then, and
   * a hung one never notes what was taken back).
   */
  function retire(slot: Slot, why: string, gone: Sent[] = []) {
    // Down first, so requeued tasks are not handed straight back to this worker.
    slot.up = false;
    clearTimeout(slot.watch);
    slot.watch = undefined;
    const running = Atomics.load(slot.progress, PROGRESS.task);
    const sent = slot.sent.splice(0);
    const requeue: Task[] = [];
    for (const s of sent) {
      if (!closed && (takeBack(s) || s.id !== running)) {
        s.task.tried.delete(slot.index);
        requeue.push(s.task);
      } else {
        s.task.done({ index: slot.index, error: why });
      }
    }
    queue.unshift(...requeue);
    void slot.worker.terminate().then(() => {
      for (const s of [...gone, ...sent]) {
        lent.delete(s.id);
        done(s);
      }
    });
  }

  function replace(slot: Slot) {
    if (closed || slots[slot.index] !== slot) return;
    replaced++;
    slot.up = false;
    const fresh = spawn(slot.index);
    slots[slot.index] = fresh;
    void slot.worker.terminate();
  }

  /** Takes an unstarted task back from its worker; false if the worker has started it. */
  function takeBack(s: Sent): boolean {
    if (Atomics.compareExchange(claims, s.claim, CLAIM.free, CLAIM.taken) !== CLAIM.free) return false;
    lent.set(s.id, s);
    return true;
  }

  /** A worker's answers, and its notes that tasks taken back were skipped. */
  function answered(slot: Slot, answers: WorkerReply) {
    for (const m of answers) {
      const taken = lent.get(m.id);
      if (taken !== undefined) {
        lent.delete(m.id);
        done(taken);
        continue;
      }
      const at = slot.sent.findIndex((s) => s.id === m.id);
      if (at < 0 || "skipped" in m) continue; // timed out meanwhile
      const s = slot.sent[at] as Sent;
      slot.sent.splice(at, 1);
      done(s);
      s.task.done(
        "verdict" in m ? { index: slot.index, verdict: m.verdict } : { index: slot.index, error: m.error },
      );
    }
    if (slot.sent.length === 0) {
      clearTimeout(slot.watch);
      slot.watch = undefined;
    }
    pump();
  }

  /**
   * The watchdog of a worker with tasks: the task it runs fails after `timeoutMs` (timed from its start,
   * which the worker writes to shared memory), the worker is replaced and its other tasks requeued.
   */
  function watch(slot: Slot) {
    if (slot.watch !== undefined || slot.sent.length === 0) return;
    const check = () => {
      slot.watch = undefined;
      if (!slot.up || slot.sent.length === 0) return;
      const running = Atomics.load(slot.progress, PROGRESS.task);
      const left = Atomics.load(slot.progress, PROGRESS.since) + timeoutMs - (Date.now() - epoch);
      if (running === 0 || left > 0) {
        slot.watch = setTimeout(check, running === 0 ? timeoutMs : left);
        return;
      }
      const at = slot.sent.findIndex((s) => s.id === running);
      const gone = at >= 0 ? slot.sent.splice(at, 1) : [];
      for (const s of gone) s.task.done({ index: slot.index, error: "timeout" });
      retire(slot, "timeout", gone);
      replace(slot);
      pump();
    };
    slot.watch = setTimeout(check, timeoutMs);
  }

  /** The oldest queued task `slot` may run, removed from the queue. */
  function take(slot: Slot): Task | undefined {
    const at = queue.findIndex((t) => !t.tried.has(slot.index));
    return at < 0 ? undefined : (queue.splice(at, 1)[0] as Task);
  }

  /**
   * Hands out queued tasks: free workers first get the oldest tasks they may run, then busy ones get
   * more, up to DEPTH each, one message per worker. Then a free worker with nothing to take from the
   * queue takes back tasks lent to a busy one (from the back, while the busy one keeps more).
   * Deferred to a microtask, so jobs submitted together go out together.
   */
  function pump() {
    if (pumping) return;
    pumping = true;
    queueMicrotask(() => {
      pumping = false;
      if (closed) return;
      const batches = new Map<Slot, Sent[]>();
      const give = (slot: Slot, task: Task) => {
        const s = prepare(slot, task);
        const b = batches.get(slot);
        if (b) b.push(s);
        else batches.set(slot, [s]);
      };
      for (let depth = 0; depth < DEPTH && queue.length > 0; depth++) {
        for (const slot of slots) {
          if (queue.length === 0) break;
          if (!slot.up || slot.sent.length !== depth) continue;
          const task = take(slot);
          if (task) give(slot, task);
        }
      }
      for (const idle of slots) {
        if (!idle.up || idle.sent.length > 0) continue;
        for (const busy of slots) {
          while (busy !== idle && busy.sent.length > idle.sent.length + 1) {
            const last = busy.sent[busy.sent.length - 1] as Sent;
            if (last.task.tried.has(idle.index) || !takeBack(last)) break;
            busy.sent.pop();
            last.task.tried.delete(busy.index);
            give(idle, last.task);
          }
        }
      }
      for (const [slot, sent] of batches) send(slot, sent);
    });
  }

  /** Lists `task` as sent to `slot`, its bytes written to a shared buffer (not sent yet). */
  function prepare(slot: Slot, task: Task): Sent {
    task.tried.add(slot.index);
    const { pov, view } = task.job;
    const buf = bufferFor(pov.byteLength + view.byteLength);
    const bytes = new Uint8Array(buf);
    bytes.set(pov, 0);
    bytes.set(view, pov.byteLength);
    const s: Sent = { id: nextId++, task, claim: newClaim(), buf };
    slot.sent.push(s);
    return s;
  }

  function send(slot: Slot, sent: Sent[]) {
    const codes: Array<[Uint8Array, Uint8Array]> = [];
    for (const s of sent) {
      for (const [h, blob] of s.task.job.codes) {
        const k = toHex(h);
        if (!slot.codes.has(k)) {
          slot.codes.add(k);
          codes.push([exact(h), exact(blob)]);
        }
      }
    }
    const req: WorkerRequest = {
      tasks: sent.map((s) => ({
        id: s.id,
        claim: s.claim,
        buf: s.buf,
        pov: s.task.job.pov.byteLength,
        view: s.task.job.view.byteLength,
      })),
      codes,
    };
    slot.worker.postMessage(req);
    watch(slot);
  }

  /** One verdict on `job` from a worker not in `tried` (the first such worker to be free). */
  function ask(job: PovToValidate, tried: Set<number>): Promise<Answer> {
    return new Promise((done) => {
      if (closed) return done({ index: -1, error: "pool closed" });
      queue.push({ job, tried, done });
      pump();
    });
  }

  for (let i = 0; i < size; i++) slots.push(spawn(i));
  if (opts.waitReady === false) {
    for (const s of slots) s.ready.catch(() => {});
  } else {
    try {
      await Promise.all(slots.map((s) => s.ready));
    } catch (cause) {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw new ValidatorPoolError("Validator workers failed to start", {
        code: "VALIDATOR_START_FAILED",
        details: (cause as Error).message,
        hint: "check that the handler module loads (bin/worker.js registers the TypeScript hooks)",
        cause,
      });
    }
  }

  return {
    size,
    backers,
    get replaced() {
      return replaced;
    },
    async validate(job) {
      if (closed) throw new ValidatorPoolError("Validator pool is closed", { code: "VALIDATOR_POOL_CLOSED" });
      const tried = new Set<number>();
      const votes = new Map<string, { verdict: Uint8Array; workers: number[] }>();
      const faults: string[] = [];
      const count = (a: Answer) => {
        if ("error" in a) {
          faults.push(a.index < 0 ? a.error : `worker ${a.index}: ${a.error}`);
          return;
        }
        // One opinion needed: nothing to compare it with.
        const k = backers === 1 ? "" : toHex(blake2b256(a.verdict));
        const v = votes.get(k) ?? { verdict: a.verdict, workers: [] };
        v.workers.push(a.index);
        votes.set(k, v);
      };
      // As many opinions as needed, each from a worker that has not given one on this job; asked again
      // when some failed or disagreed, while a worker is left to ask.
      const best = () => [...votes.values()].sort((a, b) => b.workers.length - a.workers.length)[0];
      for (let rounds = 0; (best()?.workers.length ?? 0) < backers && rounds <= 2 * size; rounds++) {
        const n = Math.min(backers - (best()?.workers.length ?? 0), size - tried.size);
        if (n <= 0 || closed) break;
        const answers = await Promise.all(Array.from({ length: n }, () => ask(job, tried)));
        for (const a of answers) count(a);
      }
      const win = best();
      if (win && votes.size > 1) {
        for (const v of votes.values())
          if (v !== win) for (const w of v.workers) faults.push(`worker ${w}: disagreed`);
      }
      if (win && win.workers.length >= backers) {
        return { backed: true, verdict: win.verdict, backers: win.workers.sort((a, b) => a - b), faults };
      }
      return { backed: false, backers: [], faults };
    },
    async close() {
      closed = true;
      for (const s of slots) clearTimeout(s.watch);
      for (const t of queue.splice(0)) t.done({ index: -1, error: "pool closed" });
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
