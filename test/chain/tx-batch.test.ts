import { ed25519 } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assembleTx,
  decodeTx,
  prepareTx,
  preverifyTxs,
  type SignatureCheck,
  SignedTx,
  signatureCheck,
  signTx,
  type TxCall,
  TxPayload,
} from "../../src/chain/index.ts";
import type { ActorId } from "../../src/codec/ids.ts";
import { devKeypair, keypairFromSeed, sign, verify } from "../../src/crypto/ed25519.ts";
import { testConfig } from "./helpers.ts";

const key = devKeypair(4);
const call = (input: Uint8Array): TxCall => ({ tag: "Call", value: { actor: 7 as ActorId, input } });

describe("transactions signed elsewhere (prepareTx / assembleTx)", () => {
  it("encode exactly as SignedTx.enc, with the min fee, and sign the domain-separated payload", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.bigInt(0n, (1n << 64n) - 1n), (input, nonce) => {
        const u = prepareTx(key.publicKey, { nonce, call: call(input) }, testConfig);
        const bytes = assembleTx(u, sign(u.message, key.secretKey));
        const payload = TxPayload.dec(u.payload);
        expect(payload.fee).toBe(testConfig.baseFee + testConfig.feePerByte * BigInt(bytes.length));
        expect(bytes).toEqual(SignedTx.enc({ payload, signature: bytes.subarray(bytes.length - 64) }));
        expect(bytes).toEqual(signTx(key, { nonce, call: call(input) }, testConfig));
        const c = signatureCheck(bytes)!;
        expect(c.publicKey).toEqual(key.publicKey);
        expect(verify(c.signature, c.message, c.publicKey)).toBe(true);
        expect(decodeTx(bytes).ok).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("encodes every kind of call, nonce and fee as TxPayload.enc (property)", () => {
    const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const bytes = fc.uint8Array({ maxLength: 80 });
    const u64 = fc.bigInt(0n, (1n << 64n) - 1n);
    const u128 = fc.bigInt(0n, (1n << 128n) - 1n);
    const actor = fc.nat(0xffff_ffff).map((n) => n as ActorId);
    const calls: fc.Arbitrary<TxCall> = fc.oneof(
      bytes.map((blob) => ({ tag: "Upload" as const, value: { blob } })),
      fc
        .record({ codeHash: b32, args: bytes, endowment: u128 })
        .map((value) => ({ tag: "Create" as const, value })),
      fc.record({ actor, amount: u128 }).map((value) => ({ tag: "Fund" as const, value })),
      fc.record({ to: b32, amount: u128 }).map((value) => ({ tag: "Transfer" as const, value })),
      fc.record({ actor, input: bytes }).map((value) => ({ tag: "Call" as const, value })),
      fc.record({ actor, data: bytes }).map((value) => ({ tag: "Post" as const, value })),
      bytes.map((data) => ({ tag: "Store" as const, value: { data } })),
      b32.map((hash) => ({ tag: "Release" as const, value: { hash } })),
      fc.record({ actor, bytes: u64 }).map((value) => ({ tag: "Reserve" as const, value })),
      fc.record({ actor, bytes: u64 }).map((value) => ({ tag: "Unreserve" as const, value })),
    ) as fc.Arbitrary<TxCall>;
    fc.assert(
      fc.property(calls, u64, fc.option(u128, { nil: undefined }), (c, nonce, fee) => {
        const u = prepareTx(key.publicKey, { nonce, call: c, fee }, testConfig);
        const paid = fee ?? testConfig.baseFee + testConfig.feePerByte * BigInt(u.payload.length + 64);
        expect(u.payload).toEqual(TxPayload.enc({ signer: key.publicKey, nonce, fee: paid, call: c }));
      }),
      { numRuns: 200 },
    );
  });

  it("keeps an explicit fee", () => {
    const u = prepareTx(key.publicKey, { nonce: 3n, call: call(Uint8Array.of(1)), fee: 12_345n }, testConfig);
    expect(TxPayload.dec(u.payload).fee).toBe(12_345n);
  });
});

describe("preverifyTxs", () => {
  const honest = (checks: SignatureCheck[]) =>
    Promise.resolve(checks.map((c) => verify(c.signature, c.message, c.publicKey)));

  it("asks the batch verifier once per transaction, and never again for one it verified", async () => {
    const txs = Array.from({ length: 5 }, (_, i) =>
      signTx(key, { nonce: 1000n + BigInt(i), call: call(Uint8Array.of(i)) }, testConfig),
    );
    const asked: number[] = [];
    const verifyMany = (checks: SignatureCheck[]) => {
      asked.push(checks.length);
      return honest(checks);
    };
    expect(await preverifyTxs(txs, verifyMany)).toBe(5);
    expect(await preverifyTxs(txs, verifyMany)).toBe(0);
    expect(asked).toEqual([5]);
    for (const t of txs) expect(decodeTx(t).ok).toBe(true);
  });

  it("does not remember a bad signature: decodeTx still refuses it", async () => {
    const good = signTx(key, { nonce: 2000n, call: call(Uint8Array.of(9)) }, testConfig);
    const bad = good.slice();
    bad[bad.length - 1] ^= 1;
    expect(await preverifyTxs([bad, Uint8Array.of(1, 2, 3)], honest)).toBe(0);
    const r = decodeTx(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("TX_BAD_SIGNATURE");
  });

  it("a verified signature does not make a non-canonical encoding acceptable", async () => {
    const good = signTx(key, { nonce: 3000n, call: call(Uint8Array.of(5)) }, testConfig);
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    await preverifyTxs([longer], () => Promise.resolve([true]));
    const r = decodeTx(longer);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("TX_MALFORMED");
  });
});

describe("ed25519 keys (node:crypto, @noble as the reference)", () => {
  it("derives the RFC 8032 public key and signature of any seed", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        (seed, msg) => {
          const k = keypairFromSeed(seed);
          expect(k.publicKey).toEqual(ed25519.getPublicKey(seed));
          expect(sign(msg, seed)).toEqual(ed25519.sign(msg, seed));
          expect(verify(sign(msg, seed), msg, k.publicKey)).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("a key array changed in place signs with its new content", () => {
    const seed = new Uint8Array(32).fill(1);
    const m = Uint8Array.of(1, 2, 3);
    const first = sign(m, seed);
    seed[0] = 2;
    expect(sign(m, seed)).not.toEqual(first);
    expect(verify(sign(m, seed), m, keypairFromSeed(seed).publicKey)).toBe(true);
  });
});
