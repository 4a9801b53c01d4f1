/**
 * One validator worker thread: receives PoV jobs, re-executes each from its bytes alone through the
 * handler module named in workerData (default: ./validate-handler.ts), answers with the verdict bytes.
 * Program blobs arrive once per worker and are cached by code hash.
 */
import { parentPort, workerData } from "node:worker_threads";
import { deferInstrumenter } from "../vm/instrument/instrumenter.ts";
import type { JobHandler, WorkerReply, WorkerRequest } from "./validator-protocol.ts";

// Programs come from the instrument cache the node filled: Binaryen (28 MB of heap, marked by every
// full GC of this thread) is loaded only if one misses it (validate-handler.ts).
deferInstrumenter();
const mod = (await import(workerData.handler as string)) as {
  createHandler(): JobHandler | Promise<JobHandler>;
};
const handle = await mod.createHandler();
const codes = new Map<string, Uint8Array>();
const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

const claims = workerData.claims as Int32Array;

parentPort!.on("message", async (m: WorkerRequest) => {
  for (const [hash, blob] of m.codes) codes.set(hexOf(hash), blob);
  // A job is only lent until this worker starts it: another worker may have taken it (validator-pool.ts).
  if (Atomics.compareExchange(claims, m.claim, 0, 1) !== 0) {
    parentPort!.postMessage({ id: m.id, skipped: true } satisfies WorkerReply);
    return;
  }
  let reply: WorkerReply;
  try {
    const verdict = await handle({
      pov: new Uint8Array(m.buf, 0, m.pov),
      view: new Uint8Array(m.buf, m.pov, m.view),
      code: (hash) => codes.get(hexOf(hash)),
    });
    reply = { id: m.id, verdict };
  } catch (e) {
    reply = { id: m.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
