// Worker threads do not inherit tsx's loader hooks: register them, then load the .ts worker module.
// binaryen (~12 MB of plain JS) is imported natively first: through tsx's hooks it is transformed on
// every worker start, which takes minutes on a loaded machine. Later imports reuse the cached module.
import "binaryen";
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.module);
