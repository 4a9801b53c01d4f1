/**
 * The call-depth limit is a property of the program alone (issue 12 §2, DESIGN §6): frames that keep
 * many values on the operand stack weigh more, so V8's native stack never ends a play, whatever the
 * thread's stack size. The same programs at many depths give identical outputs and gas on this (main)
 * thread, with V8's default stack, and in workers with smaller and larger `resourceLimits.stackSizeMb`.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { type DepthResult, nestedAddsProgram, runDepths } from "./stack-programs.ts";

const DEPTHS = [0, 1, 2, 5, 10, 20, 30, 31, 32, 33, 40, 64, 100, 128, 300, 1000, 2047, 4095];
const PROGRAMS = [
  nestedAddsProgram(1000), // the reproduction (it trapped at n = 300 on the main thread only)
  nestedAddsProgram(1000, true),
  nestedAddsProgram(100),
  nestedAddsProgram(10),
  nestedAddsProgram(0),
];

function inWorker(stackSizeMb: number): Promise<DepthResult[][]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(new URL("../../bin/worker.js", import.meta.url)), {
      workerData: {
        entry: new URL("./stack-worker.ts", import.meta.url).href,
        blobs: PROGRAMS,
        depths: DEPTHS,
      },
      resourceLimits: { stackSizeMb },
    });
    worker.once("message", (m) => {
      resolve(m as DepthResult[][]);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

describe("call depth does not depend on the thread", () => {
  it("gives identical outputs and gas on the main thread and in workers with 1 MB and 8 MB stacks", async () => {
    const main = PROGRAMS.map((b) => runDepths(b, DEPTHS));
    const seen = { ok: 0, trap: 0 };
    for (const results of main) {
      // Every trap is the depth limit, reached at the same frame whatever the depth asked for: the same
      // gas each time (V8's own stack overflow would stop at a point that depends on the stack left).
      const traps = results.filter((r) => r.output.startsWith("Trap"));
      expect(new Set(traps.map((r) => r.gasUsed)).size).toBeLessThanOrEqual(1);
      for (const r of results) {
        expect(r.output, `n = ${r.n}`).toMatch(/^(Ok|Trap)/);
        if (r.output.startsWith("Ok")) seen.ok++;
        else seen.trap++;
      }
    }
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
    // The reproduction at n = 300 (it trapped on the main thread only) is refused by the limit everywhere.
    expect(main[0]!.find((r) => r.n === 300)!.output).toMatch(/^Trap/);
    const [small, large] = await Promise.all([inWorker(1), inWorker(8)]);
    expect(small).toEqual(main);
    expect(large).toEqual(main);
  }, 120_000);
});
