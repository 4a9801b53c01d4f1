import { describe, expect, it } from "vitest";
import { chainConfig, signTx, type TxCall, txHash } from "../../src/chain/index.ts";
import { toHex } from "../../src/codec/bytes.ts";
import type { AccountId, ActorId } from "../../src/codec/ids.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { createTxPool, type TxOutcome } from "../../src/node/txpool.ts";

const config = chainConfig({});
const alice = devKeypair(3);
const bob = devKeypair(4);
const call = (i: number): TxCall => ({
  tag: "Call",
  value: { actor: 0 as ActorId, input: Uint8Array.of(i) },
});
const tx = (k = alice, nonce = 0n, i = 0) => signTx(k, { nonce, call: call(i) }, config);

/** A pool whose verifier answers from `bad` (hashes refused) and counts its batches. */
function pool(
  opts: { nonces?: Map<string, bigint>; bad?: Set<string>; fail?: boolean; batch?: number } = {},
) {
  const batches: number[] = [];
  const nonceOf = (a: AccountId) => opts.nonces?.get(toHex(a)) ?? 0n;
  const p = createTxPool({
    verify: async (txs, hashes) => {
      batches.push(txs.length);
      if (opts.fail) throw new Error("worker gone");
      return hashes.map((h) => !opts.bad?.has(toHex(h)));
    },
    nonceOf,
    batch: opts.batch,
  });
  const outcomes = new Map<string, TxOutcome>();
  const add = (bytes: Uint8Array) => {
    const h = toHex(txHash(bytes));
    return p.addSigned(bytes, (r) => outcomes.set(h, r));
  };
  return { p, add, batches, outcomes, nonceOf };
}

describe("tx pool: client-signed transactions", () => {
  it("refuses malformed bytes and stale nonces at admission, with typed errors", () => {
    const { p, add } = pool({ nonces: new Map([[toHex(alice.publicKey), 2n]]) });
    expect(add(Uint8Array.of(1, 2, 3))?.code).toBe("TX_MALFORMED");
    const good = tx(alice, 2n);
    const cut = good.slice(0, good.length - 1);
    expect(add(cut)?.code).toBe("TX_MALFORMED");
    expect(add(tx(alice, 1n))?.code).toBe("TX_STALE_NONCE");
    expect(add(good)).toBeUndefined();
    expect(p.size).toBe(1);
  });

  it("reads a signer's chain nonce again once the chain moved", () => {
    const nonces = new Map([[toHex(alice.publicKey), 0n]]);
    const { p, add } = pool({ nonces });
    expect(add(tx(alice, 0n))).toBeUndefined();
    nonces.set(toHex(alice.publicKey), 3n); // a block applied 0, 1 and 2
    p.chainMoved();
    expect(add(tx(alice, 2n))?.code).toBe("TX_STALE_NONCE");
    expect(add(tx(alice, 3n))).toBeUndefined();
  });

  it("refuses a second transaction for a pending nonce, and the same one twice", () => {
    const { add } = pool();
    const a = tx(alice, 0n, 1);
    expect(add(a)).toBeUndefined();
    expect(add(a)).toMatchObject({ code: "TX_STALE_NONCE", shortMessage: "Transaction already pending" });
    expect(add(tx(alice, 0n, 2))).toMatchObject({ shortMessage: "Nonce already pending" });
    expect(add(tx(bob, 0n, 1))).toBeUndefined();
  });

  it("verifies in one batch per event-loop turn (or per full batch); takes nothing unverified", async () => {
    const { p, add, batches } = pool({ batch: 4 });
    for (let i = 0; i < 6; i++) expect(add(tx(alice, BigInt(i)))).toBeUndefined();
    expect(batches).toEqual([4]); // full: sent at once
    expect(p.take(100, () => 0n)).toEqual([]); // nothing verified yet
    await new Promise((ok) => setImmediate(ok));
    expect(batches).toEqual([4, 2]);
    await p.verified();
    expect(p.take(100, () => 0n).map((t) => t.nonce)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(p.size).toBe(0);
  });

  it("refuses a bad signature once its batch returns, and trusts nothing when the verifier fails", async () => {
    const bad = tx(alice, 0n);
    const { p, add, outcomes } = pool({ bad: new Set([toHex(txHash(bad))]) });
    add(bad);
    add(tx(bob, 0n));
    await p.verified();
    expect(outcomes.get(toHex(txHash(bad)))).toMatchObject({
      ok: false,
      error: { code: "TX_BAD_SIGNATURE" },
    });
    expect(p.take(100, () => 0n).map((t) => t.signer)).toEqual([bob.publicKey]);

    const broken = pool({ fail: true });
    const t = tx(alice, 0n);
    broken.add(t);
    await broken.p.verified();
    expect(broken.outcomes.get(toHex(txHash(t)))).toMatchObject({
      ok: false,
      error: { code: "TX_BAD_SIGNATURE" },
    });
    expect(broken.p.size).toBe(0);
  });

  it("takes a signer's transactions in nonce order; a future nonce waits; a stale one is refused", async () => {
    const nonces = new Map<string, bigint>();
    const { p, add, outcomes } = pool({ nonces });
    const [a0, a1, a2, a4] = [0n, 1n, 2n, 4n].map((n) => tx(alice, n));
    const b0 = tx(bob, 0n);
    for (const b of [a2, a1, b0, a4, a0]) expect(add(b)).toBeUndefined();
    await p.verified();
    const first = p.take(100, (a) => nonces.get(toHex(a)) ?? 0n);
    expect(first.map((t) => `${toHex(t.signer) === toHex(alice.publicKey) ? "a" : "b"}${t.nonce}`)).toEqual([
      "b0",
      "a0",
      "a1",
      "a2",
    ]);
    expect(p.size).toBe(1); // a4 waits for a3
    expect(p.ready).toBe(false); // nothing new for a block
    // the chain moved on past 4 (say, the same key used elsewhere): a4 is stale at the next take
    nonces.set(toHex(alice.publicKey), 5n);
    expect(p.take(100, (a) => nonces.get(toHex(a)) ?? 0n)).toEqual([]);
    expect(outcomes.get(toHex(txHash(a4)))).toMatchObject({ ok: false, error: { code: "TX_STALE_NONCE" } });
    expect(p.size).toBe(0);
  });

  it("interleaves dev intents, which take their signer's next nonce, and respects the block's maximum", async () => {
    const { p, add } = pool();
    p.add({ signer: alice, call: call(9), done: () => {} });
    add(tx(alice, 1n));
    add(tx(alice, 2n));
    p.add({ signer: alice, call: call(8), done: () => {} });
    await p.verified();
    const got = p.take(3, () => 0n);
    expect(got.map((t) => [t.item.kind, t.nonce])).toEqual([
      ["dev", 0n],
      ["signed", 1n],
      ["signed", 2n],
    ]);
    expect(p.ready).toBe(true); // the block was full
    expect(p.take(3, () => 3n).map((t) => [t.item.kind, t.nonce])).toEqual([["dev", 3n]]);
    // put back, it is taken again first
    p.putBack(got.map((t) => t.item));
    expect(p.take(1, () => 0n).map((t) => t.nonce)).toEqual([0n]);
  });
});
