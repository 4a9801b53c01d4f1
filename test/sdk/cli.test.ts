import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const BIN = path.resolve("bin/coreplay.js");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "coreplay-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The JSON line of stdout (Binaryen has been seen printing pass timings there: see the report). */
const json = (stdout: string) =>
  JSON.parse(
    stdout
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .at(-1) ?? "",
  );

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { stdout: x.stdout, stderr: x.stderr, code: x.code };
  }
}

describe("coreplay build / play (the real CLI)", () => {
  it("builds a folder to a .cpl and plays an agenda on it, in order, as JSON", async () => {
    const out = path.join(dir, "c.cpl");
    const built = await cli("build", "examples/counter", "-o", out, "--json");
    expect(built.code).toBe(0);
    const b = json(built.stdout);
    expect(b).toEqual({
      codeHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      size: expect.any(Number),
      output: out,
    });
    const played = await cli(
      "play",
      out,
      "--call",
      "0x01",
      "--service",
      "1",
      "--call",
      "0x01",
      "--call",
      "0x00",
      "--json",
    );
    expect(played.code).toBe(0);
    const p = json(played.stdout);
    expect(Object.keys(p).sort()).toEqual(["gasUsed", "imageHash", "logs", "outputs", "results"]);
    expect(p.outputs).toEqual(["0x00200100000000000000", "0x00200200000000000000", "0x00200200000000000000"]);
    expect(p.logs).toEqual(["count = 1", "count = 2"]);
    expect(p.gasUsed).toBeGreaterThan(0);
    expect(p.imageHash).toMatch(/^0x[0-9a-f]{64}$/);
  }, 300_000);

  it("fails with a typed error and a non-zero exit code on bad input", async () => {
    const missing = await cli("build", path.join(dir, "nothing-here"), "--json");
    expect(missing.code).not.toBe(0);
    expect(json(missing.stdout).error.code).toBe("BUILD_NO_ENTRY");
    const notBlob = await cli("play", BIN, "--json");
    expect(notBlob.code).not.toBe(0);
    expect(json(notBlob.stdout).error.code).toBe("BUILD_NOT_A_PROGRAM");
  }, 300_000);
});
