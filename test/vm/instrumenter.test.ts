/** A thread may defer loading the instrumenter (Binaryen): what it then can and cannot load. */
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { counterProgram } from "../node/programs.ts";

function runDeferred(blob: Uint8Array): Promise<{ before: string; loadedAtStart: boolean; after: string }> {
  const worker = new Worker(new URL("../../bin/worker.js", import.meta.url), {
    // No instrument cache: every program misses it.
    env: { ...process.env, COREPLAY_CACHE: "off" },
    workerData: { entry: new URL("./fixtures/deferred-engine.ts", import.meta.url).href, blob },
  });
  return new Promise((ok, fail) => {
    worker.once("message", (m) => {
      void worker.terminate();
      ok(m);
    });
    worker.once("error", fail);
  });
}

describe("deferred instrumenter", () => {
  it("fails a cache miss with INSTRUMENTER_NOT_LOADED, and loads the program once it is loaded", async () => {
    const r = await runDeferred(counterProgram());
    expect(r).toEqual({ loadedAtStart: false, before: "INSTRUMENTER_NOT_LOADED", after: "counter" });
  });
});
