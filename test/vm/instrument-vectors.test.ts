/**
 * Known-answer vectors for the instrumenter: the blake2b-256 of its output (and its layout) for fixed
 * programs and options, so a refactor that changes one byte of consensus code fails loudly. A change
 * that is meant to alter the output regenerates them with `UPDATE_VECTORS=1` and says why in its commit.
 *
 * Programs: the bench kernels (plain and -O2), the examples' raw Wasm as `coreplay build` made it
 * (committed in test/vectors/instrument/, so the vectors do not depend on the AssemblyScript compiler),
 * and the engine tests' WAT actors.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KERNELS } from "../../bench/kernels.wat.ts";
import { toHex } from "../../src/codec/bytes.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { type InstrumentOptions, instrument } from "../../src/vm/instrument/index.ts";
import { wasmFromWat } from "../../src/vm/testing.ts";
import { CRUNCH, ECHO, WORKER } from "./fixtures.ts";

const DIR = new URL("../vectors/instrument/", import.meta.url);
const VECTORS = new URL("vectors.json", DIR);

const PROGRAMS: Record<string, () => Uint8Array> = {
  kernels: () => wasmFromWat(KERNELS),
  "kernels-O2": () => wasmFromWat(KERNELS, { optimize: true }),
  echo: () => wasmFromWat(ECHO),
  worker: () => wasmFromWat(WORKER),
  crunch: () => wasmFromWat(CRUNCH),
  ...Object.fromEntries(
    ["counter", "ledger", "mutex", "pingpong", "primes"].map((n) => [
      n,
      () => new Uint8Array(readFileSync(new URL(`${n}.wasm`, DIR))),
    ]),
  ),
};

const OPTIONS: Record<string, InstrumentOptions> = {
  cooperative: { preemptible: false, maxPages: 1024, maxCallDepth: 2048 },
  preemptible: { preemptible: true, maxPages: 1024, maxCallDepth: 2048 },
};

/** What a vector pins: the output's hash and every layout fact the runtime reads. */
function digest(code: Uint8Array, opts: InstrumentOptions): string {
  const { wasm, ...layout } = instrument(code, opts);
  return `${toHex(blake2b256(wasm))} ${JSON.stringify(layout)}`;
}

describe("instrumenter known-answer vectors", () => {
  const expected = JSON.parse(readFileSync(VECTORS, "utf8")) as Record<string, string>;
  const actual: Record<string, string> = {};
  for (const [program, code] of Object.entries(PROGRAMS)) {
    for (const [mode, opts] of Object.entries(OPTIONS)) {
      const key = `${program}/${mode}`;
      it(`instruments ${key} to the pinned bytes`, () => {
        actual[key] = digest(code(), opts);
        if (process.env.UPDATE_VECTORS) return;
        expect(actual[key]).toBe(expected[key]);
      });
    }
  }
  it.runIf(process.env.UPDATE_VECTORS)("writes the vectors (UPDATE_VECTORS=1)", () => {
    writeFileSync(VECTORS, `${JSON.stringify(actual, null, 2)}\n`);
  });
});
