// Worker threads do not inherit tsx's loader hooks: register them, then load the .ts worker module.
// binaryen is imported first, without the hooks: its top-level await never settles when it is loaded
// through tsx's hooks inside a worker (observed with tsx 4.23 + Node 20), which hangs the worker.
import "binaryen";
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.module);
