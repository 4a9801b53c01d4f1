import { describe, expect, it } from "vitest";
import { actorId, type Hash } from "../../src/codec/ids.ts";
import { type CallOutput, Message } from "../../src/codec/types.ts";
import { CALL_STATUS } from "../../src/vm/abi.ts";
import { HOST_GAS } from "../../src/vm/gas.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { fakeHost } from "./fixtures.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** One program per host function keeps each test's WAT readable. */
function actor(body: string, imports: string, extra = {}) {
  const wat = `(module
    ${imports}
    (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
    (import "coreplay" "reply" (func $reply (param i32 i32)))
    (import "coreplay" "result" (func $result (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "main"))
    (func (export "call") (param i64) (result i32) (local $n i32) (local $r i32)
      (local.set $n (call $input (i32.const 1024) (i32.const 4096)))
      ${body}
      (i32.const 0)))`;
  const p = createWasmEngine().load(programFromWat(wat));
  const host = fakeHost(9, extra);
  return { a: p.instantiate(actorId(9), p.createImage(new Uint8Array()), host), host };
}

const G = 10_000_000n;
const ok = (o: CallOutput) => {
  if (!o.success) throw new Error(`call failed: ${JSON.stringify(o.value)}`);
  return o.value;
};

describe("host functions", () => {
  it("self_id, now and coscheduled", () => {
    const { a } = actor(
      `(i32.store (i32.const 0) (call $self_id)) (i32.store (i32.const 4) (call $now))
       (i32.store (i32.const 8) (call $coscheduled))
       (drop (call $result (i32.const 12) (i32.const 64)))
       (call $reply (i32.const 0) (i32.const 20))`,
      `(import "coreplay" "self_id" (func $self_id (result i32)))
       (import "coreplay" "now" (func $now (result i32)))
       (import "coreplay" "coscheduled" (func $coscheduled (result i32)))`,
    );
    const v = new DataView(ok(a.call(null, new Uint8Array(), G).output).buffer);
    expect([0, 4, 8, 12, 16].map((o) => v.getUint32(o, true))).toEqual([9, 42, 2, 3, 9]);
  });

  it("send passes the bytes; log decodes UTF-8; both charge per byte", () => {
    const { a, host } = actor(
      `(local.set $r (call $send (i32.const 4) (i32.const 1024) (local.get $n)))
       (call $log (i32.const 1024) (local.get $n))
       (i32.store (i32.const 0) (local.get $r)) (call $reply (i32.const 0) (i32.const 4))`,
      `(import "coreplay" "send" (func $send (param i32 i32 i32) (result i32)))
       (import "coreplay" "log" (func $log (param i32 i32)))`,
    );
    const short = a.call(null, new TextEncoder().encode("hé"), G);
    expect(ok(short.output)).toEqual(new Uint8Array(4));
    expect(host.sent[0].to).toBe(4);
    expect(host.sent[0].data).toEqual(new TextEncoder().encode("hé"));
    expect(host.logs).toEqual(["hé"]);
    const long = a.call(null, new Uint8Array(1000).fill(65), G);
    const perByte = BigInt(HOST_GAS.send.perByte + HOST_GAS.log.perByte + HOST_GAS.input.perByte);
    expect(long.gasUsed - short.gasUsed).toBe(perByte * 997n);
  });

  it("store writes the hash; lookup finds the preimage through the result buffer", () => {
    const { a } = actor(
      `(drop (call $store (i32.const 1024) (local.get $n) (i32.const 100)))
       (local.set $r (call $lookup (i32.const 100)))
       (drop (call $result (i32.const 200) (local.get $r)))
       (call $reply (i32.const 200) (local.get $r))`,
      `(import "coreplay" "store" (func $store (param i32 i32 i32) (result i32)))
       (import "coreplay" "lookup" (func $lookup (param i32) (result i32)))`,
    );
    expect(ok(a.call(null, new Uint8Array([5, 6, 7]), G).output)).toEqual(new Uint8Array([5, 6, 7]));
  });

  it("balance and transfer use u128 LE", () => {
    const seen: bigint[] = [];
    const { a } = actor(
      `(call $balance (i32.const 0))
       (i32.store (i32.const 16) (call $transfer (i32.const 3) (i32.const 1024)))
       (call $reply (i32.const 0) (i32.const 20))`,
      `(import "coreplay" "balance" (func $balance (param i32)))
       (import "coreplay" "transfer" (func $transfer (param i32 i32) (result i32)))`,
      {
        transfer: (_to: number, amount: bigint) => {
          seen.push(amount);
          return -5;
        },
      },
    );
    const amount = new Uint8Array(16);
    amount[0] = 0x10;
    amount[15] = 0x01;
    const out = ok(a.call(null, amount, G).output);
    expect(out[0] | (out[1] << 8)).toBe(1000);
    expect(new DataView(out.buffer).getInt32(16, true)).toBe(-5);
    expect(seen).toEqual([(1n << 120n) + 16n]);
  });

  it("call_actor maps the callee's result to a status and charges its gas", () => {
    const outputs: CallOutput[] = [
      { success: true, value: new Uint8Array([7, 7]) },
      { success: false, value: { tag: "Actor", value: new Uint8Array([9]) } },
      { success: false, value: { tag: "Reentry", value: undefined } },
    ];
    let k = 0;
    const { a } = actor(
      `(i32.store (i32.const 0) (call $call_actor (i32.const 3) (i32.const 1024) (local.get $n)))
       (i32.store (i32.const 4) (call $result (i32.const 8) (i32.const 16)))
       (call $reply (i32.const 0) (i32.const 10))`,
      `(import "coreplay" "call_actor" (func $call_actor (param i32 i32 i32) (result i32)))`,
      { callActor: () => ({ output: outputs[k++], gasUsed: 5_000n }) },
    );
    const statuses = [0, 1, 2].map(() => {
      const r = a.call(null, new Uint8Array([1]), G);
      expect(r.gasUsed).toBeGreaterThan(5_000n + BigInt(HOST_GAS.call_actor.base));
      const out = ok(r.output);
      return [out[0], out[4], out[8]];
    });
    expect(statuses).toEqual([
      [CALL_STATUS.Ok, 2, 7],
      [CALL_STATUS.Actor, 1, 9],
      [CALL_STATUS.Reentry, 0, 9], // empty result buffer; byte 8 still holds the previous call's 9
    ]);
  });

  it("recv returns -1 when empty and the SCALE message otherwise", () => {
    const msg = {
      from: { tag: "Actor" as const, value: actorId(2) },
      to: actorId(9),
      data: new Uint8Array([1, 2]),
    };
    let queue = [msg];
    const { a } = actor(
      `(local.set $r (call $recv))
       (i32.store (i32.const 0) (local.get $r))
       (if (i32.gt_s (local.get $r) (i32.const 0)) (then (drop (call $result (i32.const 4) (local.get $r)))))
       (call $reply (i32.const 0) (i32.add (i32.const 4) (select (local.get $r) (i32.const 0) (i32.gt_s (local.get $r) (i32.const 0)))))`,
      `(import "coreplay" "recv" (func $recv (result i32)))`,
      { recv: () => queue.shift() },
    );
    const first = ok(a.call(null, new Uint8Array(), G).output);
    expect(hex(first.subarray(4))).toBe(hex(Message.enc(msg)));
    queue = [];
    expect(new DataView(ok(a.call(null, new Uint8Array(), G).output).buffer).getInt32(0, true)).toBe(-1);
  });

  it("set_code, request and release pass the 32-byte hash; set_code also its carry", () => {
    const hashes: string[] = [];
    const rec = (h: Hash) => {
      hashes.push(hex(h));
      return 0;
    };
    const carries: string[] = [];
    const setCode = (h: Hash, carry: Uint8Array) => {
      carries.push(hex(carry));
      return rec(h);
    };
    const { a } = actor(
      `(drop (call $set_code (i32.const 1024) (i32.const 1026) (i32.const 3))) (drop (call $request (i32.const 1024))) (drop (call $release (i32.const 1024)))`,
      `(import "coreplay" "set_code" (func $set_code (param i32 i32 i32) (result i32)))
       (import "coreplay" "request" (func $request (param i32) (result i32)))
       (import "coreplay" "release" (func $release (param i32) (result i32)))`,
      { setCode, request: rec, release: rec },
    );
    const h = new Uint8Array(32).map((_, i) => i);
    expect(a.call(null, h, G).output.success).toBe(true);
    expect(hashes).toEqual([hex(h), hex(h), hex(h)]);
    expect(carries).toEqual([hex(h.subarray(2, 5))]);
  });

  it("pointers outside memory trap; host gas exhaustion is OutOfGas; both roll back", () => {
    const { a, host } = actor(
      `(i32.store (i32.const 0) (i32.const 1))
       (if (i32.eq (local.get $n) (i32.const 1)) (then (call $reply (i32.const 65530) (i32.const 100))))
       (if (i32.eq (local.get $n) (i32.const 2)) (then (drop (call $input (i32.const -8) (i32.const 8)))))
       (if (i32.eq (local.get $n) (i32.const 3)) (then (call $log (i32.const 0) (i32.const 60000))))`,
      `(import "coreplay" "log" (func $log (param i32 i32)))`,
    );
    const before = a.snapshot();
    expect(a.call(null, new Uint8Array([0]), G).output).toEqual({
      success: false,
      value: { tag: "Trap", value: undefined },
    });
    expect(a.call(null, new Uint8Array([0, 0]), G).output).toEqual({
      success: false,
      value: { tag: "Trap", value: undefined },
    });
    const oog = a.call(null, new Uint8Array([0, 0, 0]), 50_000n);
    expect(oog).toEqual({
      output: { success: false, value: { tag: "OutOfGas", value: undefined } },
      gasUsed: 50_000n,
    });
    expect(host.logs).toEqual([]);
    expect(a.snapshot()).toBe(before);
  });

  it("inspectors may not use effectful host functions", () => {
    const wat = `(module
      (import "coreplay" "self_id" (func $self_id (result i32)))
      (import "coreplay" "send" (func $send (param i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "main")) (func (export "call") (param i64) (result i32) (i32.const 0))
      (func (export "payout") (param i64) (result i64)
        (if (i64.eq (local.get 0) (i64.const 1)) (then (drop (call $send (i32.const 1) (i32.const 0) (i32.const 0)))))
        (i64.extend_i32_u (call $self_id))))`;
    const p = createWasmEngine().load(programFromWat(wat));
    const host = fakeHost(9);
    const a = p.instantiate(actorId(9), p.createImage(new Uint8Array()), host);
    expect(a.payout(0, G)).toBe(9n);
    expect(a.payout(1, G)).toBe(0n);
    expect(host.sent).toEqual([]);
  });
});
