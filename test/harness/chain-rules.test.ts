/**
 * Issue 12 §5: the harness plays by the chain's rules (it runs src/pov/executor.ts). Real Wasm actors
 * (the WAT counter of test/pov/wat.ts).
 */
import { describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { createHarness } from "../../src/harness/index.ts";
import { HOST_ERROR } from "../../src/vm/abi.ts";
import { counterBlob, OP, op } from "../pov/wat.ts";

const u128 = (n: number) => Array.from({ length: 16 }, (_, i) => (i < 4 ? (n >>> (8 * i)) & 0xff : 0));

describe("harness = chain rules", () => {
  it("a caller that fails after a successful callActor undoes the callee's writes and payments", () => {
    const h = createHarness();
    const blob = counterBlob();
    const customer = h.deploy(blob, new Uint8Array(), { balance: 1000n });
    const merchant = h.deploy(blob);
    // merchant.call: customer.transfer(merchant, 300) succeeds, then the merchant traps
    const pay = op(OP.transfer, merchant, u128(300));
    const out = h.call(merchant, op(OP.callThenTrap, customer, pay));
    expect(out).toEqual({ success: false, value: { tag: "Trap", value: undefined } });
    expect([h.balanceOf(customer), h.balanceOf(merchant)]).toEqual([1000n, 0n]);
    // the same payment without the trap goes through
    const ok = h.call(merchant, op(OP.callActor, customer, pay));
    expect(ok.success).toBe(true);
    // the merchant's payout() (its counter: 1) goes to the play's collator, as on the chain
    expect(h.collatorEarnings).toBe(1n);
    expect([h.balanceOf(customer), h.balanceOf(merchant)]).toEqual([700n, 299n]);
  });

  it("the callee's memory is restored too, not only its effects", () => {
    const h = createHarness();
    const blob = counterBlob();
    const a = h.deploy(blob);
    const b = h.deploy(blob);
    const before = h.imageHash(b);
    h.call(a, op(OP.callThenTrap, b, op(OP.inc)));
    expect(h.imageHash(b)).toEqual(before);
  });

  it("send to an actor that does not exist says UnknownActor, as on the chain (issue 13 §0)", () => {
    const h = createHarness();
    const a = h.deploy(counterBlob());
    const out = h.call(a, op(OP.send, 99, [1]));
    expect(out.success && Buffer.from(out.value).readInt32LE(0)).toBe(HOST_ERROR.UnknownActor);
    expect(h.mailbox(99 as ActorId)).toEqual([]);
  });

  it("send into a full pigeonhole says Full from the play's room, and nothing is refused later", () => {
    const h = createHarness({ pigeonholeCapacity: 2 });
    const a = h.deploy(counterBlob());
    const b = h.deploy(counterBlob());
    h.post(a, b, Uint8Array.of(0));
    const code = (o: ReturnType<typeof h.call>) => o.success && Buffer.from(o.value).readInt32LE(0);
    expect(code(h.call(a, op(OP.send, b, [1])))).toBe(0);
    expect(code(h.call(a, op(OP.send, b, [2])))).toBe(HOST_ERROR.Full);
    expect(h.mailbox(b).map((m) => [...m.data])).toEqual([[0], [1]]);
  });
});
