/** Runs inside a worker_thread (via bin/worker.js): runSpecFile on each file of its share, posted back. */
import { parentPort, workerData } from "node:worker_threads";
import { type Counts, runSpecFile } from "./runner.ts";

const { files } = workerData as { files: string[] };
const out: Array<[string, Counts]> = files.map((f) => [f, runSpecFile(f)]);
parentPort!.postMessage(out);
