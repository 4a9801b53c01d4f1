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
import type { WorkerReply, WorkerRequest } from "./validator-protocol.ts";

const BOOTSTRAP = new URL("../../bin/worker.js", import.meta.url);
const ENTRY = new URL("./validator-worker.ts", import.meta.url).href;
/** A job that never ran (its worker died with it queued) may be asked again of the fresh worker. */
const REQUEUE = "requeued: ";
const DEFAULT_HANDLER = new URL("./validate-handler.ts", import.meta.url).href;

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
  /** Jobs reserved on this worker (queued or running): picking balances on it. */
  busy: number;
  running: boolean;
  queue: Array<{ start: () => void; fail: (why: string) => void }>;
  codes: Set<string>;
  waiting: Map<number, (r: WorkerReply | { id: number; error: string }) => void>;
}

/**
 * Starts the workers. Resolves when all are ready.
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
  let nextId = 1;
  let replaced = 0;
  let closed = false;
  const slots: Slot[] = [];

  function spawn(index: number): Slot {
    const worker = new Worker(BOOTSTRAP, {
      workerData: { entry: ENTRY, handler },
      // e.g. `node --input-type=module -e` would break a worker's own module loading
      execArgv: process.execArgv.filter((a) => !a.startsWith("--input-type")),
    });
    const slot: Slot = {
      index,
      worker,
      busy: 0,
      running: false,
      queue: [],
      codes: new Set(),
      waiting: new Map(),
      ready: Promise.resolve(),
    };
    slot.ready = new Promise<void>((ok, fail) => {
      worker.once("message", () => ok());
      worker.once("error", fail);
    });
    worker.on("message", (m: WorkerReply | { ready: true }) => {
      if ("id" in m) {
        const done = slot.waiting.get(m.id);
        slot.waiting.delete(m.id);
        done?.(m);
      }
    });
    const failAll = (why: string) => {
      // Jobs queued behind the failed one would wait forever on a dead worker: take them out first,
      // so finishing the running one does not start the next on it.
      const queued = slot.queue.splice(0);
      for (const [id, done] of slot.waiting) done({ id, error: why });
      slot.waiting.clear();
      for (const q of queued) q.fail(`${REQUEUE}${why}`);
    };
    worker.on("error", (e) => failAll(`crashed: ${e.message}`));
    worker.on("exit", (code) => {
      failAll(`exited (${code})`);
      if (!closed && slots[index] === slot) replace(slot);
    });
    return slot;
  }

  function replace(slot: Slot) {
    if (closed || slots[slot.index] !== slot) return;
    replaced++;
    const fresh = spawn(slot.index);
    slots[slot.index] = fresh;
    fresh.ready.catch(() => {});
    void slot.worker.terminate();
  }

  function runOn(slot: Slot, job: PovToValidate): Promise<{ verdict: Uint8Array } | { error: string }> {
    const id = nextId++;
    const codes: Array<[Uint8Array, Uint8Array]> = [];
    for (const [h, blob] of job.codes) {
      const k = toHex(h);
      if (!slot.codes.has(k)) {
        slot.codes.add(k);
        codes.push([h, blob]);
      }
    }
    return new Promise((ok) => {
      // One job at a time per worker, so the timeout measures this job's execution, not the queue.
      const start = () => {
        slot.running = true;
        const timer = setTimeout(() => {
          if (!slot.waiting.has(id)) return;
          slot.waiting.delete(id);
          ok({ error: "timeout" });
          replace(slot);
        }, timeoutMs);
        slot.waiting.set(id, (r) => {
          clearTimeout(timer);
          slot.busy--;
          slot.running = false;
          ok("verdict" in r ? { verdict: r.verdict } : { error: r.error });
          slot.queue.shift()?.start();
        });
        const req: WorkerRequest = { id, pov: job.pov, view: job.view, codes };
        slot.worker.postMessage(req);
      };
      if (slot.running) slot.queue.push({ start, fail: (why) => ok({ error: why }) });
      else start();
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
      // Least-busy workers first; ties broken by index so the choice is stable.
      const pick = (n: number) =>
        slots
          .filter((s) => !tried.has(s.index))
          .sort((a, b) => a.busy - b.busy || a.index - b.index)
          .slice(0, n);
      const ask = async (s: Slot) => {
        tried.add(s.index);
        s.busy++; // reserve now, before any await, so concurrent validations spread over the workers
        await s.ready.catch(() => {});
        const r = await runOn(s, job);
        if ("error" in r) {
          if (r.error.startsWith(REQUEUE)) tried.delete(s.index);
          else faults.push(`worker ${s.index}: ${r.error}`);
          return;
        }
        const k = toHex(blake2b256(r.verdict));
        const v = votes.get(k) ?? { verdict: r.verdict, workers: [] };
        v.workers.push(s.index);
        votes.set(k, v);
      };
      await Promise.all(pick(backers).map(ask));
      // One more opinion when the first ones failed or disagreed, if a worker is left to ask.
      const best = () => [...votes.values()].sort((a, b) => b.workers.length - a.workers.length)[0];
      for (let rounds = 0; (best()?.workers.length ?? 0) < backers && rounds < 2 * size; rounds++) {
        const more = pick(backers - (best()?.workers.length ?? 0));
        if (more.length === 0) break;
        await Promise.all(more.map(ask));
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
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
