import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildError, buildProgram, checkAbi, unwrapProgram, wrapProgram } from "../../src/build/index.ts";
import { scaffoldActor } from "../../src/build/scaffold.ts";
import { ABI_VERSION, ProgramBlob } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { runAgenda } from "../../src/harness/agenda.ts";
import { createHarness } from "../../src/harness/index.ts";
import { HOST_FUNCTIONS } from "../../src/vm/abi.ts";
import { wasmFromWat } from "../../src/vm/testing.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "coreplay-build-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const OK_ENTRY = `export function main(): void {}\nexport function call(origin: i64): i32 { return 0; }\n`;

async function source(name: string, text: string): Promise<string> {
  const file = path.join(dir, `${name}.ts`);
  await writeFile(file, text);
  return file;
}

async function buildError(entry: string): Promise<BuildError> {
  try {
    await buildProgram(entry);
  } catch (e) {
    expect(e).toBeInstanceOf(BuildError);
    return e as BuildError;
  }
  throw new Error("expected a BuildError");
}

describe("buildProgram", () => {
  it("builds a folder into a program blob whose code hash is blake2b-256 of the blob", async () => {
    const built = await buildProgram("examples/counter");
    expect(built.codeHash).toEqual(blake2b256(built.blob));
    const blob = unwrapProgram(built.blob);
    expect(blob.abiVersion).toBe(ABI_VERSION);
    expect(blob.format.tag).toBe("Wasm");
    // New actors are preemptible by default (issue 18 §3); cooperative is the opt-in below.
    expect(blob.metadata).toMatchObject({ name: "counter", preemptible: true });
    expect(blob.metadata.build).toMatch(/^assemblyscript 0\.28\.\d+ runtime=incremental -O3$/);
    expect(blob.code).toEqual(built.wasm);
    // Only coreplay.* imports, only ABI exports.
    const mod = new WebAssembly.Module(built.wasm as Uint8Array<ArrayBuffer>);
    for (const i of WebAssembly.Module.imports(mod)) {
      expect(i.module).toBe("coreplay");
      expect(Object.keys(HOST_FUNCTIONS)).toContain(i.name);
    }
    expect(
      WebAssembly.Module.exports(mod)
        .map((e) => e.name)
        .sort(),
    ).toEqual(["_initialize", "call", "main", "memory"]);
    // Deterministic: the same source gives the same code hash; the flag changes only the metadata.
    const again = await buildProgram("examples/counter/assembly/index.ts", { preemptible: false });
    expect(again.wasm).toEqual(built.wasm);
    expect(unwrapProgram(again.blob).metadata).toMatchObject({ name: "counter", preemptible: false });
    expect(again.codeHash).not.toEqual(built.codeHash);
  });

  it("a single entry file is named after itself and runs in the harness", async () => {
    const built = await buildProgram(await source("tiny", OK_ENTRY));
    expect(built.metadata.name).toBe("tiny");
    const report = runAgenda(built.blob, [{ service: 1 }, { call: Uint8Array.of(9) }]);
    expect(report.outputs).toEqual(["0x0000"]); // Ok(empty reply)
    expect(report.imageHash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("compile errors become a BuildError listing the diagnostics with locations", async () => {
    const e = await buildError(
      await source("broken", `${OK_ENTRY}export function oops(): i32 { return "no"; }\n`),
    );
    expect(e.code).toBe("BUILD_COMPILE_FAILED");
    expect(
      e.diagnostics.some((d) => d.category === "error" && /broken\.ts:3:\d+$/.test(d.location ?? "")),
    ).toBe(true);
    expect(e.details).toMatch(/AS\d+/);
  });

  it("imports outside coreplay.*, extra exports and missing entry points are refused", async () => {
    const foreign = await buildError(
      await source(
        "foreign",
        `@external("env", "clock") declare function clock(): i64;\nexport function main(): void { clock(); }\nexport function call(o: i64): i32 { return 0; }\n`,
      ),
    );
    expect(foreign.code).toBe("BUILD_FOREIGN_IMPORT");
    expect(foreign.details).toContain("env.clock");
    const extra = await buildError(await source("extra", `${OK_ENTRY}export function helper(): void {}\n`));
    expect(extra.code).toBe("BUILD_EXTRA_EXPORT");
    expect(extra.details).toContain("helper");
    const missing = await buildError(await source("nocall", "export function main(): void {}\n"));
    expect(missing.code).toBe("BUILD_MISSING_EXPORT");
    expect(missing.details).toContain("call");
    expect(() => checkAbi(Uint8Array.of(0, 1, 2), "junk")).toThrow(BuildError);
  });

  it("missing entries are typed errors", async () => {
    expect((await buildError(path.join(dir, "nope.ts"))).code).toBe("BUILD_NO_ENTRY");
    await mkdir(path.join(dir, "empty-project"));
    expect((await buildError(path.join(dir, "empty-project"))).code).toBe("BUILD_NO_ENTRY");
  });

  it("unwrapProgram rejects bad magic, truncation and other ABI versions", () => {
    const wasm = wasmFromWat(
      `(module (memory (export "memory") 1) (func (export "main")) (func (export "call") (param i64) (result i32) (i32.const 0)))`,
    );
    const blob = wrapProgram(wasm, { name: "w", preemptible: false, build: "wat", interface: "" });
    expect(unwrapProgram(blob).code).toEqual(wasm);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as BuildError).code;
      }
      return "no error";
    };
    expect(code(() => unwrapProgram(wasm))).toBe("BUILD_NOT_A_PROGRAM");
    expect(code(() => unwrapProgram(blob.subarray(0, blob.length - 1)))).toBe("BUILD_MALFORMED_PROGRAM");
    const v2 = ProgramBlob.enc({ ...ProgramBlob.dec(blob), abiVersion: 2 });
    expect(code(() => unwrapProgram(v2))).toBe("BUILD_ABI_VERSION");
  });
});

describe("coreplay new (scaffold)", () => {
  it("writes a project that builds and whose actor behaves as its README says", async () => {
    const project = path.join(dir, "my-actor");
    const files = await scaffoldActor("my-actor", project);
    expect(files).toEqual(
      expect.arrayContaining(["assembly/index.ts", "my-actor.test.ts", "README.md", "package.json"]),
    );
    // Nothing in the project names where Coreplay lives: it resolves `coreplay/…` wherever installed.
    for (const f of files) {
      const text = await readFile(path.join(project, f), "utf8");
      expect(text, f).not.toContain(path.resolve("."));
      expect(text, f).not.toMatch(/file:|\.\.\//);
    }
    const built = await buildProgram(project);
    expect(built.interface?.methods.map((m) => m.name)).toEqual(["get", "add"]);
    const h = createHarness();
    const id = h.deploy(built.blob);
    h.service(id, 2);
    const out = h.call(id, Uint8Array.of(1, 5, 0, 0, 0, 0, 0, 0, 0));
    expect(out).toEqual({ success: true, value: Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0) });
    expect(h.logs).toEqual(["my-actor: tick 1", "my-actor: tick 2"]);
    await expect(scaffoldActor("my-actor", project)).rejects.toMatchObject({ code: "NEW_EXISTS" });
    await expect(scaffoldActor("Bad Name", path.join(dir, "x"))).rejects.toMatchObject({
      code: "NEW_INVALID_NAME",
    });
  });
});
