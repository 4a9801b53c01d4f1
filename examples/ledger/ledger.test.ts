import { beforeAll, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import { type CallOutput, u32, u128 } from "../../src/codec/types.ts";
import { createHarness, type Harness } from "../../src/harness/index.ts";
import { buildExample } from "../build-example.ts";

let blob: Uint8Array;
beforeAll(async () => {
  blob = (await buildExample("ledger")).blob;
});

const key = (n: number) => new Uint8Array(32).fill(n);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const ledgerArgs = (branch: number, capacity: number, base: bigint) =>
  cat(u32.enc(branch), u32.enc(capacity), u128.enc(base));

const balanceOf = (k: Uint8Array) => cat(Uint8Array.of(0x00), k);
const mint = (k: Uint8Array, amount: bigint) => cat(Uint8Array.of(0x01), k, u128.enc(amount));
const transfer = (from: Uint8Array, toBranch: number, to: Uint8Array, amount: bigint) =>
  cat(Uint8Array.of(0x02), from, u32.enc(toBranch), to, u128.enc(amount));
const setPeer = (branch: number, actor: number) => cat(Uint8Array.of(0x04), u32.enc(branch), u32.enc(actor));

function ok(out: CallOutput): Uint8Array {
  if (!out.success) {
    const e = out.value;
    throw new Error(e.tag === "Actor" ? new TextDecoder().decode(e.value) : e.tag);
  }
  return out.value;
}
const errText = (out: CallOutput) =>
  !out.success && out.value.tag === "Actor"
    ? new TextDecoder().decode(out.value.value)
    : `not an actor error`;

function info(h: Harness, id: ActorId) {
  const v = ok(h.call(id, Uint8Array.of(0x03)));
  const b = Buffer.from(v);
  const u = (at: number) => u128.dec(v.slice(at, at + 16)); // scale-ts ignores byteOffset
  return {
    branch: b.readUInt32LE(0),
    accounts: b.readUInt32LE(4),
    capacity: b.readUInt32LE(8),
    ed: u(12),
    held: u(28),
    minted: u(44),
    sentOut: u(60),
    receivedIn: u(76),
  };
}
const bal = (h: Harness, id: ActorId, k: Uint8Array) => u128.dec(ok(h.call(id, balanceOf(k))));

/** Two branches of one asset, peers of each other, each started by one Service. */
function twoBranches(capacity = 100, base = 10n) {
  const h = createHarness();
  const b0 = h.deploy(blob, ledgerArgs(0, capacity, base));
  const b1 = h.deploy(blob, ledgerArgs(1, capacity, base));
  h.service(b0);
  h.service(b1);
  ok(h.call(b0, setPeer(1, b1)));
  ok(h.call(b1, setPeer(0, b0)));
  return { h, b0, b1 };
}

const inFlight = (h: Harness, ...ids: ActorId[]) => ids.reduce((n, id) => n + h.mailbox(id).length, 0);

describe("ledger (branch actors)", () => {
  it("moves funds within and across branches with total supply conserved", () => {
    const { h, b0, b1 } = twoBranches();
    const [alice, bob, carol, dave] = [key(1), key(2), key(3), key(4)];
    ok(h.call(b0, mint(alice, 1_000n)));
    ok(h.call(b1, mint(carol, 500n)));
    const supply = 1_500n;
    const audit = () => {
      const i0 = info(h, b0);
      const i1 = info(h, b1);
      // Per branch: held = minted + received − sent; across branches: held + in flight = minted.
      for (const i of [i0, i1]) expect(i.held).toBe(i.minted + i.receivedIn - i.sentOut);
      const flying = i0.sentOut + i1.sentOut - i0.receivedIn - i1.receivedIn;
      expect(i0.held + i1.held + flying).toBe(supply);
      return { i0, i1, flying };
    };

    // Same branch: synchronous.
    expect(ok(h.call(b0, transfer(alice, 0, bob, 300n)))).toEqual(Uint8Array.of(0));
    expect([bal(h, b0, alice), bal(h, b0, bob)]).toEqual([700n, 300n]);
    audit();

    // Across branches: debited now, credited when branch 1 reads the postcard in main.
    expect(ok(h.call(b0, transfer(bob, 1, dave, 120n)))).toEqual(Uint8Array.of(1));
    expect(ok(h.call(b1, transfer(carol, 0, alice, 50n)))).toEqual(Uint8Array.of(1));
    expect(bal(h, b0, bob)).toBe(180n);
    expect(bal(h, b1, dave)).toBe(0n);
    expect(inFlight(h, b0, b1)).toBe(2);
    expect(audit().flying).toBe(170n);

    h.service(b0);
    h.service(b1);
    expect(inFlight(h, b0, b1)).toBe(0);
    expect(bal(h, b1, dave)).toBe(120n);
    expect(bal(h, b0, alice)).toBe(750n);
    expect(bal(h, b1, carol)).toBe(450n);
    const { i0, i1, flying } = audit();
    expect(flying).toBe(0n);
    expect(i0.held + i1.held).toBe(supply);
    expect([i0.accounts, i1.accounts]).toEqual([2, 2]);
  });

  it("refunds a cross-branch credit too small to open an account there", () => {
    const { h, b0, b1 } = twoBranches(100, 10n);
    ok(h.call(b0, mint(key(1), 100n)));
    expect(ok(h.call(b0, transfer(key(1), 1, key(9), 5n)))).toEqual(Uint8Array.of(1));
    h.service(b1); // below the deposit of 10: bounced
    expect(bal(h, b1, key(9))).toBe(0n);
    expect(h.mailbox(b0)).toHaveLength(1);
    h.service(b0);
    expect(bal(h, b0, key(1))).toBe(100n);
    const [i0, i1] = [info(h, b0), info(h, b1)];
    expect(i0.held + i1.held).toBe(100n);
    expect(h.logs).toContain("ledger: refunded a credit below the existential deposit");
  });

  it("the existential deposit grows as the branch fills, and a full branch opens no account", () => {
    const { h, b0 } = twoBranches(3, 10n);
    expect(info(h, b0).ed).toBe(10n);
    ok(h.call(b0, mint(key(1), 1_000n)));
    expect(info(h, b0).ed).toBe(40n); // 10 × (1 + 9·1/3)
    expect(errText(h.call(b0, transfer(key(1), 0, key(2), 39n)))).toMatch(/existential deposit/);
    ok(h.call(b0, transfer(key(1), 0, key(2), 40n)));
    expect(info(h, b0).ed).toBe(70n);
    ok(h.call(b0, transfer(key(1), 0, key(3), 70n)));
    expect(info(h, b0)).toMatchObject({ accounts: 3, ed: 100n });
    expect(errText(h.call(b0, transfer(key(1), 0, key(4), 100n)))).toMatch(/branch is full/);
    // Emptying an account reaps it, which lowers the deposit again.
    ok(h.call(b0, transfer(key(3), 0, key(1), 70n)));
    expect(info(h, b0)).toMatchObject({ accounts: 2, ed: 70n });
  });

  it("rejects bad transfers with typed actor errors and no state change", () => {
    const { h, b0 } = twoBranches();
    ok(h.call(b0, mint(key(1), 100n)));
    const hash = h.imageHash(b0);
    expect(errText(h.call(b0, transfer(key(1), 0, key(2), 101n)))).toBe("insufficient balance");
    expect(errText(h.call(b0, transfer(key(1), 0, key(2), 95n)))).toMatch(/below the existential deposit/);
    expect(errText(h.call(b0, transfer(key(1), 7, key(2), 50n)))).toBe("unknown branch 7");
    expect(errText(h.call(b0, transfer(key(1), 0, key(1), 50n)))).toMatch(/same account/);
    expect(errText(h.call(b0, transfer(key(1), 0, key(2), 0n)))).toMatch(/positive/);
    // A truncated call traps.
    expect(h.call(b0, transfer(key(1), 0, key(2), 50n).subarray(0, 40))).toEqual({
      success: false,
      value: { tag: "Trap", value: undefined },
    });
    // Failed calls leave the image exactly as it was, and send nothing.
    expect(h.imageHash(b0)).toEqual(hash);
    expect(h.mailbox(h.coscheduled()[1] as ActorId)).toHaveLength(0);
    expect(bal(h, b0, key(1))).toBe(100n);
  });

  it("refuses calls before main has read its args, and ignores postcards from strangers", () => {
    const h = createHarness();
    const b0 = h.deploy(blob, ledgerArgs(0, 10, 1n));
    expect(errText(h.call(b0, mint(key(1), 5n)))).toMatch(/not initialised/);
    h.service(b0);
    h.post(99 as ActorId, b0, new Uint8Array(85));
    h.post(99 as ActorId, b0, Uint8Array.of(1, 2, 3));
    h.service(b0);
    expect(h.status(b0)).toBe("suspended");
    expect(h.logs.filter((l) => l.startsWith("ledger: ignored"))).toHaveLength(2);
    expect(info(h, b0).held).toBe(0n);
  });
});
