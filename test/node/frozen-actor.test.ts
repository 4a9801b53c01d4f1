/**
 * Issue 13 §0 on a real node (real Wasm, validator workers): the calls that froze an actor for good —
 * `send()` to an actor that does not exist, `store()` without a reservation — now get a receipt and the
 * actor plays on; a PoV the chain refuses (a reservation withdrawn under it) shows its reason in words
 * and is not built again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { type CoreplayNode, createNode } from "../../src/node/node.ts";
import type { NodeEvent } from "../../src/rpc/types.ts";
import { HOST_ERROR } from "../../src/vm/abi.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { deployProgram } from "./programs.ts";

/**
 * `call(input)`: input = recipient (u32 LE) ‖ data; sends data to the recipient and stores it, replies
 * the two statuses (i32 LE each). `main` returns at once.
 */
const forwarderWat = `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (import "coreplay" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "coreplay" "store" (func $store (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "main"))
  (func (export "call") (param $origin i64) (result i32) (local $n i32)
    (local.set $n (call $input (i32.const 1024) (i32.const 4096)))
    (i32.store (i32.const 0)
      (call $send (i32.load (i32.const 1024)) (i32.const 1028) (i32.sub (local.get $n) (i32.const 4))))
    (i32.store (i32.const 4)
      (call $store (i32.const 1028) (i32.sub (local.get $n) (i32.const 4)) (i32.const 64)))
    (call $reply (i32.const 0) (i32.const 8))
    (i32.const 0)))`;

const input = (to: number, data: string) => {
  const b = Buffer.alloc(4 + data.length);
  b.writeUInt32LE(to, 0);
  b.write(data, 4);
  return new Uint8Array(b);
};

describe("an ordinary call never freezes an actor (real node)", () => {
  let node: CoreplayNode;
  const events: NodeEvent[] = [];
  let actor: ActorId;
  beforeAll(async () => {
    node = await createNode({ blockTime: "manual", validators: 1, cores: 2, engine: createWasmEngine() });
    node.subscribe((e) => events.push(e));
    actor = await deployProgram(node, programFromWat(forwarderWat, { name: "fwd" }), 10n ** 18n);
    await node.produceBlock();
  }, 60_000);
  afterAll(async () => {
    await node.stop();
  });

  const statuses = (id: Uint8Array) => {
    const r = node.chain.receipt(id as never);
    expect(r, "receipt").toBeDefined();
    const out = Buffer.from(r!.output);
    // CallOutput Ok(bytes): tag 0, compact length 8 (0x20), then the two i32s
    return [out.readInt32LE(2), out.readInt32LE(6)];
  };

  it("send to actor 9999 and store without a reservation fail in the call, which gets its receipt", async () => {
    const before = node.chain.actor(actor)!.sequence;
    const sent = node.submit({ tag: "Call", value: { actor, input: input(9999, "hello") } });
    await node.produceBlock();
    const { hash } = await sent;
    await node.produceBlock();
    expect(statuses(hash)).toEqual([HOST_ERROR.UnknownActor, HOST_ERROR.Insufficient]);
    expect(node.chain.actor(actor)!.sequence).toBeGreaterThan(before);
    expect(node.chain.actor(actor)!.calls.len).toBe(0);
    expect(events.filter((e) => e.event === "expired")).toEqual([]);
  }, 60_000);

  it("a PoV refused for a reservation withdrawn under it shows why, and the actor plays on", async () => {
    const reserve = node.submit({ tag: "Reserve", value: { actor, bytes: 64n } });
    await node.produceBlock();
    await reserve;
    const call = node.submit({ tag: "Call", value: { actor, input: input(actor, "0123456789") } });
    await node.produceBlock(); // the call is queued; the next block's PoV runs it with 64 bytes free
    const { hash } = await call;
    // the owner withdraws the reservation in the very block that carries that PoV
    const unreserve = node.submit({ tag: "Unreserve", value: { actor, bytes: 64n } });
    const refused = await node.produceBlock();
    await unreserve;
    expect(refused.dropped.map((p) => p.reason)).toEqual([
      expect.stringMatching(/^effects rejected: DISK_OVER_QUOTA/),
    ]);
    for (let i = 0; i < 3 && !node.chain.receipt(hash); i++) await node.produceBlock();
    // played again on the new view: the store now fails in the call instead of sinking the PoV
    expect(statuses(hash)).toEqual([0, HOST_ERROR.Insufficient]);
    expect(node.chain.actor(actor)!.calls.len).toBe(0);
  }, 60_000);
});
