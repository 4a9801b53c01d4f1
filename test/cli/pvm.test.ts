/** `coreplay pvm run` and `coreplay build foo.pvmasm` as real processes: JSON lines, summary, exit codes. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const VECTORS = "test/vm/pvm/vectors/programs";
const dir = mkdtempSync(join(tmpdir(), "pvm-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ lines: Record<string, unknown>[]; code: number }> {
  const parse = (out: string) =>
    out
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  try {
    const { stdout } = await run(process.execPath, ["bin/coreplay.js", ...args, "--json"]);
    return { lines: parse(stdout), code: 0 };
  } catch (e) {
    const r = e as { stdout: string; code: number };
    return { lines: parse(r.stdout), code: r.code };
  }
}

describe("cli: coreplay pvm run", () => {
  it("all vectors: one line each and a summary; the known-wrong-gas ones skipped, exit 0", async () => {
    const { lines, code } = await cli("pvm", "run", VECTORS);
    expect(code).toBe(0);
    expect(lines).toHaveLength(312);
    expect(lines[311]).toEqual({
      summary: { total: 311, passed: 298, skipped: 13, failed: 0, failures: [] },
    });
    expect(lines.find((l) => l.name === "inst_add_32")).toEqual({
      name: "inst_add_32",
      pass: true,
      status: "panic",
      pc: 3,
      gas: "9998",
      regs: ["0", "0", "0", "0", "0", "0", "0", "1", "2", "3", "0", "0", "0"],
    });
    expect(lines.find((l) => l.name === "inst_load_u8_nok")).toMatchObject({
      status: "page-fault",
      pageFaultAddress: 131072,
      skipped: "known-wrong-gas",
    });
  }, 60_000);

  it("a vector whose expectation is not met fails with exit code 1", async () => {
    const v = JSON.parse(readFileSync(join(VECTORS, "inst_add_64.json"), "utf8"));
    v["expected-regs"][9] = 4;
    const f = join(dir, "tampered.json");
    writeFileSync(f, JSON.stringify(v));
    const { lines, code } = await cli("pvm", "run", f, "--fast");
    expect(code).toBe(1);
    expect(lines[0]).toMatchObject({ name: "inst_add_64", pass: false, mismatches: ["r9 3, expected 4"] });
    expect(lines[1]).toMatchObject({ summary: { failed: 1, failures: ["inst_add_64"] } });
  }, 30_000);

  it("a file that is not a vector is an error saying what to do", async () => {
    const f = join(dir, "not.json");
    writeFileSync(f, "{}");
    const { lines, code } = await cli("pvm", "run", f);
    expect(code).toBe(1);
    expect(lines[0]).toMatchObject({
      error: { code: "CLI_BAD_VECTOR", hint: expect.stringContaining("schema.json") },
    });
  }, 30_000);
});

describe("cli: coreplay build foo.pvmasm", () => {
  it("writes a RISC-V program blob; a syntax error names its line", async () => {
    const out = join(dir, "c.cpl");
    const ok = await cli("build", "examples/pvm-counter/counter.pvmasm", "-o", out);
    expect(ok.code).toBe(0);
    expect(ok.lines[0]).toMatchObject({ output: out, codeHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(readFileSync(out)[6]).toBe(1); // format Riscv
    const bad = join(dir, "bad.pvmasm");
    writeFileSync(bad, ".entry main\nmain:\n  add_64 a0\n");
    const r = await cli("build", bad, "-o", join(dir, "bad.cpl"));
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatchObject({ error: { details: expect.stringContaining("line 3") } });
  }, 60_000);
});
