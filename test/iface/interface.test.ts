import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltProgram } from "../../src/build/index.ts";
import { decodeExact, ProgramBlob } from "../../src/codec/types.ts";
import { createHarness, deployActor } from "../../src/harness/index.ts";
import {
  decodeValue,
  encodeCall,
  encodeValue,
  findMethod,
  interfaceFromJson,
  interfaceFromSource,
  makeInterface,
} from "../../src/iface/index.ts";
import { buildFixture } from "../sdk/helpers.ts";

const run = promisify(execFile);
const BIN = path.resolve("bin/coreplay.js");

const ALL = {
  a: 255,
  b: 65535,
  c: 4_000_000_000,
  d: 18_446_744_073_709_551_615n,
  e: 340_282_366_920_938_463_463_374_607_431_768_211_455n,
  f: true,
  g: Uint8Array.of(1, 2, 3),
  h: "héllo",
  i: [1, 2, 3],
  j: { x: -5, y: 7 },
  k: { tag: "Poly", value: [{ x: 1, y: 2 }] },
  l: 42n,
  m: Uint8Array.of(9, 8, 7, 6),
  n: [3, "three"],
  o: 1_000_000n,
  p: -9_000_000_000n,
};

describe("interface declarations", () => {
  it("parse every kind of type, and refuse bad syntax, unknown types and duplicates with a code", () => {
    const i = makeInterface(
      [
        [1, "add(n: u64) -> u64"],
        [0, "get() -> (u64, Vec<Option<u8>>)"],
        [2, "put(k: [u8; 32], s: S)"],
      ],
      ["struct S { a: bool, b: E }", "enum E { A, B(String) }"],
    );
    expect(i.methods.map((m) => [m.id, m.name])).toEqual([
      [0, "get"],
      [1, "add"],
      [2, "put"],
    ]);
    expect(i.methods[0]!.returns).toEqual({ tuple: ["u64", { vec: { option: "u8" } }] });
    expect(i.methods[2]!.args[0]!.type).toEqual({ array: "u8", len: 32 });
    expect(i.types.E).toEqual({ enum: [{ name: "A" }, { name: "B", type: "string" }] });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code: string }).code;
      }
      return "none";
    };
    expect(code(() => makeInterface([[0, "get( -> u64"]], []))).toBe("IFACE_SYNTAX");
    expect(code(() => makeInterface([[0, "get() -> Nope"]], []))).toBe("IFACE_UNKNOWN_TYPE");
    expect(
      code(() =>
        makeInterface(
          [
            [0, "a()"],
            [0, "b()"],
          ],
          [],
        ),
      ),
    ).toBe("IFACE_DUPLICATE");
    expect(
      code(() =>
        makeInterface(
          [
            [0, "a()"],
            [1, "a()"],
          ],
          [],
        ),
      ),
    ).toBe("IFACE_DUPLICATE");
    expect(code(() => interfaceFromSource(`new Methods().on(0x100, f, "f()")`))).toBe("IFACE_SYNTAX");
    expect(interfaceFromSource("new Methods().on(0, get).on(1, put)")).toBeUndefined();
  });

  it("encode and decode values exactly as SCALE, refusing values that do not fit", () => {
    const i = makeInterface([], ["enum E { A, B(u16) }"]);
    const cases: Array<[string | object, unknown, string]> = [
      ["u32", 1, "01000000"],
      ["i16", -2, "feff"],
      ["compact", 64n, "0101"], // two-byte mode
      ["string", "hi", "086869"],
      [{ option: "u8" }, null, "00"],
      [{ vec: "bool" }, [true, false], "080100"],
      ["E", { tag: "B", value: 258 }, "010201"],
      ["E", "A", "00"], // a payload-free variant by name
    ];
    for (const [t, v, hex] of cases) {
      const bytes = encodeValue(i, t as never, v);
      expect(Buffer.from(bytes).toString("hex"), JSON.stringify(t)).toBe(hex);
    }
    expect(decodeValue(i, "E", Uint8Array.of(1, 2, 1))).toEqual({ tag: "B", value: 258 });
    expect(() => encodeValue(i, "u8", 256)).toThrow(/u8 in 0..=255/);
    expect(() => encodeValue(i, "E", "C")).toThrow(/E variant/);
    expect(() => decodeValue(i, "u32", Uint8Array.of(1, 2, 3))).toThrow(/too short/);
    expect(() => decodeValue(i, "u8", Uint8Array.of(1, 2))).toThrow(/trailing/);
  });
});

describe("interface round trip: source → metadata → arguments → output", () => {
  let built: BuiltProgram;
  let dir: string;
  beforeAll(async () => {
    built = await buildFixture("typed");
    dir = await mkdtemp(path.join(tmpdir(), "coreplay-iface-"));
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("coreplay build puts the declared interface in the program metadata", () => {
    const meta = decodeExact(ProgramBlob, built.blob, "blob").metadata;
    const iface = interfaceFromJson(meta.interface)!;
    expect(iface).toEqual(built.interface);
    expect(iface.methods.map((m) => m.name)).toEqual(["echo", "add", "addThenFail", "trap", "spin"]);
    expect(Object.keys(iface.types)).toEqual(["Point", "Shape", "All"]);
  });

  it("every type goes through the actor and back unchanged (harness, by name)", () => {
    const h = createHarness();
    const actor = deployActor(h, built.blob);
    const iface = actor.interface!;
    const args = findMethod(iface, "echo").args.map((a) => ALL[a.name as keyof typeof ALL]);
    expect(actor.value("echo", ...args)).toEqual(ALL);
    expect(encodeCall(iface, findMethod(iface, "add"), [5n])).toEqual(
      Uint8Array.of(1, 5, 0, 0, 0, 0, 0, 0, 0),
    );
  });

  it("a failed call in the harness says why, and its writes are undone", () => {
    const h = createHarness();
    const actor = deployActor(h, built.blob);
    expect(actor.value("add", 2n)).toBe(2n);
    expect(actor.call("addThenFail", 40n)).toMatchObject({
      ok: false,
      error: "Actor",
      message: "failed after writing",
    });
    expect(actor.value("add", 1n)).toBe(3n); // the 40 did not stand
    expect(actor.call("trap")).toMatchObject({ ok: false, error: "Trap" });
    expect(() => actor.value("add", 0n)).toThrow(/add failed: n must be positive/);
  });

  it("coreplay play takes method names and typed arguments and prints decoded results", async () => {
    const file = path.join(dir, "typed.cpl");
    await writeFile(file, built.blob);
    const { stdout } = await run(process.execPath, [
      BIN,
      "play",
      file,
      "--call",
      "add 5",
      "--call",
      "add 0x10",
      "--json",
    ]);
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(report.results).toEqual([
      { ok: true, value: "5", output: "0x0500000000000000" },
      { ok: true, value: "21", output: "0x1500000000000000" },
    ]);
    const failed = await run(process.execPath, [
      BIN,
      "play",
      file,
      "--call",
      "add 0",
      "--call",
      "spin",
      "--json",
    ]).catch((e: { code: number; stdout: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    const r = JSON.parse((failed as { stdout: string }).stdout.trim().split("\n").at(-1)!);
    expect(r.results[0]).toMatchObject({ ok: false, error: "Actor", message: "n must be positive" });
    expect(r.results[1]).toMatchObject({ ok: false, error: "OutOfGas", message: "the call ran out of gas" });
  }, 120_000);
});
