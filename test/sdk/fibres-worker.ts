/** Runs the fibres agenda inside a worker_thread (via bin/worker.js), restoring after every play. */
import { parentPort, workerData } from "node:worker_threads";
import { runFibreAgenda } from "./fibres-agenda.ts";

const { blob, gas, plays } = workerData as { blob: Uint8Array; gas: bigint; plays: number };
parentPort!.postMessage(runFibreAgenda(blob, { restore: true, gas, plays }));
