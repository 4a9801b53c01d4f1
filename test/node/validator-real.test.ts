/** The validator pool with the real handler: workers that defer the instrumenter (validator-worker.ts). */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeExact } from "../../src/codec/types.ts";
import { createValidatorPool, type ValidatorPool } from "../../src/node/validator-pool.ts";
import { RelayView, Verdict } from "../../src/pov/types.ts";
import { encodeVerdict } from "../../src/pov/validate.ts";
import { service } from "../pov/fixtures.ts";
import { build, check } from "../pov/helpers.ts";
import { OP, op, setupWasm, wcall } from "../pov/wat.ts";

/** A one-worker pool whose worker starts with an empty instrument cache of its own (in `dir`). */
async function poolWithEmptyCache(dir: string): Promise<ValidatorPool> {
  const saved = process.env.COREPLAY_CACHE_DIR;
  process.env.COREPLAY_CACHE_DIR = dir; // a worker copies the environment when it starts
  try {
    return await createValidatorPool({ size: 1 });
  } finally {
    if (saved === undefined) delete process.env.COREPLAY_CACHE_DIR;
    else process.env.COREPLAY_CACHE_DIR = saved;
  }
}

describe("validator worker with a deferred instrumenter", () => {
  const fx = setupWasm([{ id: 1 }]);
  const built = build(fx, [wcall(1, op(OP.inc)), wcall(1, op(OP.inc)), service(1)]);
  const codeHash = fx.view.actors[0]!.codeHash;
  const blob = fx.codes.code(codeHash)!;
  const view = RelayView.enc(fx.view);

  it("judges a program missing from the instrument cache as a thread with the instrumenter would", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cp-icache-"));
    const pool = await poolWithEmptyCache(dir);
    try {
      const b = await pool.validate({ pov: built.pov, view, codes: [[codeHash, blob]] });
      expect(b.backed).toBe(true);
      expect(decodeExact(Verdict, b.verdict!, "verdict").tag).toBe("Valid");
      expect(Buffer.from(b.verdict!).equals(Buffer.from(encodeVerdict(check(fx, built.pov))))).toBe(true);
      // The worker instrumented the program itself, into its (empty) cache.
      expect(readdirSync(dir, { recursive: true }).length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it("still calls a code it was never sent unknown", async () => {
    const pool = await poolWithEmptyCache(mkdtempSync(join(tmpdir(), "cp-icache-")));
    try {
      const b = await pool.validate({ pov: built.pov, view, codes: [] });
      const v = decodeExact(Verdict, b.verdict!, "verdict");
      expect(v.tag === "Invalid" && v.value.tag).toBe("UnknownCode");
    } finally {
      await pool.close();
    }
  });
});
