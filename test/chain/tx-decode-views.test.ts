import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeTxUnverified,
  forgetVerifiedTxs,
  type SignatureCheck,
  SignedTx,
  signatureCheck,
  signTx,
  type TxCall,
  txHash,
  verifyTxs,
  verifyTxsWhole,
} from "../../src/chain/index.ts";
import type { ActorId } from "../../src/codec/ids.ts";
import { decodeExact } from "../../src/codec/types.ts";
import { devKeypair, verify } from "../../src/crypto/ed25519.ts";
import { testConfig } from "./helpers.ts";

const key = devKeypair(5);
const actor = fc.nat(0xffff_ffff).map((n) => n as ActorId);
const input = fc.uint8Array({ maxLength: 80 });
const calls: fc.Arbitrary<TxCall> = fc.oneof(
  fc.record({ actor, input }).map((value) => ({ tag: "Call" as const, value })),
  fc.record({ actor, data: input }).map((value) => ({ tag: "Post" as const, value })),
  input.map((blob) => ({ tag: "Upload" as const, value: { blob } })),
  fc
    .record({ actor, amount: fc.bigInt(0n, (1n << 128n) - 1n) })
    .map((value) => ({ tag: "Fund" as const, value })),
);

/** What the strict scale-ts struct decoding says of `bytes`: the transaction, or that it refuses. */
function strict(bytes: Uint8Array): SignedTx | "refused" {
  try {
    return decodeExact(SignedTx, bytes, "transaction");
  } catch {
    return "refused";
  }
}

describe("decodeTxUnverified: the fast canonical decoding (property, against the SignedTx struct)", () => {
  it("decodes exactly as SignedTx does, or refuses exactly what it refuses, with and without views", () => {
    fc.assert(
      fc.property(
        calls,
        fc.bigInt(0n, (1n << 64n) - 1n),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
        fc.integer({ min: -3, max: 3 }),
        (c, nonce, edits, cut) => {
          let bytes = signTx(key, { nonce, call: c }, testConfig);
          for (const [at, x] of edits) bytes[at % bytes.length] = x;
          // also lengths around the encoding's: a byte too few or trailing bytes
          if (cut < 0) bytes = bytes.slice(0, bytes.length + cut);
          else if (cut > 0) bytes = Uint8Array.from([...bytes, ...new Array(cut).fill(7)]);
          const want = strict(bytes);
          for (const views of [false, true]) {
            const r = decodeTxUnverified(bytes, { views });
            if (want === "refused") {
              expect(r.ok).toBe(false);
              continue;
            }
            expect(r.ok).toBe(true);
            if (!r.ok) continue;
            expect({ payload: r.value.payload, signature: r.value.signature }).toEqual(want);
            expect(r.value.hash).toEqual(txHash(bytes));
            expect(r.value.length).toBe(bytes.length);
            // views share the bytes' memory; copies do not
            expect(r.value.payload.signer.buffer === bytes.buffer).toBe(views);
            expect(r.value.signature.buffer === bytes.buffer).toBe(views);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads the one-byte length form only: a Call whose length byte says two bytes is the codec's to judge", () => {
    const bytes = signTx(
      key,
      {
        nonce: 1n,
        call: { tag: "Call", value: { actor: 3 as ActorId, input: Uint8Array.of(1, 2, 3, 4, 5) } },
      },
      testConfig,
    );
    const odd = bytes.slice();
    odd[56 + 5] = (5 << 2) | 1; // the same length, in the two-byte form's mode bits
    expect(strict(odd)).toBe("refused");
    expect(decodeTxUnverified(odd, { views: true }).ok).toBe(false);
  });

  it("decodes a small Call's input as a view only when asked", () => {
    const bytes = signTx(
      key,
      { nonce: 1n, call: { tag: "Call", value: { actor: 70_000 as ActorId, input: Uint8Array.of(9, 8) } } },
      testConfig,
    );
    const v = decodeTxUnverified(bytes, { views: true });
    const c = decodeTxUnverified(bytes);
    if (!v.ok || !c.ok || v.value.payload.call.tag !== "Call" || c.value.payload.call.tag !== "Call") {
      throw new Error("not decoded");
    }
    expect(v.value.payload.call.value).toEqual({ actor: 70_000, input: Uint8Array.of(9, 8) });
    expect(v.value.payload.call.value.input.buffer).toBe(bytes.buffer);
    expect(c.value.payload.call.value.input.buffer).not.toBe(bytes.buffer);
  });
});

describe("verifyTxsWhole", () => {
  /** A verifier of whole transactions by the layout it is given, in-thread. */
  const whole = async (txs: Uint8Array[], domain: Uint8Array) =>
    txs.map((t) => {
      const body = t.subarray(0, t.length - 64);
      const message = Uint8Array.from([...domain, ...body]);
      return verify(t.subarray(t.length - 64), message, t.subarray(0, 32));
    });
  const honest = async (checks: SignatureCheck[]) =>
    checks.map((c) => verify(c.signature, c.message, c.publicKey));

  it("answers as verifyTxs with signature checks does: the domain and layout are a transaction's", async () => {
    const txs = Array.from({ length: 6 }, (_, i) =>
      signTx(
        key,
        { nonce: BigInt(i), call: { tag: "Call", value: { actor: 1 as ActorId, input: Uint8Array.of(i) } } },
        testConfig,
      ),
    );
    txs[2] = txs[2]!.slice();
    txs[2][txs[2].length - 1] ^= 1; // a bad signature
    txs[4] = txs[4]!.slice(0, 50); // too short to be a transaction
    forgetVerifiedTxs();
    const a = await verifyTxsWhole(txs, whole);
    forgetVerifiedTxs();
    const b = await verifyTxs(txs, honest);
    expect(a).toEqual([true, true, false, true, false, true]);
    expect(a).toEqual(b);
    expect(signatureCheck(txs[4]!)).toBeUndefined();
  });

  it("remembers what verified: asked again, the verifier is not called for them", async () => {
    const txs = [
      signTx(
        key,
        { nonce: 9n, call: { tag: "Call", value: { actor: 1 as ActorId, input: Uint8Array.of(1) } } },
        testConfig,
      ),
    ];
    forgetVerifiedTxs();
    expect(await verifyTxsWhole(txs, whole)).toEqual([true]);
    let asked = 0;
    const counting = async (t: Uint8Array[], d: Uint8Array) => {
      asked += t.length;
      return whole(t, d);
    };
    expect(await verifyTxsWhole(txs, counting)).toEqual([true]);
    expect(asked).toBe(0);
    // a verifier that says no is not believed about a bad transaction later either
    forgetVerifiedTxs();
    expect(await verifyTxsWhole(txs, async (t) => t.map(() => false))).toEqual([false]);
    expect(await verifyTxsWhole(txs, counting)).toEqual([true]);
    expect(asked).toBe(1);
  });
});
