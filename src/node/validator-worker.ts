/**
 * One validator worker thread: receives PoV tasks, re-executes each from its bytes alone through the
 * handler module named in workerData (default: ./validate-handler.ts), answers with the verdict bytes.
 * Program blobs arrive once per worker and are cached by code hash.
 *
 * Tasks arrive a few at a time and the answers go back a few at a time (validator-protocol.ts): a
 * message crossing threads costs this VM as much as a tenth of a PoV (thread wake-ups), so the worker
 * takes queued messages itself between tasks and does not reply after every one.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { deferInstrumenter } from "../vm/instrument/instrumenter.ts";
import {
  CLAIM,
  type JobHandler,
  PROGRESS,
  type WorkerAnswer,
  type WorkerRequest,
  type WorkerTask,
} from "./validator-protocol.ts";

// Programs come from the instrument cache the node filled: Binaryen (28 MB of heap, marked by every
// full GC of this thread) is loaded only if one misses it (validate-handler.ts).
deferInstrumenter();
const mod = (await import(workerData.handler as string)) as {
  createHandler(): JobHandler | Promise<JobHandler>;
};
const handle = await mod.createHandler();
const port = parentPort!;
const codes = new Map<string, Uint8Array>();
const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const claims = workerData.claims as Int32Array;
const progress = workerData.progress as Int32Array;
const epoch = workerData.epoch as number;

/** Tasks received and not yet run, and answers not yet sent. */
const tasks: WorkerTask[] = [];
let answers: WorkerAnswer[] = [];
let draining = false;

function take(m: WorkerRequest) {
  for (const [hash, blob] of m.codes) codes.set(hexOf(hash), blob);
  tasks.push(...m.tasks);
}

/** Takes the requests already waiting, without a turn of the event loop. */
function takeWaiting() {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    take(m.message as WorkerRequest);
  }
}

function reply() {
  if (answers.length === 0) return;
  port.postMessage(answers);
  answers = [];
}

async function run(t: WorkerTask): Promise<WorkerAnswer> {
  // A task is only lent until this worker starts it: the pool may have taken it back (validator-pool.ts).
  if (Atomics.compareExchange(claims, t.claim, CLAIM.free, CLAIM.started) !== CLAIM.free) {
    return { id: t.id, skipped: true };
  }
  Atomics.store(progress, PROGRESS.since, Date.now() - epoch);
  Atomics.store(progress, PROGRESS.task, t.id);
  try {
    const out = handle({
      pov: new Uint8Array(t.buf, 0, t.pov),
      view: new Uint8Array(t.buf, t.pov, t.view),
      code: (hash) => codes.get(hexOf(hash)),
    });
    return { id: t.id, verdict: out instanceof Promise ? await out : out };
  } catch (e) {
    return { id: t.id, error: e instanceof Error ? e.message : String(e) };
  } finally {
    Atomics.store(progress, PROGRESS.task, 0);
  }
}

async function drain() {
  draining = true;
  for (;;) {
    takeWaiting();
    const t = tasks.shift();
    if (t === undefined) break;
    // About to run the last task: send what is answered, so the pool sends more meanwhile.
    if (tasks.length === 0) reply();
    answers.push(await run(t));
  }
  reply();
  draining = false;
}

port.on("message", (m: WorkerRequest) => {
  take(m);
  if (!draining) void drain();
});
port.postMessage({ ready: true });
