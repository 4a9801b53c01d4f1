import { afterAll, describe, expect, it } from "vitest";
import { chainConfig, signatureCheck, signTx, txHash } from "../../src/chain/index.ts";
import { toHex } from "../../src/codec/bytes.ts";
import type { ActorId } from "../../src/codec/ids.ts";
import { devKeypair, verify } from "../../src/crypto/ed25519.ts";
import { createCryptoPool } from "../../src/node/crypto-pool.ts";
import { createTxPool, type TxOutcome } from "../../src/node/txpool.ts";

const config = chainConfig({});
const keys = [devKeypair(0), devKeypair(1), devKeypair(2)];
const tx = (i: number, input = Uint8Array.of(i & 0xff)) =>
  signTx(
    keys[i % 3]!,
    { nonce: BigInt(i), call: { tag: "Call", value: { actor: 1 as ActorId, input } } },
    config,
  );
const DOMAIN = new TextEncoder().encode("coreplay/tx");
/** What verifying `t`'s signature check in-thread says (false when it has none). */
const inThread = (t: Uint8Array) => {
  const c = signatureCheck(t);
  return c !== undefined && verify(c.signature, c.message, c.publicKey);
};

describe("signature pool: whole signed items (verifySigned)", () => {
  const pool = createCryptoPool(2);
  afterAll(() => pool.close());
  // long inputs too: a message above the workers' first scratch buffer
  const items = Array.from({ length: 150 }, (_, i) =>
    tx(i, i % 50 === 7 ? new Uint8Array(3000).fill(i) : undefined),
  );
  items[3] = items[3]!.slice();
  items[3][items[3].length - 2] ^= 4; // signature
  items[40] = items[40]!.slice();
  items[40][2] ^= 1; // signer key
  items[77] = items[77]!.slice();
  items[77][60] ^= 1; // payload
  items[90] = items[90]!.slice(0, 95); // shorter than key and signature
  items[91] = items[91]!.slice(0, 96); // key and signature, nothing signed

  it("judges each item as the in-thread check of its signature does, in order, on the workers", async () => {
    const ok = await pool.verifySigned(items, DOMAIN);
    expect(ok).toEqual(items.map(inThread));
    expect(ok.filter((x) => !x).length).toBe(5);
  });

  it("and in-thread: a small batch, or no workers", async () => {
    const small = items.slice(0, 50);
    expect(await pool.verifySigned(small, DOMAIN)).toEqual(small.map(inThread));
    const none = createCryptoPool(0);
    expect(await none.verifySigned(items, DOMAIN)).toEqual(items.map(inThread));
    await none.close();
  });

  it("signs over the domain it is given", async () => {
    const ok = await pool.verifySigned(items.slice(0, 70), new TextEncoder().encode("coreplay/tz"));
    expect(ok.every((x) => !x)).toBe(true);
  });
});

describe("tx pool: the pool's copies of admitted bytes", () => {
  const pool = (nonceOf = () => 0n) => {
    const outcomes = new Map<string, TxOutcome>();
    const p = createTxPool({ verify: async (txs) => txs.map(() => true), nonceOf });
    const add = (b: Uint8Array) => p.addSigned(b, (r) => outcomes.set(toHex(txHash(b)), r));
    return { p, add, outcomes };
  };

  it("keeps its own copy: the caller's array may change after admission", async () => {
    const { p, add } = pool();
    const b = tx(0);
    const kept = b.slice();
    expect(add(b)).toBeUndefined();
    b.fill(0);
    await p.verified();
    const [t] = p.take(10, () => 0n);
    if (t?.item.kind !== "signed") throw new Error("not taken");
    expect(t.item.bytes).toEqual(kept);
    expect(t.item.decoded.hash).toEqual(txHash(kept));
    expect(t.item.decoded.payload.signer).toEqual(keys[0]!.publicKey);
  });

  it("gives a transaction that waits for a missing nonce bytes of its own, decoded from them", async () => {
    const { p, add } = pool();
    const k = keys[0]!;
    const mk = (n: bigint) =>
      signTx(
        k,
        { nonce: n, call: { tag: "Call", value: { actor: 2 as ActorId, input: Uint8Array.of(1) } } },
        config,
      );
    const [t0, t2] = [mk(0n), mk(2n)];
    expect(add(t0)).toBeUndefined();
    expect(add(t2)).toBeUndefined();
    await p.verified();
    const first = p.take(10, () => 0n);
    expect(first.map((t) => t.nonce)).toEqual([0n]);
    // t2 waits for nonce 1: its bytes no longer share the chunk t0's bytes are in
    const second = p.take(10, () => 2n);
    expect(second.map((t) => t.nonce)).toEqual([2n]);
    const w = second[0]!.item;
    if (w.kind !== "signed" || first[0]!.item.kind !== "signed") throw new Error("not signed");
    expect(w.bytes.buffer).not.toBe(first[0]!.item.bytes.buffer);
    expect(w.bytes.byteLength).toBe(w.bytes.buffer.byteLength);
    expect(w.bytes).toEqual(t2);
    expect(w.decoded.payload.signer.buffer).toBe(w.bytes.buffer);
    expect(w.decoded.hash).toEqual(txHash(t2));
  });

  it("indexes nonces above 2^53 exactly: duplicates refused, neighbours apart, next nonce counted", () => {
    const big = 2n ** 60n;
    const { p, add } = pool(() => big);
    const mk = (n: bigint, i = 1) =>
      signTx(
        keys[1]!,
        { nonce: n, call: { tag: "Call", value: { actor: 1 as ActorId, input: Uint8Array.of(i) } } },
        config,
      );
    expect(add(mk(big))).toBeUndefined();
    expect(add(mk(big + 1n))).toBeUndefined();
    expect(add(mk(big, 2))?.shortMessage).toBe("Nonce already pending");
    expect(add(mk(big + 3n))).toBeUndefined();
    expect(p.nextNonce(keys[1]!.publicKey, big)).toBe(big + 2n);
    // and small ones, on the number side of the index
    const small = pool(() => 0n);
    expect(small.add(mk(7n))).toBeUndefined();
    expect(small.add(mk(7n, 3))?.shortMessage).toBe("Nonce already pending");
    expect(small.p.nextNonce(keys[1]!.publicKey, 7n)).toBe(8n);
  });

  it("refused bytes leave no trace: the next transaction is admitted and decoded whole", async () => {
    const { p, add } = pool(() => 5n);
    expect(add(tx(3))?.code).toBe("TX_STALE_NONCE");
    const good = signTx(
      keys[0]!,
      { nonce: 5n, call: { tag: "Call", value: { actor: 1 as ActorId, input: Uint8Array.of(5) } } },
      config,
    );
    expect(add(good)).toBeUndefined();
    await p.verified();
    const [t] = p.take(10, () => 5n);
    if (t?.item.kind !== "signed") throw new Error("not taken");
    expect(t.item.bytes).toEqual(good);
  });
});
