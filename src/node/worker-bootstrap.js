// Worker threads do not inherit tsx's loader hooks (docs/decisions.md), so each worker registers tsx and
// then imports its TypeScript entry, given as a file URL in workerData.entry.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
