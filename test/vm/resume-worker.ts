/**
 * Runs inside a worker_thread (via bin/worker.js): continues an actor from image bytes, restoring
 * into a fresh instance after every yield, and posts back the final image bytes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { actorId } from "../../src/codec/ids.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { fakeHost } from "./fixtures.ts";

const { blob, image, gas } = workerData as { blob: Uint8Array; image: Uint8Array; gas: bigint };
const program = createWasmEngine().load(blob);
let bytes = image;
let steps = 0;
for (;;) {
  const actor = program.instantiate(actorId(1), program.decodeImage(bytes), fakeHost());
  const out = actor.service(gas);
  bytes = actor.snapshot().encode();
  steps++;
  if (out.status !== "yielded" && out.status !== "preempted") break;
}
parentPort!.postMessage({ image: bytes, steps });
