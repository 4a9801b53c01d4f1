/**
 * Issue 13 §3: the PoV has a size bound and the actor memory cap is consistent with it. An actor whose
 * `main` grows its memory as far as it can gets -1 from `memory.grow` at the cap and plays on, in PoVs
 * within `MAX_POV_SIZE`; a larger PoV is refused by validators and never built.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import { MAX_POV_SIZE } from "../../src/pov/limits.ts";
import { validatePov } from "../../src/pov/validate.ts";
import { DEFAULT_MAX_PAGES, PAGE_SIZE } from "../../src/vm/abi.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { setup } from "../pov/fixtures.ts";
import { deployProgram } from "./programs.ts";

/**
 * `main`: grows memory one page at a time until `memory.grow` fails, writing to every new page; stores
 * the page count it reached and whether the last grow returned -1. `call` replies those 8 bytes.
 */
const hungryWat = `(module
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "main") (local $r i32)
    (block $done
      (loop $grow
        (local.set $r (memory.grow (i32.const 1)))
        (br_if $done (i32.eq (local.get $r) (i32.const -1)))
        (i32.store (i32.mul (local.get $r) (i32.const 65536)) (i32.const 7))
        (br $grow)))
    (i32.store (i32.const 0) (memory.size))
    (i32.store (i32.const 4) (local.get $r)))
  (func (export "call") (param $origin i64) (result i32)
    (call $reply (i32.const 0) (i32.const 8))
    (i32.const 0)))`;

describe("bounded PoVs (issue 13 §3)", () => {
  it("the memory cap keeps one actor's pre and post within the PoV bound", () => {
    expect(2 * DEFAULT_MAX_PAGES * PAGE_SIZE).toBeLessThan(MAX_POV_SIZE);
    expect(MAX_POV_SIZE).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(MAX_POV_SIZE).toBeLessThanOrEqual(10 * 1024 * 1024);
  });

  it("validators refuse a PoV above MAX_POV_SIZE before decoding it", () => {
    const fx = setup([{ id: 1 }]);
    const v = validatePov(new Uint8Array(MAX_POV_SIZE + 1), fx.view, fx.codes, fx.engine);
    expect(v).toMatchObject({
      tag: "Invalid",
      value: { tag: "Malformed", value: expect.stringContaining("MAX_POV_SIZE") },
    });
  });

  describe("a memory-hungry actor on a real node", () => {
    let node: CoreplayNode;
    let actor: ActorId;
    beforeAll(async () => {
      node = await createNode({ blockTime: "manual", validators: 1, engine: createWasmEngine() });
      actor = await deployProgram(node, programFromWat(hungryWat, { name: "hungry" }), 10n ** 18n);
    }, 60_000);
    afterAll(async () => {
      await node.stop();
    });

    it("gets -1 from memory.grow at the cap, and its PoVs stay within the bound", async () => {
      const sizes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const b = await node.produceBlock();
        for (const p of [...b.povs, ...b.dropped]) sizes.push(p.size);
        expect(b.dropped).toEqual([]);
      }
      expect(node.chain.actor(actor)!.sequence).toBeGreaterThan(0n);
      const call = node.submit({ tag: "Call", value: { actor, input: new Uint8Array() } });
      await node.produceBlock();
      const { hash } = await call;
      await node.produceBlock();
      const out = Buffer.from(node.chain.receipt(hash)!.output);
      // Ok(8 bytes): memory.size at the cap, and the failed grow's -1
      expect([out.readInt32LE(2), out.readInt32LE(6)]).toEqual([DEFAULT_MAX_PAGES, -1]);
      expect(sizes.length).toBeGreaterThan(0);
      for (const s of sizes) expect(s).toBeLessThanOrEqual(MAX_POV_SIZE);
      expect(Math.max(...sizes)).toBeGreaterThan(DEFAULT_MAX_PAGES * PAGE_SIZE); // pre: the whole grown image
    }, 60_000);
  });
});
