/**
 * `set_code(hash, carry)` in the executor (DESIGN §10): one change per actor per play (its last wins),
 * the carry bounded by MAX_CARRY, rolled back with a failing entry. Real Wasm.
 */
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { executePlay, type PlayItem } from "../../src/pov/executor.ts";
import { MAX_CARRY } from "../../src/pov/limits.ts";
import { HOST_ERROR } from "../../src/vm/abi.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

const engine = createWasmEngine();
/** call input: [tag, fail, carryLen u32 LE]; set_code(hash = 32 × tag, carry = carryLen bytes of 5s). */
const program = engine.load(
  programFromWat(`(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (import "coreplay" "set_code" (func $set_code (param i32 i32 i32) (result i32)))
  (memory (export "memory") 3)
  (func (export "main"))
  (func (export "call") (param i64) (result i32)
    (drop (call $input (i32.const 0) (i32.const 6)))
    (memory.fill (i32.const 64) (i32.load8_u (i32.const 0)) (i32.const 32))
    (memory.fill (i32.const 128) (i32.const 5) (i32.load (i32.const 2)))
    (i32.store (i32.const 8) (call $set_code (i32.const 64) (i32.const 128) (i32.load (i32.const 2))))
    (call $reply (i32.const 8) (i32.const 4))
    (i32.load8_u (i32.const 1))))`),
);

const call = (tag: number, len: number, fail = 0): PlayItem => {
  const input = new Uint8Array(6);
  input[0] = tag;
  input[1] = fail;
  new DataView(input.buffer).setUint32(2, len, true);
  return { actor: actorId(1), entry: { tag: "Call", value: { input } } };
};

function play(agenda: PlayItem[]) {
  const r = executePlay({
    now: 1,
    coreGas: 1_000_000_000n,
    callGas: 100_000_000n,
    actors: [
      { actor: actorId(1), sequence: 1n, program, pre: program.createImage(new Uint8Array()), balance: 0n },
    ],
    agenda,
    nextActor: 2,
    room: [],
    witness: { relayParent: new Uint8Array(32), now: 1, coreGas: 0n, messages: [], preimages: [] } as never,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}
const code = (out: Uint8Array | undefined) => new DataView((out as Uint8Array).buffer).getInt32(2, true);

describe("set_code in a play", () => {
  it("records hash and carry; the actor's last set_code wins; a failing entry's is rolled back", () => {
    const fx = play([call(1, 3), call(2, 0), call(3, 7, 1)]).effects;
    expect(fx.codeChanges).toEqual([
      { actor: 1, codeHash: new Uint8Array(32).fill(2), carry: new Uint8Array() },
    ]);
    const one = play([call(1, 3)]).effects;
    expect(one.codeChanges).toEqual([
      { actor: 1, codeHash: new Uint8Array(32).fill(1), carry: new Uint8Array(3).fill(5) },
    ]);
    expect(play([call(4, 1, 1)]).effects.codeChanges).toEqual([]);
  });

  it("a carry above MAX_CARRY is refused with TooLarge and recorded nowhere", () => {
    const r = play([call(1, MAX_CARRY), call(2, MAX_CARRY + 1)]);
    expect(code(r.outputs[0])).toBe(0);
    expect(code(r.outputs[1])).toBe(HOST_ERROR.TooLarge);
    expect(r.effects.codeChanges.map((c) => [c.codeHash[0], c.carry.byteLength])).toEqual([[1, MAX_CARRY]]);
  });
});
