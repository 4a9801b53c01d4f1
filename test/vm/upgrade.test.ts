/**
 * DESIGN §10 in the engine: `Program.upgradeImage` starts the new program fresh (data segments, start
 * function), runs its `upgrade` with input `prev ++ carry`, and leaves `main` pending; every failure of
 * `upgrade` is a value with its reason and gas, never an image.
 */
import { describe, expect, it } from "vitest";
import { actorId, type CodeHash } from "../../src/codec/ids.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { fakeHost } from "./fixtures.ts";

const engine = createWasmEngine();
const PREV = new Uint8Array(32).fill(0xab) as CodeHash;
const G = 10_000_000n;

/** v2: data "v2" at 0; the start function writes 7 at 8; `call` replies bytes [0, 200). */
const v2 = (upgrade: string, imports = "") =>
  programFromWat(`(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (import "coreplay" "self_id" (func $self_id (result i32)))
  (import "coreplay" "yield" (func $yield))
  ${imports}
  (memory (export "memory") 1)
  (data (i32.const 0) "v2")
  (func $start (i32.store8 (i32.const 8) (i32.const 7)))
  (start $start)
  (func (export "main"))
  (func (export "call") (param i64) (result i32) (call $reply (i32.const 0) (i32.const 200)) (i32.const 0))
  ${upgrade})`);

/** Copies its input to 100 and its actor id to 16. */
const COPY = `(func (export "upgrade")
  (drop (call $input (i32.const 100) (i32.const 100)))
  (i32.store (i32.const 16) (call $self_id)))`;

describe("Program.upgradeImage", () => {
  it("without an `upgrade` export the result is the program's initial image", () => {
    const p = engine.load(v2(""));
    const r = p.upgradeImage(actorId(3), PREV, Uint8Array.of(1, 2), G);
    expect(r).toMatchObject({ ok: true, gasUsed: 0n });
    if (!r.ok) return;
    expect(r.image.hash).toEqual(p.createImage(new Uint8Array()).hash);
    expect(r.image.status).toBe("pending");
  });

  it("runs `upgrade` on a fresh instance with prev ++ carry as input; main is pending", () => {
    const p = engine.load(v2(COPY));
    const carry = Uint8Array.of(9, 8, 7);
    const r = p.upgradeImage(actorId(3), PREV, carry, G);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.gasUsed).toBeGreaterThan(0n);
    expect(r.image.status).toBe("pending");
    const a = p.instantiate(actorId(3), p.decodeImage(r.image.encode()), fakeHost(3));
    const out = a.call(null, new Uint8Array(), G).output;
    if (!out.success) throw new Error("call failed");
    const mem = out.value;
    expect([...mem.subarray(0, 2)]).toEqual([0x76, 0x32]); // the data segment "v2"
    expect(mem[8]).toBe(7); // the start function ran
    expect(mem[16]).toBe(3); // self_id
    expect([...mem.subarray(100, 135)]).toEqual([...PREV, ...carry]);
    // deterministic: the same inputs give the same image
    const again = p.upgradeImage(actorId(3), PREV, carry, G);
    expect(again.ok && again.image.hash).toEqual(r.image.hash);
  });

  const FAILING: Array<[string, string, RegExp, string?]> = [
    ["traps", `(func (export "upgrade") unreachable)`, /^Trap: /],
    ["loops forever", `(func (export "upgrade") (loop $l (br $l)))`, /^OutOfGas: /],
    ["yields", `(func (export "upgrade") (call $yield))`, /^Trap: yield in upgrade/],
    [
      "calls an effectful import",
      `(func (export "upgrade") (call $log (i32.const 0) (i32.const 1)))`,
      /^Trap: host function log is not available in upgrade/,
      `(import "coreplay" "log" (func $log (param i32 i32)))`,
    ],
  ];
  for (const [what, wat, reason, imports] of FAILING) {
    it(`an upgrade that ${what} is refused with its reason`, () => {
      const p = engine.load(v2(wat, imports));
      const r = p.upgradeImage(actorId(3), PREV, new Uint8Array(), 1_000_000n);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.reason).toMatch(reason);
      if (what === "loops forever") expect(r.gasUsed).toBe(1_000_000n);
    });
  }

  it("refuses a program whose `upgrade` has another signature at load", () => {
    expect(() => engine.load(v2(`(func (export "upgrade") (param i32))`))).toThrow(
      expect.objectContaining({ code: "BAD_SIGNATURE" }),
    );
  });
});
