import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createValidatorPool, type ValidatorPool } from "../../src/node/validator-pool.ts";

const handler = new URL("./fixtures/fake-handler.ts", import.meta.url).href;
/** Echoes the PoV; a PoV [5, ...path] first waits until the file at path exists. */
const gated = `data:text/javascript,${encodeURIComponent(`
  import { existsSync } from "node:fs";
  const nap = new Int32Array(new SharedArrayBuffer(4));
  export function createHandler() {
    return (job) => {
      if (job.pov[0] === 5) {
        const gate = new TextDecoder().decode(job.pov.subarray(1));
        while (!existsSync(gate)) Atomics.wait(nap, 0, 0, 5);
      }
      return job.pov.slice();
    };
  }`)}`;
const code = [[new Uint8Array(32).fill(7), new Uint8Array(5)] as const];
const job = (pov: number[]) => ({ pov: new Uint8Array(pov), view: new Uint8Array([9]), codes: code });

describe("validator pool (worker_threads)", () => {
  let pool: ValidatorPool;
  beforeAll(async () => {
    pool = await createValidatorPool({ size: 3, backers: 2, timeoutMs: 1500, handler });
  });
  afterAll(async () => {
    await pool.close();
  });

  it("backs a PoV when the assigned workers agree, returning their verdict", async () => {
    const b = await pool.validate(job([0, 42]));
    expect(b.backed).toBe(true);
    // verdict = pov ++ view ++ length of the code blob the worker received
    expect([...b.verdict!]).toEqual([0, 42, 9, 5]);
    expect(b.backers).toHaveLength(2);
    expect(new Set(b.backers).size).toBe(2);
  });

  it("does not back a PoV its workers disagree on", async () => {
    const b = await pool.validate(job([3]));
    expect(b.backed).toBe(false);
    expect(b.faults.join()).toContain("disagreed");
  });

  it("does not back a PoV whose workers throw", async () => {
    const b = await pool.validate(job([2]));
    expect(b.backed).toBe(false);
    expect(b.faults.filter((f) => f.includes("boom"))).toHaveLength(3);
  });

  it("replaces a hung worker and backs with the others", async () => {
    const marker = join(mkdtempSync(join(tmpdir(), "cp-pool-")), "hang");
    const before = pool.replaced;
    const b = await pool.validate(job([4, ...new TextEncoder().encode(marker)]));
    expect(b.backed).toBe(true);
    expect(b.faults).toEqual([expect.stringContaining("timeout")]);
    expect(pool.replaced).toBe(before + 1);
    // the replacement works (and got the code blobs again)
    const again = await Promise.all([0, 1, 2].map((i) => pool.validate(job([0, i]))));
    for (const [i, r] of again.entries()) expect([...r.verdict!]).toEqual([0, i, 9, 5]);
  });

  it("gives up (unbacked) when every worker hangs, without stalling past the timeouts", async () => {
    const b = await pool.validate(job([1]));
    expect(b.backed).toBe(false);
    expect(b.faults.filter((f) => f.includes("timeout")).length).toBeGreaterThanOrEqual(2);
    const ok = await pool.validate(job([0, 1]));
    expect(ok.backed).toBe(true);
  });
});

describe("validator pool load balancing", () => {
  it("spreads concurrent validations over the workers", async () => {
    const pool = await createValidatorPool({ size: 2, backers: 1, handler });
    const rs = await Promise.all([0, 1, 2, 3].map((i) => pool.validate(job([0, i]))));
    expect(rs.every((r) => r.backed)).toBe(true);
    expect(new Set(rs.map((r) => r.backers[0]))).toEqual(new Set([0, 1]));
    await pool.close();
  });

  it("gives each job to the first free worker, never queueing it behind a busy one", async () => {
    const pool = await createValidatorPool({ size: 2, backers: 1, handler: gated });
    const gate = join(mkdtempSync(join(tmpdir(), "cp-pool-")), "open");
    // The first job holds worker 0 until the gate opens; the others must all pass through worker 1.
    const held = pool.validate(job([5, ...new TextEncoder().encode(gate)]));
    const rest = await Promise.all([1, 2, 3].map((i) => pool.validate(job([0, i]))));
    expect(rest.map((r) => r.backers)).toEqual([[1], [1], [1]]);
    writeFileSync(gate, "");
    expect(await held).toMatchObject({ backed: true, backers: [0] });
    await pool.close();
  });

  it("backs with two distinct workers per job when jobs outnumber workers", async () => {
    const pool = await createValidatorPool({ size: 2, backers: 2, handler });
    const rs = await Promise.all([0, 1, 2, 3, 4].map((i) => pool.validate(job([0, i]))));
    for (const r of rs) expect(r).toMatchObject({ backed: true, backers: [0, 1], faults: [] });
    expect(rs.map((r) => [...r.verdict!])).toEqual([0, 1, 2, 3, 4].map((i) => [0, i, 9, 5]));
    await pool.close();
  });

  it("does not leave jobs queued behind a hung job waiting forever", async () => {
    const pool = await createValidatorPool({ size: 2, backers: 1, timeoutMs: 1000, handler });
    const rs = await Promise.all(
      [job([1]), job([0, 7]), job([0, 8]), job([0, 9])].map((j) => pool.validate(j)),
    );
    expect(rs[0]!.backed).toBe(false);
    expect(rs.slice(1).every((r) => r.backed)).toBe(true);
    await pool.close();
  });

  it("answers each of many jobs with its own verdict when workers hold several at once", async () => {
    const pool = await createValidatorPool({ size: 2, backers: 1, handler });
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.validate(job([0, i]))));
    expect(rs.map((r) => [...r.verdict!])).toEqual(Array.from({ length: 40 }, (_, i) => [0, i, 9, 5]));
    expect(new Set(rs.map((r) => r.backers[0]))).toEqual(new Set([0, 1]));
    await pool.close();
  });
});

describe("validator pool with one worker", () => {
  it("judges again elsewhere the jobs a hung worker finished but had not answered yet", async () => {
    // One worker holds all four jobs; it answers in batches, so when it hangs on the second, the
    // first is done but unanswered. Only the hung job fails; its replacement judges the others.
    const pool = await createValidatorPool({ size: 1, backers: 1, timeoutMs: 1000, handler });
    const rs = await Promise.all(
      [job([0, 1]), job([1]), job([0, 3]), job([0, 4])].map((j) => pool.validate(j)),
    );
    expect(rs.map((r) => r.backed)).toEqual([true, false, true, true]);
    expect(rs[1]!.faults).toEqual(["worker 0: timeout"]);
    expect(rs.map((r) => (r.verdict ? [...r.verdict] : null))).toEqual([
      [0, 1, 9, 5],
      null,
      [0, 3, 9, 5],
      [0, 4, 9, 5],
    ]);
    expect(pool.replaced).toBe(1);
    await pool.close();
  });

  it("gives the handler exactly the job's bytes, whatever buffers they were views into", async () => {
    // Answers the PoV, the view and the code blob it received, and the code blob's [offset, buffer length].
    const probe = `data:text/javascript,${encodeURIComponent(`
      export function createHandler() {
        return (job) => {
          const code = job.code(new Uint8Array(32).fill(7));
          return Uint8Array.from([...job.pov, 255, ...job.view, 255, ...code, 255, code.byteOffset, code.buffer.byteLength]);
        };
      }`)}`;
    const pool = await createValidatorPool({ size: 1, handler: probe });
    const big = Uint8Array.from({ length: 200 }, (_, i) => i);
    const hash = new Uint8Array(40).fill(7).subarray(4, 36);
    const jobs = [
      {
        pov: big.subarray(10, 15),
        view: big.subarray(100, 103),
        codes: [[hash, big.subarray(50, 57)] as const],
      },
      // A smaller job after a larger one: the shared buffer it gets may be the same, longer one.
      { pov: big.subarray(20, 22), view: big.subarray(30, 31), codes: [] },
    ];
    const first = await pool.validate(jobs[0]!);
    expect([...first.verdict!]).toEqual([
      10, 11, 12, 13, 14, 255, 100, 101, 102, 255, 50, 51, 52, 53, 54, 55, 56, 255, 0, 7,
    ]);
    const second = await pool.validate(jobs[1]!);
    expect([...second.verdict!].slice(0, 5)).toEqual([20, 21, 255, 30, 255]);
    await pool.close();
  });

  it("backs with a single verdict", async () => {
    const pool = await createValidatorPool({ size: 1, handler });
    expect(pool.backers).toBe(1);
    const b = await pool.validate(job([0, 5]));
    expect(b).toMatchObject({ backed: true, backers: [0] });
    await pool.close();
    await expect(pool.validate(job([0]))).rejects.toThrow(/closed/);
  });

  it("starts in a process run with V8 flags, which Node refuses in a worker's execArgv", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const script = `
      import { createValidatorPool } from "./src/node/validator-pool.ts";
      const pool = await createValidatorPool({ size: 1, handler: ${JSON.stringify(handler)} });
      const b = await pool.validate({ pov: Uint8Array.of(0, 6), view: Uint8Array.of(9), codes: [] });
      await pool.close();
      console.log(JSON.stringify([typeof gc, b.backed, [...b.verdict]]));`;
    const out = execFileSync(
      process.execPath,
      ["--expose-gc", "--import", "./bin/register.js", "--input-type=module", "-e", script],
      { cwd: root, encoding: "utf8", timeout: 60_000 },
    );
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual(["function", true, [0, 6, 9, 255]]);
  });

  it("fails with a typed error when the handler cannot load", async () => {
    await expect(
      createValidatorPool({ size: 1, handler: "file:///nonexistent/handler.ts" }),
    ).rejects.toMatchObject({
      code: "VALIDATOR_START_FAILED",
    });
  });
});
