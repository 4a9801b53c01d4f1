/**
 * The official WebAssembly spec testsuite (test/vm/spec-suite/README.md) through the instrumenter,
 * cooperative and preemptible, against plain V8 (issue 12 §1, DESIGN §6: instrumented Wasm behaves
 * exactly like plain Wasm). Every assert_return / assert_trap / assert_exhaustion / action, every binary
 * assert_invalid / assert_malformed and every assert_unlinkable / assert_uninstantiable is compared;
 * features refused by design count as refused, NaN canonicalisation (docs/abi.md §5) as NaN, and there
 * must be no disagreement. Counts are per command and mode (cooperative, preemptible). Two worker
 * threads share the files (the machine has 2 cores).
 */
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import type { Counts } from "./spec-suite/runner.ts";

const DIR = fileURLToPath(new URL("./spec-suite/json/", import.meta.url));
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => DIR + f);

function shard(files: string[]): Promise<Array<[string, Counts]>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(new URL("../../bin/worker.js", import.meta.url)), {
      workerData: { entry: new URL("./spec-suite/shard-worker.ts", import.meta.url).href, files },
    });
    worker.once("message", (m) => {
      resolve(m as Array<[string, Counts]>);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

describe("WebAssembly spec testsuite", () => {
  it("agrees with plain V8 on every command, cooperative and preemptible, except what is refused by design", async () => {
    const n = Math.max(1, Math.min(2, availableParallelism()));
    const shares = Array.from({ length: n }, (_, k) => FILES.filter((_, i) => i % n === k));
    const results = (await Promise.all(shares.map(shard))).flat();
    const total = { agree: 0, refused: 0, nan: 0, skipped: 0, disagree: 0 };
    const refusedBy: Record<string, number> = {};
    const disagreements: string[] = [];
    for (const [, c] of results) {
      for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += c[k];
      for (const [why, m] of Object.entries(c.refusedBy)) refusedBy[why] = (refusedBy[why] ?? 0) + m;
      disagreements.push(...c.disagreements);
    }
    console.log(
      `spec suite (${FILES.length} files): ${total.agree} agree, ${total.refused} refused by design, ` +
        `${total.nan} NaN canonicalised, ${total.skipped} text-only skipped, ${total.disagree} disagree`,
    );
    // By reason, imports of every kind on one line each, the largest first.
    const byReason: Record<string, number> = {};
    for (const [why, m] of Object.entries(refusedBy)) {
      const key = /^(UNKNOWN_IMPORT|BAD_MEMORY|plain V)/.test(why) ? why.split(/[:.]/)[0]! : why;
      byReason[key] = (byReason[key] ?? 0) + m;
    }
    for (const [why, m] of Object.entries(byReason).sort((a, b) => b[1] - a[1])) {
      console.log(`  refused ${m}× ${why}`);
    }
    expect(disagreements).toEqual([]);
    expect(results.length).toBe(FILES.length);
    expect(total.agree).toBeGreaterThan(20_000);
    expect(total.nan).toBeGreaterThan(0);
    expect(total.refused).toBeGreaterThan(0);
  }, 600_000);
});
