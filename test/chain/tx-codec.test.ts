import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeTx, SignedTx, signTx, type TxCall, TxPayload } from "../../src/chain/index.ts";
import type { ActorId } from "../../src/codec/ids.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { testConfig } from "./helpers.ts";

const key = devKeypair(3);
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const blob = fc.uint8Array({ maxLength: 40 });
const amount = fc.bigInt(0n, (1n << 128n) - 1n);
const actor = fc.nat(0xffff_ffff).map((n) => n as ActorId);
const call: fc.Arbitrary<TxCall> = fc.oneof(
  blob.map((b) => ({ tag: "Upload" as const, value: { blob: b } })),
  fc
    .record({ codeHash: bytes32, args: blob, endowment: amount })
    .map((value) => ({ tag: "Create" as const, value: value as never })),
  fc.record({ actor, amount }).map((value) => ({ tag: "Fund" as const, value })),
  fc.record({ to: bytes32, amount }).map((value) => ({ tag: "Transfer" as const, value: value as never })),
  fc.record({ actor, input: blob }).map((value) => ({ tag: "Call" as const, value })),
  fc.record({ actor, data: blob }).map((value) => ({ tag: "Post" as const, value })),
  blob.map((data) => ({ tag: "Store" as const, value: { data } })),
  bytes32.map((hash) => ({ tag: "Release" as const, value: { hash: hash as never } })),
  fc
    .record({ actor, bytes: fc.bigInt(0n, (1n << 64n) - 1n) })
    .map((value) => ({ tag: "Reserve" as const, value })),
  fc
    .record({ actor, bytes: fc.bigInt(0n, (1n << 64n) - 1n) })
    .map((value) => ({ tag: "Unreserve" as const, value })),
);

describe("transaction codec (property)", () => {
  it("signed transactions round-trip and verify", () => {
    fc.assert(
      fc.property(call, fc.bigInt(0n, (1n << 64n) - 1n), (c, nonce) => {
        const bytes = signTx(key, { nonce, call: c }, testConfig);
        const r = decodeTx(bytes);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.value.payload.call).toEqual(c);
          expect(r.value.payload.nonce).toBe(nonce);
          expect(SignedTx.enc(r.value)).toEqual(bytes);
          // the fast canonical decode gives exactly the codec's value
          expect({ payload: r.value.payload, signature: r.value.signature }).toEqual(SignedTx.dec(bytes));
          expect(r.value.payload.fee).toBe(testConfig.baseFee + testConfig.feePerByte * BigInt(bytes.length));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("any single-byte change is refused (malformed or bad signature), never accepted as another tx", () => {
    fc.assert(
      fc.property(call, fc.nat(), fc.integer({ min: 1, max: 255 }), (c, at, x) => {
        const bytes = signTx(key, { nonce: 1n, call: c }, testConfig);
        const bad = bytes.slice();
        bad[at % bad.length] ^= x;
        const r = decodeTx(bad);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(["TX_MALFORMED", "TX_BAD_SIGNATURE"]).toContain(r.error.code);
      }),
      { numRuns: 60 },
    );
  });

  it("payloads decode only from their canonical encoding", () => {
    fc.assert(
      fc.property(call, (c) => {
        const p = TxPayload.enc({ signer: key.publicKey, nonce: 0n, fee: 0n, call: c });
        expect(TxPayload.dec(p).call).toEqual(c);
      }),
      { numRuns: 30 },
    );
  });
});
