import { beforeAll, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { Bytes, bool, compact, Struct, u32, u64, u128, Vector } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { createHarness, HarnessError } from "../../src/harness/index.ts";
import { HOST_ERROR } from "../../src/vm/abi.ts";
import { buildFixture, cat, okBytes } from "./helpers.ts";

let blob: Uint8Array;
beforeAll(async () => {
  blob = (await buildFixture("host")).blob;
});

const i32 = (b: Uint8Array, at = 0) => Buffer.from(b).readInt32LE(at);
const vec = (b: Uint8Array) => cat(compact.enc(b.byteLength), b);

function two() {
  const h = createHarness({ now: 7 });
  const a = h.deploy(blob, new Uint8Array(), { balance: 1_000n });
  const b = h.deploy(blob);
  return { h, a, b };
}

describe("SDK host bindings through the harness HostEnv", () => {
  it("self_id, now, coscheduled, gas_left", () => {
    const { h, a, b } = two();
    const Env = Struct({ self: u32, now: u32, ids: Vector(u32), gas: bool });
    expect(Env.dec(okBytes(h.call(a, Uint8Array.of(0))))).toEqual({
      self: a,
      now: 7,
      ids: [a, b],
      gas: true,
    });
    h.advance(3);
    h.coschedule([b]);
    expect(Env.dec(okBytes(h.call(b, Uint8Array.of(0))))).toMatchObject({ self: b, now: 10, ids: [b] });
  });

  it("store / lookup / release / request by the chain's rules: a lookup sees what was requested in an earlier play", () => {
    const { h, a, b } = two();
    const data = new TextEncoder().encode("hello disk");
    const hash = okBytes(h.call(a, cat(Uint8Array.of(1), vec(data))));
    expect(hash).toEqual(blake2b256(data));
    // stored by a, but b never asked for it: not in b's witness
    expect(okBytes(h.call(b, cat(Uint8Array.of(2), hash)))).toEqual(Uint8Array.of(0));
    okBytes(h.call(b, cat(Uint8Array.of(1), vec(data)))); // b references it too
    // method 3 releases b's reference and requests the preimage: the next play's witness has it
    expect([...okBytes(h.call(b, cat(Uint8Array.of(3), hash)))]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(h.requests(b)).toEqual([hash]);
    expect(okBytes(h.call(b, cat(Uint8Array.of(2), hash)))).toEqual(cat(Uint8Array.of(1), vec(data)));
    expect(h.requests(b)).toEqual([]); // served
    // b holds no reference any more: as on the chain, releasing it does nothing, and the play (its
    // request included) applies (issue 13 §0: a refusal would freeze the actor)
    expect([...okBytes(h.call(b, cat(Uint8Array.of(3), hash)))]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(h.requests(b)).toEqual([hash]);
    expect(h.preimage(hash as never)).toEqual(data);
    expect(i32(okBytes(h.call(a, cat(Uint8Array.of(3), hash))))).toBe(0);
    expect(h.preimage(hash as never)).toBeUndefined();
    expect(okBytes(h.call(a, cat(Uint8Array.of(2), hash)))).toEqual(Uint8Array.of(0));
  });

  it("balance and transfer: Insufficient at once, an unknown recipient refused by the host (UnknownActor)", () => {
    const { h, a, b } = two();
    const T = Struct({ code: u32, after: u128 });
    const t = (to: number, amount: bigint) =>
      T.dec(okBytes(h.call(a, cat(Uint8Array.of(4), u32.enc(to), u128.enc(amount)))));
    expect(t(b, 300n)).toEqual({ code: 0, after: 700n });
    expect(h.balanceOf(b)).toBe(300n);
    expect(t(b, 701n).code | 0).toBe(HOST_ERROR.Insufficient);
    // ids at or past the next actor id exist nowhere: `transfer` says so from the relay view (issue 13 §0)
    expect(t(99, 1n).code | 0).toBe(HOST_ERROR.UnknownActor);
    expect(h.balanceOf(a)).toBe(700n);
  });

  it("postcards are delivered after the sending item, and a failing call sends nothing", () => {
    const { h, a, b } = two();
    const send = (to: number, text: string, fail: boolean) =>
      h.call(a, cat(Uint8Array.of(5), u32.enc(to), vec(new TextEncoder().encode(text)), bool.enc(fail)));
    expect(i32(okBytes(send(b, "one", false)))).toBe(0);
    expect(send(b, "lost", true).success).toBe(false);
    expect(i32(okBytes(send(99, "nobody", false)))).toBe(HOST_ERROR.UnknownActor);
    expect(h.mailbox(b)).toHaveLength(1);
    const Drained = Vector(Struct({ from: u64, data: Bytes() }));
    const got = Drained.dec(okBytes(h.call(b, Uint8Array.of(6))));
    expect(got.map((m) => [m.from, new TextDecoder().decode(m.data)])).toEqual([[BigInt(a), "one"]]);
    expect(h.mailbox(b)).toHaveLength(0);
  });

  it("set_code restarts the actor after its play; to unknown code it is refused; yield inside call fails with YieldInCall", () => {
    const { h, a } = two();
    const known = blake2b256(blob);
    okBytes(h.call(a, cat(Uint8Array.of(1), vec(Uint8Array.of(1))))); // a image change to lose
    const before = h.imageHash(a);
    expect(i32(okBytes(h.call(a, cat(Uint8Array.of(7), known))))).toBe(0);
    expect(h.upgrades.at(-1)).toMatchObject({
      actor: a,
      from: known,
      to: known,
      outcome: { tag: "Upgraded" },
    });
    expect(h.imageHash(a)).not.toEqual(before);
    expect(h.status(a)).toBe("pending");
    const after = h.imageHash(a);
    expect(i32(okBytes(h.call(a, cat(Uint8Array.of(7), new Uint8Array(32)))))).toBe(0);
    expect(h.upgrades.at(-1)?.outcome).toEqual({
      tag: "Refused",
      value: "UNKNOWN_CODE: no program with this code hash was uploaded",
    });
    expect(h.codeHash(a)).toEqual(known);
    expect(h.call(a, Uint8Array.of(8))).toEqual({
      success: false,
      value: { tag: "YieldInCall", value: undefined },
    });
    expect(h.imageHash(a)).not.toEqual(after); // the refused upgrade's play still applied
  });

  it("a nested call that fails rolls back the callee's effects only", () => {
    const { h, a, b } = two();
    // a → b.send(a, "x", fail=true): b fails, so its postcard is dropped; a's call still succeeds.
    const inner = cat(Uint8Array.of(5), u32.enc(a), vec(Uint8Array.of(120)), bool.enc(true));
    const out = okBytes(h.call(a, cat(Uint8Array.of(9), u32.enc(b), vec(inner))));
    expect(out[0]).toBe(1); // CALL_STATUS.Actor
    expect(new TextDecoder().decode(out.subarray(2))).toBe("failing after send");
    expect(h.mailbox(a)).toHaveLength(0);
  });

  it("checkpoint yields only below its threshold", () => {
    const { h, a } = two();
    const statuses = h.service(a, 10).map((o) => o.status);
    expect(statuses).toEqual(["yielded", "yielded", "yielded", "returned"]);
    expect(h.logs).toContain("checkpoint yields 3");
  });

  it("the harness rejects unknown actors and non-programs with typed errors", () => {
    const { h } = two();
    expect(() => h.call(42 as ActorId, Uint8Array.of(0))).toThrow(HarnessError);
    try {
      h.deploy(Uint8Array.of(1, 2, 3));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HarnessError);
      expect((e as HarnessError).code).toBe("HARNESS_BAD_PROGRAM");
    }
  });
});
