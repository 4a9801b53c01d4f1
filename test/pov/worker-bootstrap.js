// Worker threads do not inherit tsx's loader hooks (docs/decisions.md): register tsx, then import the
// TypeScript entry named in workerData.entry. Binaryen (a 14 MB module) is imported natively first:
// through tsx's loader it takes minutes to load; once in the module cache it is not loaded again.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

await import("binaryen");
register();
await import(workerData.entry);
