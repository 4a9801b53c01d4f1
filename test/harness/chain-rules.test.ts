/**
 * Issue 12 §5: the harness plays by the chain's rules (it runs src/pov/executor.ts). Real Wasm actors
 * (the WAT counter of test/pov/wat.ts).
 */
import { describe, expect, it } from "vitest";
import { createHarness } from "../../src/harness/index.ts";
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

  it("send to an actor that does not exist is refused at canonicalisation, as on the chain", () => {
    const h = createHarness();
    const a = h.deploy(counterBlob());
    const before = h.imageHash(a);
    expect(() => h.call(a, op(OP.send, 99, [1]))).toThrow(/UNKNOWN_ACTOR: send: actor 99/);
    expect(h.imageHash(a)).toEqual(before);
  });
});
