// Worker threads do not inherit tsx's loader hooks (docs/decisions.md), so each worker registers tsx and
// then imports its TypeScript entry, given as a file URL in workerData.entry.
// Big plain-JS packages (binaryen: ~12 MB) are imported natively *before* tsx is registered: tsx would
// transform them on every start (minutes); once in the ESM cache, later imports reuse them.
import { workerData } from "node:worker_threads";

for (const pkg of workerData.preload ?? []) await import(pkg);
const { register } = await import("tsx/esm/api");
register();
await import(workerData.entry);
