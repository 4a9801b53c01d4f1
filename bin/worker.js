// The entry of every worker thread: Node 20 workers don't inherit module hooks, so register the
// TypeScript hooks here, then import the module named in `workerData.entry` (a file URL or path).
import "./register.js";
import { workerData } from "node:worker_threads";

// Workers load the programs the node loads: share its disk cache of instrumented modules.
const { installInstrumentCache } = await import("../src/node/instrument-cache.ts");
installInstrumentCache();

await import(workerData.entry);
