/** Runs inside a worker_thread (via bin/worker.js): test/vm/stack-programs.ts's runDepths, posted back. */
import { parentPort, workerData } from "node:worker_threads";
import { runDepths } from "./stack-programs.ts";

const { blobs, depths } = workerData as { blobs: Uint8Array[]; depths: number[] };
parentPort!.postMessage(blobs.map((b) => runDepths(b, depths)));
